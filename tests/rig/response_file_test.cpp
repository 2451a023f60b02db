// The rig's response files (xdream/rig/response_file.hpp): every format written by the simulated
// rig's writers (MATLAB v7.3 through matio, .h5 through HDF5, .json) and read back, every
// MatFault's outcome, h5py-style strings, the name matching, and hostile bytes (truncated files,
// wrong shapes, references pointing nowhere, huge declared shapes, random damage) refused with a
// ResponseFileError, never a crash.
#include <xdream/rig/detail/hdf5.hpp>
#include <xdream/rig/response_file.hpp>

#include "response_writer.hpp"

#include <doctest/doctest.h>
#include <hdf5.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using xdream::rig::ResponseFileError;
using xdream::rig::ResponseTable;
using xdream::rig::detail::Handle;
using xdream_fakerig::MatFault;
using xdream_fakerig::ResponseContent;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// A fresh directory, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "xdream-rig-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// n presentations of a block's images (file names as the rig names them), `channels` channels,
// value (i, c) = 10 i + c + 0.25, with one NaN (a fixation break).
ResponseContent block_content(int n, int channels) {
  ResponseContent content;
  for (int i = 0; i < n; ++i)
    content.names.push_back("block007_" + std::string(i < 10 ? "00" : "0") + std::to_string(i) +
                            "_3fa2c9d1-g5-" + std::to_string(i) + ".png");
  for (int c = 0; c < channels; ++c) content.channels.push_back("ch" + std::to_string(17 + c));
  content.values.resize(n, channels);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < channels; ++c) content.values(i, c) = 10.0 * i + c + 0.25;
  if (n > 1 && channels > 0) content.values(1, 0) = nan;
  content.session = "3fa2c9d1";
  content.block = 7;
  content.attempt = 1;
  return content;
}

// Equal values, NaN where NaN.
bool same_values(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j) {
      if (std::isnan(a(i, j)) != std::isnan(b(i, j))) return false;
      if (!std::isnan(a(i, j)) && a(i, j) != b(i, j)) return false;
    }
  return true;
}

void check_table(const ResponseTable& table, const ResponseContent& content) {
  CHECK(table.names == content.names);
  CHECK(table.channels == content.channels);
  CHECK(same_values(table.values, content.values));
  CHECK(table.reps.size() == content.names.size());
}

// The error a read throws (and fails the test when it throws none or another kind).
template <class Read>
ResponseFileError error_of(Read read) {
  try {
    read();
  } catch (const ResponseFileError& e) {
    return e;
  }
  FAIL("no ResponseFileError");
  return ResponseFileError("", "", false);
}

bool contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return true;
  MESSAGE("\"" << text << "\" does not contain \"" << part << "\"");
  return false;
}

std::vector<char> file_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& file, const std::vector<char>& bytes, std::size_t count) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(count));
}

// --- crafting damaged files through HDF5 ---------------------------------------------------------

// A file open for writing (HDF5 keeps a .mat's 512-byte MATLAB header as its user block).
Handle open_rw(const fs::path& file) {
  Handle handle(H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
  REQUIRE(handle.valid());
  return handle;
}

void set_class(hid_t object, const std::string& matlab_class) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), matlab_class.size() + 1);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attribute(
      H5Acreate2(object, "MATLAB_class", type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
      H5Aclose);
  REQUIRE(H5Awrite(attribute.get(), type.get(), matlab_class.c_str()) >= 0);
}

