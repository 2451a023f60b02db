#pragma once
/// @file
/// The response files a rig writes back (docs/rig-files.md): `blockNNN.mat` (MATLAB v7.3, read
/// through HDF5's C library), `blockNNN.h5` and `blockNNN.json`, each read into one
/// ResponseTable. Link xdream::rig (libhdf5, nlohmann-json).
///
/// The readers never trust a size: every dataset's shape is checked against the file and the
/// block before anything is allocated, and a file that is not what its name says is a
/// ResponseFileError naming the file, the variable and the shape, never a crash. HDF5's own parser
/// can crash or loop forever on damaged bytes, so .mat and .h5 files are parsed in a forked child
/// process with a time limit (on POSIX systems; elsewhere in the caller's process), with HDF5's
/// error printing silenced there. The readers are not meant to be called from several threads at
/// once (HDF5 is not thread-safe as Debian builds it).

#include <xdream/rig/detail/child.hpp>
#include <xdream/rig/detail/hdf5.hpp>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace xdream::rig {

/// A response file that cannot be read. `retryable()` says whether reading it again later may
/// succeed (a file still being written: truncated, or not yet a complete HDF5 file) or not (a
/// complete file of the wrong content: a missing variable, a wrong shape).
class ResponseFileError : public std::runtime_error {
 public:
  ResponseFileError(const std::filesystem::path& file, const std::string& what, bool retryable)
      : std::runtime_error("response file " + file.string() + ": " + what), retryable_(retryable) {}
  bool retryable() const noexcept { return retryable_; }

 private:
  bool retryable_;
};

/// One response file's content, as the rig wrote it.
struct ResponseTable {
  /// Per row (one presentation): the stimulus as the rig named it (a file name, a path, or a
  /// stimulus id), unmatched.
  std::vector<std::string> names;
  /// Per row: the repetition (0 for the first presentation of a name in this file, 1 for the
  /// second ...), or as the file says (.json).
  std::vector<int> reps;
  /// Channel labels, one per column; empty when the file names none.
  std::vector<std::string> channels;
  /// rows x channels; NaN = no response.
  Eigen::MatrixXd values;
  /// .mat only: the file had tEvokedResp as N x channels (MATLAB's view) and was transposed.
  bool transposed = false;
  /// .json only: what the RESULT says of itself.
  std::optional<std::string> session;
  std::optional<long long> block;
  std::optional<long long> attempt;
  bool final = true;
};

/// Reads `blockNNN.mat` (MATLAB v7.3): `stimulusID` (cell of char, N x 1 or 1 x N, strings
/// stored as MATLAB and matio write them, or as h5py's null-padded fixed-length strings),
/// `tEvokedResp` (double; HDF5 shape (N, C), or (C, N) when only that fits the N names: then
/// `transposed`), optional `channelLabels` (cell of char).
inline ResponseTable read_mat_responses(const std::filesystem::path& file);

/// Reads `blockNNN.h5`: `scores` (n x C), optional `stim_ids` (n strings) or `indices` (n
/// integers into `image_files`, the block's image file names sorted ascending; without either,
/// row i is image i), optional `channels` (C strings). Names are the file names or stim ids.
inline ResponseTable read_h5_responses(const std::filesystem::path& file,
                                       const std::vector<std::string>& image_files);

/// Reads `blockNNN.json`: the RESULT message (docs/rig-protocol.md).
inline ResponseTable read_json_responses(const std::filesystem::path& file);

/// The responses of a parsed RESULT message (a file's or a socket's). Throws
/// detail::JsonContent, or nlohmann::json::exception, naming what is wrong.
inline ResponseTable result_table(const nlohmann::json& root);

/// Reads whichever format `file`'s extension names (.mat, .h5, .json).
inline ResponseTable read_responses(const std::filesystem::path& file,
                                    const std::vector<std::string>& image_files);

/// How a rig's name for an image is matched to a stimulus id: `strict` takes the last path
/// component (`/` or `\`) and needs it to be the image's file name or the id itself;
/// `loose` also strips the extension and the `blockNNN_MMM_` prefix.
enum class NameMatch { strict, loose };

/// The stimulus id that `shown` names, given the block's (file name, stim id) pairs; nothing
/// when it names none of them. Strict first, then loose.
inline std::optional<std::string> match_stimulus(std::string_view shown,
                                                 const std::vector<std::string>& files,
                                                 const std::vector<std::string>& stim_ids);

// ------------------------------------------------------------------------------------------------
// Implementation.

