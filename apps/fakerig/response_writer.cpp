#include "response_writer.hpp"

#include <xdream/rig/detail/hdf5.hpp>
#include <xdream/rig/response_file.hpp>

#include <hdf5.h>
#include <matio.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace xdream_fakerig {

namespace {

using xdream::rig::detail::Handle;

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what) {
  throw std::runtime_error("cannot write " + file.string() + ": " + what);
}

// The content is consistent: one row per name (when names are given), one column per label.
void check_content(const ResponseContent& content, bool names_required) {
  const auto rows = static_cast<std::size_t>(content.values.rows());
  if ((names_required || !content.names.empty()) && content.names.size() != rows)
    throw std::invalid_argument("xdream_fakerig: " + std::to_string(content.names.size()) +
                                " names for " + std::to_string(rows) + " rows of values");
  if (!content.channels.empty() &&
      content.channels.size() != static_cast<std::size_t>(content.values.cols()))
    throw std::invalid_argument("xdream_fakerig: " + std::to_string(content.channels.size()) +
                                " channel labels for " + std::to_string(content.values.cols()) +
                                " columns of values");
  if (!content.reps.empty() && content.reps.size() != rows)
    throw std::invalid_argument("xdream_fakerig: " + std::to_string(content.reps.size()) +
                                " reps for " + std::to_string(rows) + " rows of values");
}

// --- .mat through matio ----------------------------------------------------------------------

struct MatCloser {
  void operator()(mat_t* mat) const { Mat_Close(mat); }
};
struct VarFreer {
  void operator()(matvar_t* var) const { Mat_VarFree(var); }
};
using MatFile = std::unique_ptr<mat_t, MatCloser>;
using MatVar = std::unique_ptr<matvar_t, VarFreer>;

// UTF-8 text as UTF-16 code units, MATLAB's char (an invalid byte becomes U+FFFD).
std::vector<std::uint16_t> utf16_units(const std::string& text) {
  std::vector<std::uint16_t> units;
  units.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned lead = byte(i);
    std::size_t length = lead < 0x80           ? 1
                         : (lead >> 5) == 0x6  ? 2
                         : (lead >> 4) == 0xE  ? 3
                         : (lead >> 3) == 0x1E ? 4
                                               : 0;
    std::uint32_t code = length == 1   ? lead
                         : length == 2 ? (lead & 0x1F)
                         : length == 3 ? (lead & 0x0F)
                                       : (lead & 0x07);
    bool valid = length != 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80) valid = false;
      code = (code << 6) | (byte(i + k) & 0x3F);
    }
    const std::uint32_t smallest[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (valid && (code < smallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)))
      valid = false;
    if (!valid) {
      code = 0xFFFD;
      length = 1;
    }
    if (code >= 0x10000) {
      units.push_back(static_cast<std::uint16_t>(0xD800 + ((code - 0x10000) >> 10)));
      units.push_back(static_cast<std::uint16_t>(0xDC00 + ((code - 0x10000) & 0x3FF)));
    } else {
      units.push_back(static_cast<std::uint16_t>(code));
    }
    i += length;
  }
  return units;
}

// A MATLAB char row vector (1 x length; MATLAB's '' is 0 x 0), given as UTF-16 code units:
// matio stores them as MATLAB does in v7.3 (uint16, MATLAB_int_decode = 2). (matio's own UTF-8
// conversion keeps the length in bytes, padding the string with NULs.)
MatVar char_variable(const std::string& text) {
  std::vector<std::uint16_t> units = utf16_units(text);
  std::size_t dims[2] = {units.empty() ? 0u : 1u, units.size()};
  // matio copies the data (no MAT_F_DONT_COPY_DATA).
  return MatVar(Mat_VarCreate(nullptr, MAT_C_CHAR, MAT_T_UINT16, 2, dims, units.data(), 0));
}

// A cell array of char, N x 1 (MATLAB's column, as XDream writes stimulusID) or 1 x N.
MatVar cell_of_char(const char* name, const std::vector<std::string>& strings, bool row) {
  std::vector<matvar_t*> cells;
  cells.reserve(strings.size());
  try {
    for (const auto& s : strings) {
      MatVar cell = char_variable(s);
      if (!cell) throw std::runtime_error("matio cannot create a char variable");
      cells.push_back(cell.release());
    }
  } catch (...) {
    for (matvar_t* cell : cells) Mat_VarFree(cell);
    throw;
  }
  std::size_t dims[2] = {row ? 1u : strings.size(), row ? strings.size() : 1u};
  // The cell copies the array of pointers and owns the cells from here on.
  MatVar cell(Mat_VarCreate(name, MAT_C_CELL, MAT_T_CELL, 2, dims, cells.data(), 0));
  if (!cell) {
    for (matvar_t* c : cells) Mat_VarFree(c);
    throw std::runtime_error(std::string("matio cannot create the cell ") + name);
  }
  return cell;
}