// Replaces `name` with a dataset of `type` and HDF5 shape `dims`; chunked (and left unwritten,
// so it costs the file nothing) unless `data` is given.
void replace_dataset(const fs::path& file, const char* name, hid_t type,
                     const std::vector<hsize_t>& dims, const void* data = nullptr,
                     const char* matlab_class = "double") {
  Handle handle = open_rw(file);
  if (H5Lexists(handle.get(), name, H5P_DEFAULT) > 0) H5Ldelete(handle.get(), name, H5P_DEFAULT);
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (data == nullptr) {
    std::vector<hsize_t> chunk(dims.size(), 1);
    H5Pset_chunk(properties.get(), static_cast<int>(chunk.size()), chunk.data());
  }
  Handle dataset(
      H5Dcreate2(handle.get(), name, type, space.get(), H5P_DEFAULT, properties.get(), H5P_DEFAULT),
      H5Dclose);
  REQUIRE(dataset.valid());
  if (data != nullptr)
    REQUIRE(H5Dwrite(dataset.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
  if (matlab_class != nullptr) set_class(dataset.get(), matlab_class);
}

// Overwrites stimulusID's object references with the raw values given (same count).
void overwrite_references(const fs::path& file, const std::vector<hobj_ref_t>& refs) {
  Handle handle = open_rw(file);
  Handle cell(H5Dopen2(handle.get(), "stimulusID", H5P_DEFAULT), H5Dclose);
  REQUIRE(H5Dwrite(cell.get(), H5T_STD_REF_OBJ, H5S_ALL, H5S_ALL, H5P_DEFAULT, refs.data()) >= 0);
}

std::vector<hobj_ref_t> references_of(const fs::path& file) {
  Handle handle(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  Handle cell(H5Dopen2(handle.get(), "stimulusID", H5P_DEFAULT), H5Dclose);
  Handle space(H5Dget_space(cell.get()), H5Sclose);
  std::vector<hobj_ref_t> refs(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())));
  REQUIRE(H5Dread(cell.get(), H5T_STD_REF_OBJ, H5S_ALL, H5S_ALL, H5P_DEFAULT, refs.data()) >= 0);
  return refs;
}

// The padding of an object's MATLAB_class attribute (NULLTERM as MATLAB writes it, NULLPAD as
// h5py does).
H5T_str_t class_padding(const fs::path& file, const char* object) {
  Handle handle(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  Handle attribute(H5Aopen_by_name(handle.get(), object, "MATLAB_class", H5P_DEFAULT, H5P_DEFAULT),
                   H5Aclose);
  Handle type(H5Aget_type(attribute.get()), H5Tclose);
  return H5Tget_strpad(type.get());
}

bool contains_quietly(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// While alive, HDF5 files are read in this process (not in a child).
class InProcess {
 public:
  InProcess() : saved_(xdream::rig::detail::hdf5_in_child) {
    xdream::rig::detail::hdf5_in_child = false;
  }
  InProcess(const InProcess&) = delete;
  InProcess& operator=(const InProcess&) = delete;
  ~InProcess() { xdream::rig::detail::hdf5_in_child = saved_; }

 private:
  bool saved_;
};

// While alive, a child process reading an HDF5 file has `limit`.
class TimeLimit {
 public:
  explicit TimeLimit(std::chrono::milliseconds limit)
      : saved_(xdream::rig::detail::hdf5_time_limit) {
    xdream::rig::detail::hdf5_time_limit = limit;
  }
  TimeLimit(const TimeLimit&) = delete;
  TimeLimit& operator=(const TimeLimit&) = delete;
  ~TimeLimit() { xdream::rig::detail::hdf5_time_limit = saved_; }

 private:
  std::chrono::milliseconds saved_;
};

// An HDF5 error handler that counts its calls: the readers must never reach it.
int printed_errors = 0;
herr_t count_errors(hid_t, void*) {
  ++printed_errors;
  return 0;
}

}  // namespace

// --- .mat --------------------------------------------------------------------------------------

TEST_CASE("a .mat round trip: stimulusID N x 1, tEvokedResp channels x N, channelLabels") {
  TempDir dir;
  for (const auto& shape : {std::pair{5, 3}, {1, 1}, {12, 1}, {1, 4}}) {
    const int n = shape.first, channels = shape.second;
    CAPTURE(n);
    CAPTURE(channels);
    const auto content = block_content(n, channels);
    const auto file = dir / "block007.mat";
    xdream_fakerig::write_mat(file, content);
    const ResponseTable table = xdream::rig::read_mat_responses(file);
    check_table(table, content);
    CHECK_FALSE(table.transposed);
    CHECK(table.reps == std::vector<int>(static_cast<std::size_t>(n), 0));
    CHECK_FALSE(table.session);
    // read_responses picks the reader by the extension.
    check_table(xdream::rig::read_responses(file, {}), content);
  }
}

TEST_CASE("a .mat written as MATLAB does, byte for byte: header, classes, HDF5 shapes") {
  TempDir dir;
  const auto file = dir / "block007.mat";
  xdream_fakerig::write_mat(file, block_content(5, 3));
  const auto bytes = file_bytes(file);
  REQUIRE(bytes.size() > 512);
  CHECK(std::string(bytes.data(), 10) == "MATLAB 7.3");
  CHECK(bytes[124] == 0x00);
  CHECK(bytes[125] == 0x02);
  CHECK(bytes[126] == 'I');
  CHECK(bytes[127] == 'M');
  CHECK(class_padding(file, "stimulusID") == H5T_STR_NULLTERM);

  Handle handle(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  const auto shape_of = [&](const char* name) {
    Handle dataset(H5Dopen2(handle.get(), name, H5P_DEFAULT), H5Dclose);
    Handle space(H5Dget_space(dataset.get()), H5Sclose);
    std::vector<hsize_t> dims(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space.get())));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    return dims;
  };
  CHECK(shape_of("stimulusID") == std::vector<hsize_t>{1, 5});     // MATLAB's 5 x 1 cell
  CHECK(shape_of("tEvokedResp") == std::vector<hsize_t>{5, 3});    // MATLAB's 3 x 5 double
  CHECK(shape_of("channelLabels") == std::vector<hsize_t>{1, 3});  // MATLAB's 3 x 1 cell
}

TEST_CASE("each MatFault of a .mat: accepted (row cell, transposed, h5py strings) or refused") {
  TempDir dir;
  const auto content = block_content(5, 3);
  const auto file = dir / "block007.mat";

  SUBCASE("none") {
    xdream_fakerig::write_mat(file, content, MatFault::none);
    check_table(xdream::rig::read_mat_responses(file), content);
  }
  SUBCASE("row_cell: stimulusID 1 x N is MATLAB's other orientation") {
    xdream_fakerig::write_mat(file, content, MatFault::row_cell);
    const auto table = xdream::rig::read_mat_responses(file);
    check_table(table, content);
    CHECK_FALSE(table.transposed);
  }
  SUBCASE("transposed: N x channels is accepted and says so") {
    xdream_fakerig::write_mat(file, content, MatFault::transposed);
    const auto table = xdream::rig::read_mat_responses(file);
    check_table(table, content);
    CHECK(table.transposed);
  }
  SUBCASE("h5py_strings: null-padded MATLAB_class attributes are read like MATLAB's") {
    xdream_fakerig::write_mat(file, content, MatFault::h5py_strings);
    CHECK(class_padding(file, "stimulusID") == H5T_STR_NULLPAD);
    CHECK(class_padding(file, "#refs#/0") == H5T_STR_NULLPAD);
    const auto table = xdream::rig::read_mat_responses(file);
    check_table(table, content);
    CHECK_FALSE(table.transposed);
  }
  SUBCASE("missing_variable: no tEvokedResp") {
    xdream_fakerig::write_mat(file, content, MatFault::missing_variable);
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK_FALSE(e.retryable());
    CHECK(contains(e.what(), file.string()));
    CHECK(contains(e.what(), "has no variable tEvokedResp"));
  }
  SUBCASE("wrong_channels: one channel more than the labels") {
    xdream_fakerig::write_mat(file, content, MatFault::wrong_channels);
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK_FALSE(e.retryable());
    CHECK(contains(e.what(),
                   "variable channelLabels has 3 labels for the 4 channels of tEvokedResp (4 x 5 "
                   "in MATLAB's view)"));
  }
}

TEST_CASE("a .mat: repeated names get reps in file order; paths, empty and non-ASCII names") {
  TempDir dir;
  ResponseContent content = block_content(6, 2);
  content.names = {"N:\\Stimuli\\s1\\block007_000_3fa2c9d1-g5-0.png",
                   "/mnt/stimuli/block007_001_3fa2c9d1-g5-1.png",
                   "N:\\Stimuli\\s1\\block007_000_3fa2c9d1-g5-0.png",
                   "",
                   "caf\xC3\xA9-\xF0\x9F\x98\x80",  // two and four bytes of UTF-8
                   "N:\\Stimuli\\s1\\block007_000_3fa2c9d1-g5-0.png"};
  const auto file = dir / "block007.mat";
  xdream_fakerig::write_mat(file, content);
  const auto table = xdream::rig::read_mat_responses(file);
  check_table(table, content);
  CHECK(table.reps == std::vector<int>{0, 0, 1, 0, 0, 2});
}

TEST_CASE("an empty block (no presentations) reads back empty in every format") {
  TempDir dir;
  ResponseContent content;
  content.channels = {"ch1", "ch2"};
  content.values.resize(0, 2);
  xdream_fakerig::write_mat(dir / "block001.mat", content);
  xdream_fakerig::write_h5(dir / "block001.h5", content);
  xdream_fakerig::write_json(dir / "block001.json", content);
  for (const char* name : {"block001.mat", "block001.h5", "block001.json"}) {
    CAPTURE(name);
    const auto table = xdream::rig::read_responses(dir / name, {});
    CHECK(table.names.empty());
    CHECK(table.values.rows() == 0);
    CHECK(table.values.cols() == 2);
    CHECK(table.channels == content.channels);
  }
}

TEST_CASE("a .mat whose tEvokedResp is square: the normal orientation (channels x N)") {
  TempDir dir;
  const auto content = block_content(3, 3);
  const auto file = dir / "block007.mat";
  xdream_fakerig::write_mat(file, content);
  const auto table = xdream::rig::read_mat_responses(file);
  check_table(table, content);
  CHECK_FALSE(table.transposed);
}

TEST_CASE("a .mat without channelLabels names no channels") {
  TempDir dir;
  auto content = block_content(4, 2);
  content.channels.clear();
  const auto file = dir / "block007.mat";
  xdream_fakerig::write_mat(file, content);
  const auto table = xdream::rig::read_mat_responses(file);
  check_table(table, content);
  CHECK(table.channels.empty());
  CHECK(table.values.cols() == 2);
}

TEST_CASE("a .mat with a wrong shape or type is refused, naming the variable and the shape") {
  TempDir dir;
  const auto content = block_content(5, 3);
  const auto file = dir / "block007.mat";
  xdream_fakerig::write_mat(file, content);

  SUBCASE("tEvokedResp 2 x 3 for 5 names") {
    const std::vector<double> six(6, 1.0);
    replace_dataset(file, "tEvokedResp", H5T_NATIVE_DOUBLE, {3, 2}, six.data());
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK_FALSE(e.retryable());
    CHECK(contains(e.what(), file.string()));
    CHECK(contains(e.what(),
                   "variable tEvokedResp is 2 x 3 in MATLAB's view (HDF5 shape (3, 2)): expected "
                   "channels x 5 (or 5 x channels) for 5 stimulusID entries"));
  }
  SUBCASE("tEvokedResp of three dimensions") {
    replace_dataset(file, "tEvokedResp", H5T_NATIVE_DOUBLE, {5, 3, 2});
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK(contains(e.what(), "2 x 3 x 5 in MATLAB's view (HDF5 shape (5, 3, 2))"));
  }
  SUBCASE("tEvokedResp of strings") {
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), 4);
    replace_dataset(file, "tEvokedResp", type.get(), {5, 3}, nullptr, "char");
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK(contains(e.what(), "variable tEvokedResp is not numeric"));
  }
  SUBCASE("stimulusID a double matrix, not a cell") {
    replace_dataset(file, "stimulusID", H5T_NATIVE_DOUBLE, {1, 5});
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK(contains(e.what(), "variable stimulusID is a MATLAB double, not a cell array of char"));
  }
  SUBCASE("stimulusID a 2 x 3 cell") {
    replace_dataset(file, "stimulusID", H5T_STD_REF_OBJ, {3, 2}, nullptr, "cell");
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK(contains(e.what(),
                   "variable stimulusID is 2 x 3 in MATLAB's view (HDF5 shape (3, 2)): "
                   "expected N x 1 or 1 x N"));
  }
  SUBCASE("stimulusID a struct (an HDF5 group)") {
    Handle handle = open_rw(file);
    H5Ldelete(handle.get(), "stimulusID", H5P_DEFAULT);
    Handle group(H5Gcreate2(handle.get(), "stimulusID", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 H5Gclose);
    group = Handle();
    handle = Handle();
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK(contains(e.what(), "variable stimulusID is not a dataset"));
  }
  SUBCASE("stimulusID an external link to another file") {
    Handle handle = open_rw(file);
    H5Ldelete(handle.get(), "stimulusID", H5P_DEFAULT);
    H5Lcreate_external("/etc/passwd", "/x", handle.get(), "stimulusID", H5P_DEFAULT, H5P_DEFAULT);
    handle = Handle();
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK(contains(e.what(), "is a soft or external link"));
  }
  SUBCASE("no stimulusID") {
    Handle handle = open_rw(file);
    H5Ldelete(handle.get(), "stimulusID", H5P_DEFAULT);
    handle = Handle();
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK_FALSE(e.retryable());
    CHECK(contains(e.what(), "has no variable stimulusID"));
  }
}