namespace detail {

/// Lowercase ASCII.
inline std::string ascii_lower(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

/// The file's size, after checking that it is a regular file. A missing file may yet appear (a
/// rig renaming it into place), so that is retryable; a directory or a FIFO never becomes a
/// response file (and opening a FIFO would block).
inline std::uintmax_t regular_file_size(const std::filesystem::path& file) {
  std::error_code error;
  const auto status = std::filesystem::status(file, error);
  if (error || !std::filesystem::exists(status))
    throw ResponseFileError(file, "does not exist", true);
  if (!std::filesystem::is_regular_file(status))
    throw ResponseFileError(file, "is not a regular file", false);
  const auto size = std::filesystem::file_size(file, error);
  if (error) throw ResponseFileError(file, "cannot be read: " + error.message(), true);
  if (size == 0) throw ResponseFileError(file, "is empty (still being written?)", true);
  return size;
}

/// A MAT-file's 128-byte header says its version: v5/v7 files are not HDF5 and never become
/// readable, so they are refused at once (a file without the header is left to HDF5).
inline void check_mat_header(const std::filesystem::path& file, std::uintmax_t size) {
  if (size < 128) return;
  std::ifstream in(file, std::ios::binary);
  char header[128] = {};
  if (!in.read(header, sizeof header)) return;
  if (std::string_view(header, 6) != "MATLAB") return;
  const auto byte = [&](int i) {
    return static_cast<unsigned>(static_cast<unsigned char>(header[i]));
  };
  unsigned version = 0;
  if (header[126] == 'I' && header[127] == 'M')
    version = byte(124) | (byte(125) << 8);
  else if (header[126] == 'M' && header[127] == 'I')
    version = (byte(124) << 8) | byte(125);
  else
    return;
  if (version == 0x0100)
    throw ResponseFileError(file,
                            "is a MATLAB v5/v7 MAT-file, not v7.3 (HDF5): the rig must save it "
                            "with save(..., '-v7.3')",
                            false);
}

/// Opens `file` read-only through HDF5 (a .mat's 512-byte MATLAB header is an HDF5 user block,
/// which HDF5 skips). File locking is off: the exchange directory is often a network share,
/// where locks fail, and the reader never writes.
inline Handle open_hdf5(const std::filesystem::path& file) {
  Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!access.valid()) throw ResponseFileError(file, "HDF5 cannot be initialised", true);
  H5Pset_fclose_degree(access.get(), H5F_CLOSE_STRONG);
#if (H5_VERSION_GE(1, 10, 7) && !H5_VERSION_GE(1, 12, 0)) || H5_VERSION_GE(1, 12, 1)
  H5Pset_file_locking(access.get(), false, true);
#endif
  Handle handle(H5Fopen(file.c_str(), H5F_ACC_RDONLY, access.get()), H5Fclose);
  if (!handle.valid())
    throw ResponseFileError(file,
                            "cannot be opened as HDF5 (still being written, truncated, or not an "
                            "HDF5 file)",
                            true);
  return handle;
}

/// "2 x 3": a shape as MATLAB shows it (HDF5's dimensions reversed).
inline std::string matlab_shape_text(const std::vector<hsize_t>& dims) {
  if (dims.empty()) return "1 x 1";
  std::string text;
  for (std::size_t i = dims.size(); i-- > 0;) {
    text += std::to_string(dims[i]);
    if (i > 0) text += " x ";
  }
  if (dims.size() == 1) text += " x 1";
  return text;
}

/// "variable tEvokedResp is 2 x 3 in MATLAB's view (HDF5 shape (3, 2))".
inline std::string shape_phrase(const Dataset& d) {
  return d.what + " is " + matlab_shape_text(d.dims) + " in MATLAB's view (HDF5 shape " +
         shape_text(d.dims) + ")";
}

/// The number of elements of a vector-shaped dataset (a scalar, rank 1, or rank 2 with one
/// dimension 1 or 0); nothing for any other shape.
inline std::optional<hsize_t> vector_length(const std::vector<hsize_t>& dims) {
  if (dims.empty()) return 1;
  if (dims.size() == 1) return dims[0];
  if (dims.size() == 2 && (dims[0] == 1 || dims[1] == 1)) return dims[0] * dims[1];
  if (dims.size() == 2 && (dims[0] == 0 || dims[1] == 0)) return 0;
  return std::nullopt;
}

/// Refuses a dataset that is not integer or IEEE floating point of an ordinary size.
inline void require_numeric(const Dataset& d) {
  const H5T_class_t type_class = d.type_class();
  const std::size_t size = H5Tget_size(d.type.get());
  const bool integer =
      type_class == H5T_INTEGER && (size == 1 || size == 2 || size == 4 || size == 8);
  const bool floating = type_class == H5T_FLOAT && (size == 4 || size == 8);
  if (!integer && !floating) content_error(d.what + " is not numeric (integer or float)");
}

/// A MATLAB char array (one cell entry): uint16 code units, shape (length, 1); h5py may write a
/// string instead. MATLAB writes an empty char as its dimensions, flagged MATLAB_empty.
inline std::string read_char_entry(const Dataset& entry, Budget& budget) {
  const auto matlab_class = string_attribute(entry.dataset.get(), "MATLAB_class", entry.what);
  if (matlab_class && *matlab_class != "char")
    content_error(entry.what + " is a MATLAB " + *matlab_class + ", not char");
  if (matlab_empty(entry.dataset.get(), entry.what)) return {};
  const H5T_class_t type_class = entry.type_class();
  if (type_class == H5T_STRING) {
    if (entry.elements() != 1)
      content_error(entry.what + " holds " + std::to_string(entry.elements()) +
                    " strings, not one (HDF5 shape " + shape_text(entry.dims) + ")");
    return read_string_elements(entry, 1, budget).front();
  }
  if (type_class != H5T_INTEGER || H5Tget_size(entry.type.get()) > 8)
    content_error(entry.what + " is neither MATLAB char codes nor a string");
  const auto length = vector_length(entry.dims);
  if (!length)
    content_error(entry.what + " is a char matrix of several rows, HDF5 shape " +
                  shape_text(entry.dims));
  if (*length > max_string_length)
    content_error(entry.what + " is " + std::to_string(*length) + " characters long, more than " +
                  std::to_string(max_string_length));
  budget.take(*length, sizeof(std::uint32_t), entry.what);
  std::vector<std::uint32_t> units(*length);
  read_all(entry, H5T_NATIVE_UINT32, units);
  return utf16_to_utf8(units);
}

/// Reads a cell array of char (`stimulusID`, `channelLabels`): object references, each to a
/// dataset hard-linked in `#refs#` (or the file's root), each an N x 1 or 1 x N MATLAB char.
/// Nothing when the variable is absent.
class CellReader {
 public:
  CellReader(hid_t file, Budget& budget) : file_(file), budget_(budget) {}