// A double matrix of MATLAB dimensions rows x columns from column-major data.
MatVar double_matrix(const char* name, const Eigen::MatrixXd& matrix) {
  std::size_t dims[2] = {static_cast<std::size_t>(matrix.rows()),
                         static_cast<std::size_t>(matrix.cols())};
  return MatVar(Mat_VarCreate(name, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims,
                              const_cast<double*>(matrix.data()), 0));
}

void write_variable(const std::filesystem::path& file, mat_t* mat, const MatVar& var,
                    const char* name) {
  if (!var) fail(file, std::string("matio cannot create ") + name);
  // Compressed, as MATLAB's save -v7.3 does by default.
  if (Mat_VarWrite(mat, var.get(), MAT_COMPRESSION_ZLIB) != 0)
    fail(file, std::string("matio cannot write ") + name);
}

// Rewrites a MATLAB_class attribute the way h5py writes a string by default: fixed length, null
// padded, with no terminating NUL (MATLAB and matio write it null-terminated).
void rewrite_class_as_h5py(const std::filesystem::path& file, hid_t object) {
  const auto value = xdream::rig::detail::string_attribute(object, "MATLAB_class", "object");
  if (!value) return;
  if (H5Adelete(object, "MATLAB_class") < 0) fail(file, "cannot rewrite MATLAB_class");
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  if (!type.valid() || !space.valid() || H5Tset_size(type.get(), value->size()) < 0 ||
      H5Tset_strpad(type.get(), H5T_STR_NULLPAD) < 0)
    fail(file, "cannot make an h5py-style string type");
  Handle attribute(
      H5Acreate2(object, "MATLAB_class", type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
      H5Aclose);
  if (!attribute.valid() || H5Awrite(attribute.get(), type.get(), value->data()) < 0)
    fail(file, "cannot write MATLAB_class");
}

// stimulusID's MATLAB_class and its strings' as h5py writes them.
void make_h5py_strings(const std::filesystem::path& file) {
  xdream::rig::detail::SilenceErrors quiet;
  Handle handle(H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
  if (!handle.valid()) fail(file, "HDF5 cannot reopen the file matio wrote");
  Handle cell(H5Dopen2(handle.get(), "stimulusID", H5P_DEFAULT), H5Dclose);
  if (!cell.valid()) fail(file, "HDF5 finds no stimulusID in the file matio wrote");
  Handle space(H5Dget_space(cell.get()), H5Sclose);
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count < 0) fail(file, "cannot read stimulusID's shape");
  std::vector<hobj_ref_t> refs(static_cast<std::size_t>(count));
  if (count > 0 &&
      H5Dread(cell.get(), H5T_STD_REF_OBJ, H5S_ALL, H5S_ALL, H5P_DEFAULT, refs.data()) < 0)
    fail(file, "cannot read stimulusID's references");
  rewrite_class_as_h5py(file, cell.get());
  for (const hobj_ref_t& ref : refs) {
    Handle entry(H5Rdereference2(cell.get(), H5P_DEFAULT, H5R_OBJECT, &ref), H5Oclose);
    if (!entry.valid()) fail(file, "cannot follow a stimulusID reference");
    rewrite_class_as_h5py(file, entry.get());
  }
}

// --- .h5 through HDF5 --------------------------------------------------------------------------

// A 1-D dataset of variable-length UTF-8 strings, as h5py writes a list of str.
void write_strings(const std::filesystem::path& file, hid_t handle, const char* name,
                   const std::vector<std::string>& strings) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  if (!type.valid() || H5Tset_size(type.get(), H5T_VARIABLE) < 0 ||
      H5Tset_cset(type.get(), H5T_CSET_UTF8) < 0)
    fail(file, "cannot make a string type");
  const hsize_t dims[1] = {strings.size()};
  Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
  Handle dataset(
      H5Dcreate2(handle, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose);
  if (!space.valid() || !dataset.valid()) fail(file, std::string("cannot create ") + name);
  std::vector<const char*> pointers;
  pointers.reserve(strings.size());
  for (const auto& s : strings) pointers.push_back(s.c_str());
  if (!strings.empty() &&
      H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) < 0)
    fail(file, std::string("cannot write ") + name);
}

}  // namespace