TEST_CASE("a .mat whose references point nowhere, or at the wrong things, is refused") {
  TempDir dir;
  const auto file = dir / "block007.mat";
  xdream_fakerig::write_mat(file, block_content(5, 3));
  auto refs = references_of(file);
  REQUIRE(refs.size() == 5);

  SUBCASE("an address inside the file that is no object") {
    refs[2] = 700;
    overwrite_references(file, refs);
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK_FALSE(e.retryable());
    CHECK(contains(e.what(), "variable stimulusID entry 3: its reference points to nothing"));
  }
  SUBCASE("an address far beyond the end of the file, and the undefined address") {
    refs[0] = hobj_ref_t{1} << 40;
    refs[4] = static_cast<hobj_ref_t>(-1);
    overwrite_references(file, refs);
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK(contains(e.what(), "variable stimulusID entry 1: its reference points to nothing"));
  }
  SUBCASE("a reference to tEvokedResp (a double, not a char)") {
    Handle handle(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    hobj_ref_t to_matrix{};
    REQUIRE(H5Rcreate(&to_matrix, handle.get(), "tEvokedResp", H5R_OBJECT, -1) >= 0);
    handle = Handle();
    refs[1] = to_matrix;
    overwrite_references(file, refs);
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK(contains(e.what(), "variable stimulusID entry 2 is a MATLAB double, not char"));
  }
  SUBCASE("a reference to the #refs# group itself") {
    Handle handle(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    hobj_ref_t to_group{};
    REQUIRE(H5Rcreate(&to_group, handle.get(), "#refs#", H5R_OBJECT, -1) >= 0);
    handle = Handle();
    refs[1] = to_group;
    overwrite_references(file, refs);
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK(contains(e.what(), "variable stimulusID entry 2"));
  }
}

TEST_CASE("a .mat declaring huge shapes is refused before anything is allocated") {
  TempDir dir;
  const auto file = dir / "block007.mat";
  xdream_fakerig::write_mat(file, block_content(5, 3));

  SUBCASE("stimulusID of 2^40 references") {
    replace_dataset(file, "stimulusID", H5T_STD_REF_OBJ, {1, hsize_t{1} << 40}, nullptr, "cell");
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK(contains(e.what(), "variable stimulusID is 1099511627776 x 1 in MATLAB's view"));
  }
  SUBCASE("stimulusID of a million references (within the row limit, not the file's size)") {
    replace_dataset(file, "stimulusID", H5T_STD_REF_OBJ, {1, 1000000}, nullptr, "cell");
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK(contains(e.what(), "variable stimulusID"));
  }
  SUBCASE("tEvokedResp of 2^20 channels") {
    replace_dataset(file, "tEvokedResp", H5T_NATIVE_DOUBLE, {5, hsize_t{1} << 20});
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK(contains(e.what(), "more than 65536 channels"));
  }
  SUBCASE("a char entry 2^31 characters long") {
    Handle handle = open_rw(file);
    const hsize_t dims[2] = {hsize_t{1} << 31, 1};
    Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose);
    Handle properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    const hsize_t chunk[2] = {1, 1};
    H5Pset_chunk(properties.get(), 2, chunk);
    H5Ldelete(handle.get(), "#refs#/0", H5P_DEFAULT);
    Handle entry(H5Dcreate2(handle.get(), "#refs#/0", H5T_NATIVE_UINT16, space.get(), H5P_DEFAULT,
                            properties.get(), H5P_DEFAULT),
                 H5Dclose);
    REQUIRE(entry.valid());
    hobj_ref_t ref{};
    REQUIRE(H5Rcreate(&ref, handle.get(), "#refs#/0", H5R_OBJECT, -1) >= 0);
    entry = Handle();
    handle = Handle();
    auto refs = references_of(file);
    refs[0] = ref;
    overwrite_references(file, refs);
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK(contains(e.what(), "variable stimulusID entry 1 is 2147483648 characters long"));
  }
}

TEST_CASE("a truncated .mat is refused as retryable at every length") {
  TempDir dir;
  const auto whole = dir / "whole.mat";
  xdream_fakerig::write_mat(whole, block_content(5, 3));
  const auto bytes = file_bytes(whole);
  const auto file = dir / "block007.mat";
  int tried = 0;
  for (std::size_t length = 0; length < bytes.size(); length += 1 + length / 24) {
    CAPTURE(length);
    write_bytes(file, bytes, length);
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK(e.retryable());
    ++tried;
  }
  CHECK(tried > 50);
}

TEST_CASE("a MATLAB v5 file, an empty file, a directory and garbage are refused") {
  TempDir dir;
  const auto file = dir / "block007.mat";

  SUBCASE("v5/v7 MAT-file: never readable, not retryable") {
    std::vector<char> header(600, ' ');
    const std::string text = "MATLAB 5.0 MAT-file, Platform: PCWIN64";
    std::copy(text.begin(), text.end(), header.begin());
    header[124] = 0x00;
    header[125] = 0x01;
    header[126] = 'I';
    header[127] = 'M';
    write_bytes(file, header, header.size());
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK_FALSE(e.retryable());
    CHECK(contains(e.what(), "MATLAB v5/v7 MAT-file, not v7.3"));
  }
  SUBCASE("empty: still being written") {
    write_bytes(file, {}, 0);
    CHECK(error_of([&] { xdream::rig::read_mat_responses(file); }).retryable());
  }
  SUBCASE("missing") {
    CHECK(error_of([&] { xdream::rig::read_mat_responses(file); }).retryable());
  }
  SUBCASE("a directory") {
    fs::create_directory(file);
    const auto e = error_of([&] { xdream::rig::read_mat_responses(file); });
    CHECK_FALSE(e.retryable());
    CHECK(contains(e.what(), "is not a regular file"));
  }
  SUBCASE("text") {
    const std::string text = "this is not a MAT-file\n";
    write_bytes(file, std::vector<char>(text.begin(), text.end()), text.size());
    CHECK(error_of([&] { xdream::rig::read_mat_responses(file); }).retryable());
  }
}

TEST_CASE("randomly damaged .mat and .h5 files: read or refused, never a crash or a hang") {
  // HDF5 itself may crash or loop on damaged bytes (a corrupt global heap makes HDF5 1.10 loop
  // forever while reading variable-length strings): the readers parse in a child process.
  const TimeLimit limit(std::chrono::milliseconds(1500));
  TempDir dir;
  const auto whole_mat = dir / "whole.mat";
  const auto whole_h5 = dir / "whole.h5";
  const auto content = block_content(5, 3);
  xdream_fakerig::write_mat(whole_mat, content);
  xdream_fakerig::write_h5(whole_h5, content);
  std::mt19937 random(20240611);
  int read = 0, refused = 0, hdf5_failed = 0;
  for (const auto& whole : {whole_mat, whole_h5}) {
    const auto bytes = file_bytes(whole);
    const auto file = dir / ("damaged" + whole.extension().string());
    for (int trial = 0; trial < 200; ++trial) {
      auto damaged = bytes;
      const int flips = 1 + static_cast<int>(random() % 4);
      for (int f = 0; f < flips; ++f) {
        const std::size_t at = random() % damaged.size();
        damaged[at] = static_cast<char>(random() % 3 == 0 ? 0xFF : random() & 0xFF);
      }
      write_bytes(file, damaged, damaged.size());
      CAPTURE(trial);
      try {
        const auto table = xdream::rig::read_responses(file, {});
        CHECK(table.names.size() == static_cast<std::size_t>(table.values.rows()));
        CHECK(table.reps.size() == table.names.size());
        ++read;
      } catch (const ResponseFileError& e) {
        ++refused;
        if (contains_quietly(e.what(), "the HDF5 library reading it")) {
          ++hdf5_failed;
          CHECK_FALSE(e.retryable());  // the file did not change: no use reading it again
        }
      }
    }
  }
  CHECK(read + refused == 400);
  MESSAGE(read << " damaged files read, " << refused << " refused, of which " << hdf5_failed
               << " because HDF5 crashed or did not finish");
}

TEST_CASE("work in a child process: its output, its crash, its endless loop") {
  using xdream::rig::detail::ChildResult;
  using xdream::rig::detail::run_in_child;
  const auto limit = std::chrono::milliseconds(1000);

  const auto big = run_in_child([] { return std::string(3 << 20, 'x') + "end"; }, limit);
  CHECK(big.status == ChildResult::Status::done);
  CHECK(big.output.size() == (3u << 20) + 3);
  CHECK(big.output.substr(big.output.size() - 3) == "end");

  const auto crash = run_in_child(
      []() -> std::string {
        std::raise(SIGKILL);
        return "never";
      },
      limit);
  CHECK(crash.status == ChildResult::Status::crashed);
  CHECK(crash.signal == SIGKILL);

  const auto thrown = run_in_child([]() -> std::string { throw std::runtime_error("x"); }, limit);
  CHECK(thrown.status == ChildResult::Status::crashed);

  const auto start = std::chrono::steady_clock::now();
  const auto hang = run_in_child(
      []() -> std::string {
        for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      },
      std::chrono::milliseconds(300));
  CHECK(hang.status == ChildResult::Status::timed_out);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("the readers silence HDF5's error printing and give the caller's setting back") {
  const InProcess in_process;  // so that this process's HDF5 is the one that reads
  TempDir dir;
  const auto file = dir / "block007.mat";
  xdream_fakerig::write_mat(file, block_content(5, 3), MatFault::missing_variable);
  H5E_auto2_t saved_function = nullptr;
  void* saved_data = nullptr;
  H5Eget_auto2(H5E_DEFAULT, &saved_function, &saved_data);
  int marker = 0;
  H5Eset_auto2(H5E_DEFAULT, count_errors, &marker);
  printed_errors = 0;
  CHECK_THROWS_AS(xdream::rig::read_mat_responses(file), ResponseFileError);
  const auto truncated = dir / "truncated.mat";
  write_bytes(truncated, file_bytes(file), 700);
  CHECK_THROWS_AS(xdream::rig::read_mat_responses(truncated), ResponseFileError);
  CHECK(printed_errors == 0);
  H5E_auto2_t function = nullptr;
  void* data = nullptr;
  H5Eget_auto2(H5E_DEFAULT, &function, &data);
  CHECK((function == &count_errors));
  CHECK((data == &marker));
  H5Eset_auto2(H5E_DEFAULT, saved_function, saved_data);
}

// --- .h5 ---------------------------------------------------------------------------------------

TEST_CASE("a .h5 round trip: scores, stim_ids and channels") {
  TempDir dir;
  const auto content = block_content(6, 2);
  const auto file = dir / "block007.h5";
  xdream_fakerig::write_h5(file, content);
  const auto table = xdream::rig::read_h5_responses(file, {});
  check_table(table, content);
  CHECK(table.reps == std::vector<int>(6, 0));
  check_table(xdream::rig::read_responses(file, {}), content);
}

TEST_CASE("a .h5 without stim_ids: rows are images in sorted order, or as `indices` say") {
  TempDir dir;
  auto content = block_content(3, 2);
  const std::vector<std::string> sorted = content.names;
  content.names.clear();
  content.channels.clear();
  const std::vector<std::string> shuffled = {sorted[2], sorted[0], sorted[1]};
  const auto file = dir / "block007.h5";
  xdream_fakerig::write_h5(file, content);

  SUBCASE("row i is image i of the sorted file names") {
    const auto table = xdream::rig::read_h5_responses(file, shuffled);
    CHECK(table.names == sorted);
    CHECK(same_values(table.values, content.values));
  }
  SUBCASE("fewer images than rows is refused") {
    const auto e = error_of([&] { xdream::rig::read_h5_responses(file, {sorted[0]}); });
    CHECK(contains(e.what(), "variable scores has 3 rows but the block has 1 images"));
  }
  SUBCASE("indices into the sorted file names") {
    const std::vector<long long> indices = {2, 2, 0};
    replace_dataset(file, "indices", H5T_NATIVE_LLONG, {3}, indices.data(), nullptr);
    const auto table = xdream::rig::read_h5_responses(file, shuffled);
    CHECK(table.names == std::vector<std::string>{sorted[2], sorted[2], sorted[0]});
    CHECK(table.reps == std::vector<int>{0, 1, 0});
  }
  SUBCASE("an index outside the block") {
    const std::vector<long long> indices = {0, 3, -1};
    replace_dataset(file, "indices", H5T_NATIVE_LLONG, {3}, indices.data(), nullptr);
    const auto e = error_of([&] { xdream::rig::read_h5_responses(file, shuffled); });
    CHECK_FALSE(e.retryable());
    CHECK(contains(e.what(),
                   "variable indices entry 1 is 3, not an index into the block's 3 "
                   "images"));
  }
  SUBCASE("indices of the wrong count") {
    const std::vector<long long> indices = {0, 1};
    replace_dataset(file, "indices", H5T_NATIVE_LLONG, {2}, indices.data(), nullptr);
    const auto e = error_of([&] { xdream::rig::read_h5_responses(file, shuffled); });
    CHECK(contains(e.what(), "variable indices has HDF5 shape (2,): expected 3 integers"));
  }
}

TEST_CASE("a .h5 with fixed-length (h5py bytes) strings") {
  TempDir dir;
  auto content = block_content(2, 1);
  const auto file = dir / "block007.h5";
  xdream_fakerig::write_h5(file, content);
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), 40);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  std::vector<char> ids(80, '\0');
  std::copy(content.names[0].begin(), content.names[0].end(), ids.begin());
  std::copy(content.names[1].begin(), content.names[1].end(), ids.begin() + 40);
  replace_dataset(file, "stim_ids", type.get(), {2}, ids.data(), nullptr);
  check_table(xdream::rig::read_h5_responses(file, {}), content);
}