  std::optional<std::vector<std::string>> read(const char* name) {
    const std::string what = std::string("variable ") + name;
    auto d = open_dataset(file_, name, what);
    if (!d) return std::nullopt;
    const auto matlab_class = string_attribute(d->dataset.get(), "MATLAB_class", what);
    if (matlab_class && *matlab_class != "cell")
      content_error(what + " is a MATLAB " + *matlab_class + ", not a cell array of char");
    if (matlab_empty(d->dataset.get(), what)) return std::vector<std::string>{};
    if (d->type_class() != H5T_REFERENCE || H5Tequal(d->type.get(), H5T_STD_REF_OBJ) <= 0)
      content_error(what + " is not a cell array (its elements are not object references)");
    const auto length = vector_length(d->dims);
    if (!length) content_error(shape_phrase(*d) + ": expected N x 1 or 1 x N");
    if (*length > max_rows)
      content_error(shape_phrase(*d) + ": more than " + std::to_string(max_rows) + " entries");
    budget_.take(*length, sizeof(hobj_ref_t), what);
    std::vector<hobj_ref_t> refs(*length);
    read_all(*d, H5T_STD_REF_OBJ, refs);

    const auto& known = known_objects();
    std::vector<std::string> strings;
    strings.reserve(refs.size());
    for (std::size_t i = 0; i < refs.size(); ++i) {
      const std::string entry_what = what + " entry " + std::to_string(i + 1);
      if (!std::binary_search(known.begin(), known.end(), refs[i]))
        content_error(entry_what +
                      ": its reference points to nothing in the file's #refs# group or among "
                      "its variables");
      Handle object(H5Rdereference2(d->dataset.get(), H5P_DEFAULT, H5R_OBJECT, &refs[i]),
                    close_object);
      if (!object.valid()) io_error(entry_what + ": its reference cannot be followed");
      if (H5Iget_type(object.get()) != H5I_DATASET)
        content_error(entry_what + " is not a dataset (a nested cell or struct?)");
      strings.push_back(read_char_entry(adopt_dataset(std::move(object), entry_what), budget_));
    }
    return strings;
  }

 private:
  const std::vector<hobj_ref_t>& known_objects() {
    if (!known_) known_ = cell_targets(file_);
    return *known_;
  }

  hid_t file_;
  Budget& budget_;
  std::optional<std::vector<hobj_ref_t>> known_;
};

/// reps: 0 for the first row of a name, 1 for its second ...
inline std::vector<int> repetitions(const std::vector<std::string>& names) {
  // Sorted stably by name, equal names stay in file order: each one's rep is its predecessor's
  // plus one.
  std::vector<std::size_t> order(names.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return names[a] < names[b]; });
  std::vector<int> reps(names.size(), 0);
  for (std::size_t k = 1; k < order.size(); ++k)
    if (names[order[k]] == names[order[k - 1]]) reps[order[k]] = reps[order[k - 1]] + 1;
  return reps;
}

/// Reads a numeric dataset of HDF5 shape (rows, columns), row-major, as a rows x columns matrix
/// (transposed: as columns x rows).
inline Eigen::MatrixXd read_matrix(const Dataset& d, hsize_t rows, hsize_t columns, bool transposed,
                                   Budget& budget) {
  budget.take(rows * columns, sizeof(double), d.what);
  std::vector<double> data(rows * columns);
  read_all(d, H5T_NATIVE_DOUBLE, data);
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMajor> stored(data.data(), static_cast<Eigen::Index>(rows),
                                          static_cast<Eigen::Index>(columns));
  if (transposed) return stored.transpose();
  return stored;
}