void write_mat(const std::filesystem::path& file, const ResponseContent& content, MatFault fault) {
  check_content(content, true);
  std::vector<std::string> labels = content.channels;
  Eigen::MatrixXd values = content.values;  // presentations x channels
  if (fault == MatFault::wrong_channels) {
    // One channel more than the labels (labels 0, 1, ... when the content names none).
    if (labels.empty())
      for (Eigen::Index c = 0; c < values.cols(); ++c) labels.push_back(std::to_string(c));
    values.conservativeResize(Eigen::NoChange, values.cols() + 1);
    values.col(values.cols() - 1).setZero();
  }

  MatFile mat(Mat_CreateVer(file.c_str(), nullptr, MAT_FT_MAT73));
  if (!mat) fail(file, "matio cannot create a MATLAB v7.3 file");
  write_variable(file, mat.get(),
                 cell_of_char("stimulusID", content.names, fault == MatFault::row_cell),
                 "stimulusID");
  if (fault != MatFault::missing_variable) {
    // tEvokedResp is channels x N in MATLAB's view; the transposed fault writes N x channels.
    const Eigen::MatrixXd matlab_view =
        fault == MatFault::transposed ? values : Eigen::MatrixXd(values.transpose());
    write_variable(file, mat.get(), double_matrix("tEvokedResp", matlab_view), "tEvokedResp");
  }
  if (!labels.empty())
    write_variable(file, mat.get(), cell_of_char("channelLabels", labels, false), "channelLabels");
  mat.reset();  // Mat_Close flushes and closes the HDF5 file
  if (fault == MatFault::h5py_strings) make_h5py_strings(file);
}

void write_h5(const std::filesystem::path& file, const ResponseContent& content) {
  check_content(content, false);
  xdream::rig::detail::SilenceErrors quiet;
  Handle handle(H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  if (!handle.valid()) fail(file, "HDF5 cannot create the file");

  // scores: n x channels, row-major as HDF5 (and NumPy) store it.
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows =
      content.values;
  const hsize_t dims[2] = {static_cast<hsize_t>(rows.rows()), static_cast<hsize_t>(rows.cols())};
  Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose);
  Handle scores(H5Dcreate2(handle.get(), "scores", H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                           H5P_DEFAULT, H5P_DEFAULT),
                H5Dclose);
  if (!space.valid() || !scores.valid()) fail(file, "cannot create scores");
  if (rows.size() > 0 &&
      H5Dwrite(scores.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()) < 0)
    fail(file, "cannot write scores");
  if (!content.names.empty()) write_strings(file, handle.get(), "stim_ids", content.names);
  if (!content.channels.empty()) write_strings(file, handle.get(), "channels", content.channels);
  if (H5Fflush(handle.get(), H5F_SCOPE_LOCAL) < 0) fail(file, "cannot flush");
}

void write_json(const std::filesystem::path& file, const ResponseContent& content) {
  check_content(content, true);
  const std::vector<int> reps =
      content.reps.empty() ? xdream::rig::detail::repetitions(content.names) : content.reps;
  nlohmann::json responses = nlohmann::json::array();
  for (std::size_t i = 0; i < content.names.size(); ++i) {
    nlohmann::json values = nlohmann::json::array();
    for (Eigen::Index c = 0; c < content.values.cols(); ++c) {
      const double v = content.values(static_cast<Eigen::Index>(i), c);
      values.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v));
    }
    responses.push_back(
        {{"stim_id", content.names[i]}, {"rep", reps[i]}, {"values", std::move(values)}});
  }
  const nlohmann::json message = {{"type", "RESULT"},
                                  {"v", 1},
                                  {"session", content.session},
                                  {"block_id", content.block},
                                  {"attempt", content.attempt},
                                  {"channels", content.channels},
                                  {"responses", std::move(responses)},
                                  {"final", content.final}};
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << message.dump() << '\n';
  out.flush();
  if (!out) fail(file, "the file cannot be written");
}

}  // namespace xdream_fakerig