TEST_CASE("a .h5 with a wrong shape, type or size is refused") {
  TempDir dir;
  const auto content = block_content(4, 2);
  const auto file = dir / "block007.h5";
  xdream_fakerig::write_h5(file, content);

  SUBCASE("stim_ids of the wrong count") {
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), 4);
    const char ids[12] = {'a', 0, 0, 0, 'b', 0, 0, 0, 'c', 0, 0, 0};
    replace_dataset(file, "stim_ids", type.get(), {3}, ids, nullptr);
    const auto e = error_of([&] { xdream::rig::read_h5_responses(file, {}); });
    CHECK(contains(e.what(), "variable stim_ids has HDF5 shape (3,): expected 4 strings"));
  }
  SUBCASE("channels of the wrong count") {
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), 4);
    const char labels[4] = {'a', 0, 0, 0};
    replace_dataset(file, "channels", type.get(), {1}, labels, nullptr);
    const auto e = error_of([&] { xdream::rig::read_h5_responses(file, {}); });
    CHECK(contains(e.what(), "variable channels has HDF5 shape (1,): expected 2 strings"));
  }
  SUBCASE("no scores") {
    Handle handle = open_rw(file);
    H5Ldelete(handle.get(), "scores", H5P_DEFAULT);
    handle = Handle();
    const auto e = error_of([&] { xdream::rig::read_h5_responses(file, {}); });
    CHECK_FALSE(e.retryable());
    CHECK(contains(e.what(), "has no variable scores"));
  }
  SUBCASE("scores larger than the file can hold (unwritten chunks)") {
    replace_dataset(file, "scores", H5T_NATIVE_DOUBLE, {hsize_t{1} << 20, hsize_t{1} << 16});
    const auto e = error_of([&] { xdream::rig::read_h5_responses(file, {}); });
    CHECK_FALSE(e.retryable());
    CHECK(contains(e.what(), "variable scores is larger than the file can hold"));
  }
  SUBCASE("scores of three dimensions") {
    replace_dataset(file, "scores", H5T_NATIVE_DOUBLE, {4, 2, 2});
    const auto e = error_of([&] { xdream::rig::read_h5_responses(file, {}); });
    CHECK(contains(e.what(), "variable scores has HDF5 shape (4, 2, 2): expected (n, channels)"));
  }
  SUBCASE("truncated: retryable") {
    const auto bytes = file_bytes(file);
    write_bytes(file, bytes, bytes.size() / 2);
    CHECK(error_of([&] { xdream::rig::read_h5_responses(file, {}); }).retryable());
  }
}