/// How long a child process may take to read one HDF5 file (a response file is kilobytes: it
/// takes milliseconds), and whether HDF5 files are read in a child process at all (tests switch it
/// off to watch HDF5's error handling in their own process).
inline std::chrono::milliseconds hdf5_time_limit{10000};
inline bool hdf5_in_child = true;

/// A ResponseTable (or a ResponseFileError) as bytes, from the child process that read the file
/// to its parent.
class TableCodec {
 public:
  static std::string table(const ResponseTable& t) {
    std::string out = "T";
    put(out, t.names.size());
    for (const auto& name : t.names) put(out, name);
    put(out, t.reps.size());
    for (int rep : t.reps) put(out, static_cast<std::uint64_t>(static_cast<std::uint32_t>(rep)));
    put(out, t.channels.size());
    for (const auto& channel : t.channels) put(out, channel);
    put(out, static_cast<std::uint64_t>(t.values.rows()));
    put(out, static_cast<std::uint64_t>(t.values.cols()));
    out.append(reinterpret_cast<const char*>(t.values.data()),
               static_cast<std::size_t>(t.values.size()) * sizeof(double));
    out.push_back(t.transposed ? '1' : '0');
    return out.append(end_mark);
  }

  static std::string error(const std::string& message, bool retryable) {
    std::string out(1, retryable ? 'R' : 'N');
    put(out, message);
    return out.append(end_mark);
  }

  /// The table, or the error thrown again; a damaged message is an error of its own.
  static ResponseTable decode(const std::filesystem::path& file, std::string_view bytes) {
    const auto damaged = [&] {
      return ResponseFileError(file, "the process reading it answered nothing whole", false);
    };
    if (bytes.size() < 1 + end_mark.size() ||
        bytes.substr(bytes.size() - end_mark.size()) != end_mark)
      throw damaged();
    const char kind = bytes.front();
    std::string_view rest = bytes.substr(1, bytes.size() - 1 - end_mark.size());
    if (kind == 'R' || kind == 'N') {
      std::string message;
      if (!get(rest, message)) throw damaged();
      throw ResponseFileError(file, message, kind == 'R');
    }
    ResponseTable t;
    std::uint64_t count = 0, rows = 0, cols = 0;
    if (kind != 'T' || !get(rest, count)) throw damaged();
    for (std::uint64_t i = 0; i < count; ++i)
      if (!get(rest, t.names.emplace_back())) throw damaged();
    if (!get(rest, count)) throw damaged();
    for (std::uint64_t i = 0, rep = 0; i < count; ++i) {
      if (!get(rest, rep)) throw damaged();
      t.reps.push_back(static_cast<int>(static_cast<std::uint32_t>(rep)));
    }
    if (!get(rest, count)) throw damaged();
    for (std::uint64_t i = 0; i < count; ++i)
      if (!get(rest, t.channels.emplace_back())) throw damaged();
    if (!get(rest, rows) || !get(rest, cols) || (cols != 0 && rows > rest.size() / 8 / cols))
      throw damaged();
    const std::size_t value_bytes = static_cast<std::size_t>(rows * cols) * sizeof(double);
    if (rest.size() != value_bytes + 1) throw damaged();
    t.values.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    if (value_bytes > 0) std::memcpy(t.values.data(), rest.data(), value_bytes);
    t.transposed = rest.back() == '1';
    return t;
  }

 private:
  static constexpr std::string_view end_mark = "\nend of table\n";

  static void put(std::string& out, std::uint64_t value) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  }
  static void put(std::string& out, const std::string& text) {
    put(out, static_cast<std::uint64_t>(text.size()));
    out += text;
  }
  static bool get(std::string_view& in, std::uint64_t& value) {
    if (in.size() < 8) return false;
    value = 0;
    for (int i = 0; i < 8; ++i)
      value |=
          static_cast<std::uint64_t>(static_cast<unsigned char>(in[static_cast<std::size_t>(i)]))
          << (8 * i);
    in.remove_prefix(8);
    return true;
  }
  static bool get(std::string_view& in, std::string& text) {
    std::uint64_t size = 0;
    if (!get(in, size) || size > in.size()) return false;
    text.assign(in.substr(0, static_cast<std::size_t>(size)));
    in.remove_prefix(static_cast<std::size_t>(size));
    return true;
  }
};

/// A file's size and modification time: whether it changed while it was read.
inline std::pair<std::uintmax_t, std::filesystem::file_time_type> file_state(
    const std::filesystem::path& file) {
  std::error_code error;
  const auto size = std::filesystem::file_size(file, error);
  const auto time = std::filesystem::last_write_time(file, error);
  return {error ? 0 : size, error ? std::filesystem::file_time_type{} : time};
}

/// Reads an HDF5 file with `body`, in a child process (detail/child.hpp) so that HDF5 failing on
/// damaged bytes (a crash, an endless loop) becomes a ResponseFileError. HDF5's error printing is
/// silenced while it reads, and its failures become ResponseFileErrors: what HDF5 cannot read
/// (missing or damaged bytes: a file still being written) is retryable, a complete file of the
/// wrong content is not. A crash or a hang is retryable only when the file changed meanwhile.
template <class Body>
ResponseTable with_hdf5_file(const std::filesystem::path& file, Body body) {
  const auto size = regular_file_size(file);
  if (ascii_lower(file.extension().string()) == ".mat") check_mat_header(file, size);
  const auto read_here = [&]() -> ResponseTable {
    SilenceErrors quiet;
    try {
      Handle handle = open_hdf5(file);
      Budget budget(size);
      return body(handle.get(), budget);
    } catch (const H5Failure& failure) {
      throw ResponseFileError(file, failure.what(), failure.io());
    } catch (const std::bad_alloc&) {
      throw ResponseFileError(file, "is too large to read into memory", false);
    }
  };
  if (!hdf5_in_child) return read_here();

  const auto before = file_state(file);
  const std::string prefix = "response file " + file.string() + ": ";
  const ChildResult child = run_in_child(
      [&]() -> std::string {
        try {
          return TableCodec::table(read_here());
        } catch (const ResponseFileError& e) {
          std::string message = e.what();
          if (message.compare(0, prefix.size(), prefix) == 0) message.erase(0, prefix.size());
          return TableCodec::error(message, e.retryable());
        } catch (const std::exception& e) {
          return TableCodec::error(std::string("cannot be read: ") + e.what(), false);
        }
      },
      hdf5_time_limit);
  switch (child.status) {
    case ChildResult::Status::not_started:
      return read_here();
    case ChildResult::Status::done:
      return TableCodec::decode(file, child.output);
    case ChildResult::Status::crashed:
    case ChildResult::Status::timed_out:
      break;
  }
  const bool changed = file_state(file) != before;
  const std::string what =
      child.status == ChildResult::Status::timed_out
          ? "did not finish within " + std::to_string(hdf5_time_limit.count()) + " ms"
          : "crashed" + (child.signal != 0 ? " (signal " + std::to_string(child.signal) + ")" : "");
  throw ResponseFileError(file,
                          "is damaged: the HDF5 library reading it " + what +
                              (changed ? " (the file changed meanwhile)" : ""),
                          changed);
}

/// The file's size, read whole for JSON, never more than 64 MiB.
inline std::string read_text_file(const std::filesystem::path& file) {
  constexpr std::uintmax_t limit = std::uintmax_t{64} << 20;
  const auto size = regular_file_size(file);
  if (size > limit)
    throw ResponseFileError(file,
                            "is " + std::to_string(size) +
                                " bytes, more than a RESULT can "
                                "be (" +
                                std::to_string(limit) + ")",
                            false);
  std::ifstream in(file, std::ios::binary);
  std::string text(static_cast<std::size_t>(size), '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(size)))
    throw ResponseFileError(file, "cannot be read whole (truncated while reading?)", true);
  return text;
}

/// What a scan of JSON text outside its strings finds: the deepest nesting of arrays and objects
/// (bounded before parsing, so that no input can exhaust the stack), and whether the text stops
/// inside a value (a string or an array or object left open) or before any: what a file still
/// being written shows.
struct JsonScan {
  std::size_t deepest = 0;
  bool unfinished = true;
};

inline JsonScan scan_json(std::string_view text) {
  JsonScan scan;
  std::size_t depth = 0;
  bool in_string = false, escaped = false, started = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') started = true;
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      scan.deepest = std::max(scan.deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  scan.unfinished = !started || in_string || depth > 0;
  return scan;
}

/// A content error of a .json file (never retryable).
struct JsonContent : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline const nlohmann::json& json_member(const nlohmann::json& object, const char* key,
                                         const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) throw JsonContent(where + " has no \"" + key + "\"");
  return *it;
}

inline long long json_integer(const nlohmann::json& value, const std::string& what) {
  if (value.is_number_integer() && !value.is_number_unsigned()) return value.get<long long>();
  if (value.is_number_unsigned() &&
      value.get<unsigned long long>() <=
          static_cast<unsigned long long>(std::numeric_limits<long long>::max()))
    return static_cast<long long>(value.get<unsigned long long>());
  throw JsonContent(what + " is not an integer (" + std::string(value.type_name()) + ")");
}

inline std::string json_string(const nlohmann::json& value, const std::string& what) {
  if (!value.is_string())
    throw JsonContent(what + " is not a string (" + std::string(value.type_name()) + ")");
  return value.get<std::string>();
}

/// The stimulus name's last path component (after the last `/` or `\`).
inline std::string_view last_component(std::string_view name) {
  const auto slash = name.find_last_of("/\\");
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

/// The loose form of a name: without surrounding white space, its extension and a leading
/// `blockNNN_MMM_` (both numbers at least 3 digits).
inline std::string_view loose_name(std::string_view name) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!name.empty() && space(name.front())) name.remove_prefix(1);
  while (!name.empty() && space(name.back())) name.remove_suffix(1);
  const auto dot = name.find_last_of('.');
  if (dot != std::string_view::npos && dot > 0) name = name.substr(0, dot);
  const auto digits = [&](std::size_t from) {
    std::size_t to = from;
    while (to < name.size() && name[to] >= '0' && name[to] <= '9') ++to;
    return to - from;
  };
  if (name.substr(0, 5) == "block") {
    const std::size_t block_digits = digits(5);
    const std::size_t after_block = 5 + block_digits;
    if (block_digits >= 3 && after_block < name.size() && name[after_block] == '_') {
      const std::size_t position_digits = digits(after_block + 1);
      const std::size_t after_position = after_block + 1 + position_digits;
      if (position_digits >= 3 && after_position < name.size() && name[after_position] == '_')
        name.remove_prefix(after_position + 1);
    }
  }
  return name;
}

}  // namespace detail