// --- .json -------------------------------------------------------------------------------------

TEST_CASE("a .json round trip: the RESULT message") {
  TempDir dir;
  auto content = block_content(5, 2);
  content.names[3] = content.names[0];
  content.reps = {0, 0, 0, 1, 0};
  content.final = false;
  content.attempt = 2;
  const auto file = dir / "block007.json";
  xdream_fakerig::write_json(file, content);
  const auto table = xdream::rig::read_json_responses(file);
  check_table(table, content);
  CHECK(table.reps == content.reps);
  CHECK(table.session == "3fa2c9d1");
  CHECK(table.block == 7);
  CHECK(table.attempt == 2);
  CHECK_FALSE(table.final);
  CHECK(std::isnan(table.values(1, 0)));
  check_table(xdream::rig::read_responses(file, {}), content);
}

TEST_CASE("a .json that is truncated, malformed or not a RESULT is refused") {
  TempDir dir;
  const auto file = dir / "block007.json";
  const auto write = [&](const std::string& text) {
    write_bytes(file, std::vector<char>(text.begin(), text.end()), text.size());
  };
  const auto refused = [&] { return error_of([&] { xdream::rig::read_json_responses(file); }); };
  const std::string good =
      R"({"type": "RESULT", "v": 1, "session": "3fa2c9d1", "block_id": 7, "attempt": 1, )"
      R"("channels": ["ch17"], "responses": [{"stim_id": "3fa2c9d1-g5-3", "rep": 0, )"
      R"("values": [12.5]}], "final": true})";
  write(good);
  CHECK(xdream::rig::read_json_responses(file).values(0, 0) == 12.5);

  // Every prefix of a good message is what a file still being written shows: retryable.
  for (std::size_t length = 0; length < good.size(); ++length) {
    CAPTURE(length);
    write(good.substr(0, length));
    CHECK(refused().retryable());
  }
  const auto not_retryable = [&](const std::string& text, const std::string& message) {
    CAPTURE(text);
    write(text);
    const auto e = refused();
    CHECK_FALSE(e.retryable());
    CHECK(contains(e.what(), message));
  };
  not_retryable(R"({"type": "RESULT", "v": 1, "responses": []} x)", "is not valid JSON");
  not_retryable(R"([1, 2])", "is not a JSON object");
  not_retryable(R"({"type": "HELLO", "v": 1, "responses": []})", "is not a RESULT message");
  not_retryable(R"({"type": "RESULT", "v": 2, "responses": []})", "version 2");
  not_retryable(R"({"type": "RESULT", "responses": []})", "has no \"v\"");
  not_retryable(R"({"type": "RESULT", "v": 1})", "has no \"responses\"");
  not_retryable(R"({"type": "RESULT", "v": 1, "v": 1, "responses": []})",
                "the key \"v\" is repeated");
  not_retryable(R"({"type": "RESULT", "v": 1, "channels": ["a", "b"], "responses": [)"
                R"({"stim_id": "x", "values": [1]}]})",
                "\"responses\"[0].values has 1 values for 2 channels");
  not_retryable(R"({"type": "RESULT", "v": 1, "responses": [{"stim_id": "x", "rep": -1, )"
                R"("values": [1]}]})",
                "\"responses\"[0].rep is -1");
  not_retryable(R"({"type": "RESULT", "v": 1, "responses": [{"stim_id": 5, "values": [1]}]})",
                "\"responses\"[0].stim_id is not a string");
  not_retryable(R"({"type": "RESULT", "v": 1, "responses": [{"stim_id": "x", "values": ["1"]}]})",
                "\"responses\"[0].values[0] is not a number or null");
  not_retryable(R"({"type": "RESULT", "v": 1, "responses": [{"stim_id": "x", "values": [1e999]}]})",
                "number overflow");
  not_retryable(R"({"type": "RESULT", "v": 1, "final": "yes", "responses": []})",
                "\"final\" is not true or false");
  not_retryable(R"({"type": "RESULT", "v": 1.5, "responses": []})", "\"v\" is not an integer");
  not_retryable(std::string(100000, '[') + std::string(100000, ']'), "nests arrays or objects");
  not_retryable("{\"type\": \"RESULT\", \"v\": 1, \"responses\": [], \"session\": \"\xFF\"}",
                "is not valid JSON");
}