inline ResponseTable read_mat_responses(const std::filesystem::path& file) {
  using namespace detail;
  return with_hdf5_file(file, [&](hid_t handle, Budget& budget) {
    CellReader cells(handle, budget);
    ResponseTable table;
    auto names = cells.read("stimulusID");
    if (!names) content_error("has no variable stimulusID (a cell array of char)");
    table.names = std::move(*names);
    const auto n = static_cast<hsize_t>(table.names.size());

    auto responses = open_dataset(handle, "tEvokedResp", "variable tEvokedResp");
    if (!responses) content_error("has no variable tEvokedResp (channels x images, double)");
    const Dataset& d = *responses;
    const auto matlab_class = string_attribute(d.dataset.get(), "MATLAB_class", d.what);
    if (matlab_class && *matlab_class == "cell")
      content_error(d.what + " is a MATLAB cell, not a numeric matrix");

    // MATLAB's channels x N is HDF5's (N, channels); the transpose only when that alone fits.
    const std::string expected = ": expected channels x " + std::to_string(n) + " (or " +
                                 std::to_string(n) + " x channels) for " + std::to_string(n) +
                                 " stimulusID entries";
    hsize_t channels = 0;
    if (matlab_empty(d.dataset.get(), d.what)) {
      // An empty matrix is stored as its MATLAB dimensions (rows, columns) = (channels, N).
      if (d.type_class() != H5T_INTEGER || d.elements() != 2)
        content_error(d.what + " is flagged empty but does not hold its two dimensions");
      std::vector<unsigned long long> dims(2);
      read_all(d, H5T_NATIVE_ULLONG, dims);
      if (dims[1] == n && dims[0] <= max_channels) {
        channels = dims[0];
      } else if (dims[0] == n && dims[1] <= max_channels) {
        channels = dims[1];
        table.transposed = true;
      } else {
        content_error(d.what + " is an empty " + std::to_string(dims[0]) + " x " +
                      std::to_string(dims[1]) + " matrix" + expected);
      }
      table.values.resize(0, static_cast<Eigen::Index>(channels));
    } else {
      require_numeric(d);
      std::vector<hsize_t> dims = d.dims;
      if (dims.size() == 1) dims.push_back(1);  // a 1-D dataset (h5py): one channel
      if (dims.size() != 2) content_error(shape_phrase(d) + expected);
      if (dims[0] == n) {
        channels = dims[1];
      } else if (dims[1] == n) {
        channels = dims[0];
        table.transposed = true;
      } else {
        content_error(shape_phrase(d) + expected);
      }
      if (channels > max_channels)
        content_error(shape_phrase(d) + ": more than " + std::to_string(max_channels) +
                      " channels");
      table.values = read_matrix(d, dims[0], dims[1], table.transposed, budget);
    }

    if (auto labels = cells.read("channelLabels")) {
      if (labels->size() != channels)
        content_error("variable channelLabels has " + std::to_string(labels->size()) +
                      " labels for the " + std::to_string(channels) + " channels of tEvokedResp (" +
                      matlab_shape_text(d.dims) + " in MATLAB's view)");
      table.channels = std::move(*labels);
    }
    table.reps = repetitions(table.names);
    return table;
  });
}

inline ResponseTable read_h5_responses(const std::filesystem::path& file,
                                       const std::vector<std::string>& image_files) {
  using namespace detail;
  return with_hdf5_file(file, [&](hid_t handle, Budget& budget) {
    ResponseTable table;
    auto scores = open_dataset(handle, "scores", "variable scores");
    if (!scores) content_error("has no variable scores (n x channels)");
    require_numeric(*scores);
    std::vector<hsize_t> dims = scores->dims;
    if (dims.size() == 1) dims.push_back(1);
    if (dims.size() != 2)
      content_error(scores->what + " has HDF5 shape " + shape_text(scores->dims) +
                    ": expected (n, channels)");
    const hsize_t n = dims[0], channels = dims[1];
    if (n > max_rows || channels > max_channels)
      content_error(scores->what + " has HDF5 shape " + shape_text(scores->dims) + ": more than " +
                    std::to_string(max_rows) + " rows or " + std::to_string(max_channels) +
                    " channels");
    table.values = read_matrix(*scores, n, channels, false, budget);

    // A vector of n strings or integers, as `stim_ids`, `indices` or `channels` must be.
    const auto vector_of = [&](const Dataset& d, hsize_t count, const char* of_what) {
      const auto length = vector_length(d.dims);
      if (!length || *length != count)
        content_error(d.what + " has HDF5 shape " + shape_text(d.dims) + ": expected " +
                      std::to_string(count) + " " + of_what);
    };

    if (auto ids = open_dataset(handle, "stim_ids", "variable stim_ids")) {
      if (ids->type_class() != H5T_STRING) content_error(ids->what + " is not strings");
      vector_of(*ids, n, "strings, one per row of scores");
      table.names = read_string_elements(*ids, n, budget);
    } else if (auto indices = open_dataset(handle, "indices", "variable indices")) {
      if (indices->type_class() != H5T_INTEGER) content_error(indices->what + " is not integers");
      vector_of(*indices, n, "integers, one per row of scores");
      budget.take(n, sizeof(long long), indices->what);
      std::vector<long long> index(n);
      read_all(*indices, H5T_NATIVE_LLONG, index);
      std::vector<std::string> sorted = image_files;
      std::sort(sorted.begin(), sorted.end());
      for (std::size_t i = 0; i < index.size(); ++i) {
        if (index[i] < 0 || static_cast<unsigned long long>(index[i]) >= sorted.size())
          content_error(indices->what + " entry " + std::to_string(i) + " is " +
                        std::to_string(index[i]) + ", not an index into the block's " +
                        std::to_string(sorted.size()) + " images");
        table.names.push_back(sorted[static_cast<std::size_t>(index[i])]);
      }
    } else {
      if (n > image_files.size())
        content_error(scores->what + " has " + std::to_string(n) + " rows but the block has " +
                      std::to_string(image_files.size()) +
                      " images (and the file has neither stim_ids nor indices)");
      std::vector<std::string> sorted = image_files;
      std::sort(sorted.begin(), sorted.end());
      table.names.assign(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(n));
    }

    if (auto labels = open_dataset(handle, "channels", "variable channels")) {
      if (labels->type_class() != H5T_STRING) content_error(labels->what + " is not strings");
      vector_of(*labels, channels, "strings, one per column of scores");
      table.channels = read_string_elements(*labels, channels, budget);
    }
    table.reps = repetitions(table.names);
    return table;
  });
}

namespace detail {

/// Parses JSON text whose nesting is at most `max_depth` and whose objects repeat no key (JSON
/// parsers disagree on which one wins). Throws nlohmann::json::parse_error (not JSON) or
/// JsonContent.
inline nlohmann::json parse_checked_json(std::string_view text, const JsonScan& scan) {
  constexpr std::size_t max_depth = 32;
  if (scan.deepest > max_depth)
    throw JsonContent("nests arrays or objects more than " + std::to_string(max_depth) + " deep");
  std::vector<std::vector<std::string>> keys;
  const nlohmann::json::parser_callback_t check_keys =
      [&keys](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (event == nlohmann::json::parse_event_t::object_start) {
          keys.emplace_back();
        } else if (event == nlohmann::json::parse_event_t::object_end) {
          if (!keys.empty()) keys.pop_back();
        } else if (event == nlohmann::json::parse_event_t::key && !keys.empty()) {
          const auto& key = parsed.get_ref<const std::string&>();
          auto& seen = keys.back();
          if (std::find(seen.begin(), seen.end(), key) != seen.end())
            throw JsonContent("the key \"" + key + "\" is repeated in one object");
          seen.push_back(key);
        }
        return true;
      };
  return nlohmann::json::parse(text, check_keys);
}

}  // namespace detail