TEST_CASE(
    "a .json without reps counts them by order of appearance; without channels sizes by "
    "the values") {
  TempDir dir;
  const auto file = dir / "block007.json";
  const std::string text =
      R"({"type": "RESULT", "v": 1, "responses": [{"stim_id": "a", "values": [1, null]}, )"
      R"({"stim_id": "a", "values": [2, 3]}, {"stim_id": "b", "values": [4, 5]}]})";
  write_bytes(file, std::vector<char>(text.begin(), text.end()), text.size());
  const auto table = xdream::rig::read_json_responses(file);
  CHECK(table.reps == std::vector<int>{0, 1, 0});
  CHECK(table.channels.empty());
  CHECK(table.values.rows() == 3);
  CHECK(table.values.cols() == 2);
  CHECK(std::isnan(table.values(0, 1)));
  CHECK(table.final);
  CHECK_FALSE(table.block);
}

TEST_CASE("read_responses refuses an extension it does not know") {
  TempDir dir;
  const auto file = dir / "block007.csv";
  write_bytes(file, {'1'}, 1);
  const auto e = error_of([&] { xdream::rig::read_responses(file, {}); });
  CHECK_FALSE(e.retryable());
  CHECK(contains(e.what(), "is not a response file"));
}

// --- names ---------------------------------------------------------------------------------------