inline ResponseTable result_table(const nlohmann::json& root) {
  using namespace detail;
  ResponseTable table;
  if (!root.is_object()) throw JsonContent("is not a JSON object");
  const std::string where = "the RESULT";
  if (json_string(json_member(root, "type", where), "\"type\"") != "RESULT")
    throw JsonContent("is not a RESULT message (\"type\" is \"" + root["type"].get<std::string>() +
                      "\")");
  const long long version = json_integer(json_member(root, "v", where), "\"v\"");
  if (version != 1)
    throw JsonContent("is version " + std::to_string(version) + " of the RESULT message, not 1");
  if (auto it = root.find("session"); it != root.end() && !it->is_null())
    table.session = json_string(*it, "\"session\"");
  if (auto it = root.find("block_id"); it != root.end() && !it->is_null())
    table.block = json_integer(*it, "\"block_id\"");
  if (auto it = root.find("attempt"); it != root.end() && !it->is_null())
    table.attempt = json_integer(*it, "\"attempt\"");
  if (auto it = root.find("final"); it != root.end()) {
    if (!it->is_boolean()) throw JsonContent("\"final\" is not true or false");
    table.final = it->get<bool>();
  }
  std::optional<std::size_t> channels;
  if (auto it = root.find("channels"); it != root.end() && !it->is_null()) {
    if (!it->is_array()) throw JsonContent("\"channels\" is not an array");
    if (it->size() > detail::max_channels) throw JsonContent("\"channels\" is too long");
    for (std::size_t c = 0; c < it->size(); ++c)
      table.channels.push_back(json_string((*it)[c], "\"channels\"[" + std::to_string(c) + "]"));
    channels = table.channels.size();
  }
  const auto& responses = json_member(root, "responses", where);
  if (!responses.is_array()) throw JsonContent("\"responses\" is not an array");
  if (responses.size() > detail::max_rows) throw JsonContent("\"responses\" is too long");

  std::vector<std::vector<double>> rows;
  std::vector<bool> rep_given;
  for (std::size_t i = 0; i < responses.size(); ++i) {
    const std::string at = "\"responses\"[" + std::to_string(i) + "]";
    const auto& response = responses[i];
    if (!response.is_object()) throw JsonContent(at + " is not an object");
    table.names.push_back(json_string(json_member(response, "stim_id", at), at + ".stim_id"));
    int rep = 0;
    const auto rep_it = response.find("rep");
    rep_given.push_back(rep_it != response.end());
    if (rep_it != response.end()) {
      const long long value = json_integer(*rep_it, at + ".rep");
      if (value < 0 || value > std::numeric_limits<int>::max())
        throw JsonContent(at + ".rep is " + std::to_string(value) + ", not a repetition");
      rep = static_cast<int>(value);
    }
    table.reps.push_back(rep);
    const auto& values = json_member(response, "values", at);
    if (!values.is_array()) throw JsonContent(at + ".values is not an array");
    if (!channels) channels = values.size();
    if (values.size() != *channels)
      throw JsonContent(at + ".values has " + std::to_string(values.size()) + " values for " +
                        std::to_string(*channels) + " channels");
    std::vector<double> row;
    row.reserve(values.size());
    for (std::size_t c = 0; c < values.size(); ++c) {
      const auto& v = values[c];
      if (v.is_null()) {
        row.push_back(std::numeric_limits<double>::quiet_NaN());
      } else if (v.is_number()) {
        const double x = v.get<double>();
        if (!std::isfinite(x))
          throw JsonContent(at + ".values[" + std::to_string(c) + "] is not finite");
        row.push_back(x);
      } else {
        throw JsonContent(at + ".values[" + std::to_string(c) + "] is not a number or null");
      }
    }
    rows.push_back(std::move(row));
  }
  // Reps the file leaves out are counted as in .mat files: by order of appearance.
  const auto counted = detail::repetitions(table.names);
  for (std::size_t i = 0; i < table.reps.size(); ++i)
    if (!rep_given[i]) table.reps[i] = counted[i];
  table.values.resize(static_cast<Eigen::Index>(rows.size()),
                      static_cast<Eigen::Index>(channels.value_or(0)));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t c = 0; c < rows[i].size(); ++c)
      table.values(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c)) = rows[i][c];
  return table;
}

inline ResponseTable read_json_responses(const std::filesystem::path& file) {
  using namespace detail;
  const std::string text = read_text_file(file);
  const JsonScan scan = scan_json(text);
  nlohmann::json root;
  try {
    root = parse_checked_json(text, scan);
  } catch (const nlohmann::json::parse_error& e) {
    // An error at the very end of a text that stops inside a value is what a file still being
    // written shows.
    const bool truncated = e.byte >= text.size() && scan.unfinished;
    throw ResponseFileError(file, std::string("is not valid JSON: ") + e.what(), truncated);
  } catch (const JsonContent& e) {
    throw ResponseFileError(file, e.what(), false);
  } catch (const nlohmann::json::exception& e) {  // a number out of range
    throw ResponseFileError(file, std::string("is not valid JSON: ") + e.what(), false);
  }
  try {
    return result_table(root);
  } catch (const JsonContent& e) {
    throw ResponseFileError(file, e.what(), false);
  } catch (const nlohmann::json::exception& e) {
    throw ResponseFileError(file, std::string("is not a RESULT message: ") + e.what(), false);
  }
}

inline ResponseTable read_responses(const std::filesystem::path& file,
                                    const std::vector<std::string>& image_files) {
  const std::string extension = detail::ascii_lower(file.extension().string());
  if (extension == ".mat") return read_mat_responses(file);
  if (extension == ".h5") return read_h5_responses(file, image_files);
  if (extension == ".json") return read_json_responses(file);
  throw ResponseFileError(file, "is not a response file (.mat, .h5 or .json)", false);
}

inline std::optional<std::string> match_stimulus(std::string_view shown,
                                                 const std::vector<std::string>& files,
                                                 const std::vector<std::string>& stim_ids) {
  if (files.size() != stim_ids.size())
    throw std::invalid_argument("xdream::rig::match_stimulus: " + std::to_string(files.size()) +
                                " file names for " + std::to_string(stim_ids.size()) +
                                " stimulus ids");
  const std::string_view name = detail::last_component(shown);
  for (std::size_t i = 0; i < files.size(); ++i)
    if (name == files[i] || name == stim_ids[i]) return stim_ids[i];
  const std::string_view loose = detail::loose_name(name);
  if (loose.empty()) return std::nullopt;
  for (const auto& id : stim_ids)
    if (loose == id) return id;
  return std::nullopt;
}

}  // namespace xdream::rig