TEST_CASE("match_stimulus: Windows and POSIX paths, bare ids, loose names, never by position") {
  const std::vector<std::string> files = {"block007_000_3fa2c9d1-g5-3.png",
                                          "block007_001_ref-face_01.png",
                                          "block007_002_3fa2c9d1-g5-12.png"};
  const std::vector<std::string> ids = {"3fa2c9d1-g5-3", "ref-face_01", "3fa2c9d1-g5-12"};
  using xdream::rig::match_stimulus;
  const auto match = [&](std::string_view shown) { return match_stimulus(shown, files, ids); };

  // Strict: the last path component is a file name or an id.
  CHECK(match("N:\\Stimuli\\session\\block007_000_3fa2c9d1-g5-3.png") == "3fa2c9d1-g5-3");
  CHECK(match("N:/Stimuli/session/block007_001_ref-face_01.png") == "ref-face_01");
  CHECK(match("/mnt/rig/stimuli/block007_002_3fa2c9d1-g5-12.png") == "3fa2c9d1-g5-12");
  CHECK(match("block007_002_3fa2c9d1-g5-12.png") == "3fa2c9d1-g5-12");
  CHECK(match("3fa2c9d1-g5-12") == "3fa2c9d1-g5-12");
  CHECK(match("C:\\x\\ref-face_01") == "ref-face_01");

  // Loose: without the extension, without the blockNNN_MMM_ prefix, either, or both.
  CHECK(match("block007_000_3fa2c9d1-g5-3") == "3fa2c9d1-g5-3");
  CHECK(match("N:\\Stimuli\\3fa2c9d1-g5-3.png") == "3fa2c9d1-g5-3");
  CHECK(match("3fa2c9d1-g5-12.bmp") == "3fa2c9d1-g5-12");
  CHECK(match("block008_017_3fa2c9d1-g5-3.png") == "3fa2c9d1-g5-3");  // another block's name
  CHECK(match("block1234_1000_ref-face_01.png") == "ref-face_01");
  CHECK(match("  block007_000_3fa2c9d1-g5-3.png  ") == "3fa2c9d1-g5-3");  // MATLAB's padding

  // No match: another session, a prefix of an id, an empty name, a position.
  CHECK_FALSE(match("block007_000_0badcafe-g5-3.png"));
  CHECK_FALSE(match("3fa2c9d1-g5-1"));
  CHECK_FALSE(match("3fa2c9d1-g5-123"));
  CHECK_FALSE(match(""));
  CHECK_FALSE(match("N:\\Stimuli\\"));
  CHECK_FALSE(match("0"));
  CHECK_FALSE(match("block007_000_"));
  CHECK_FALSE(match("BLOCK007_000_3FA2C9D1-G5-3.PNG"));
  CHECK_FALSE(match("block07_000_3fa2c9d1-g5-3.png"));  // a 2-digit block is no prefix

  CHECK_THROWS_AS(match_stimulus("x", files, {"a"}), std::invalid_argument);
}
