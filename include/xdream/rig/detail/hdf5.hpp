#pragma once
/// @file
/// Small safe layer over HDF5's C library for the response-file readers (and the simulated rig's
/// writers): owning handles, a scope that silences HDF5's error printing, and readers of shapes,
/// string attributes, strings, numbers and object references that check every size against a
/// byte budget before allocating. Internal: the public API is xdream/rig/response_file.hpp.
///
/// Every function here reports a failure by throwing H5Failure, which says whether the HDF5
/// library could not read what the file's own structure promised (`io`: the bytes are missing or
/// damaged) or the file reads but does not hold what the format needs (`content`). The readers
/// turn it into a ResponseFileError.

#include <hdf5.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xdream::rig::detail {

/// A failure while reading through HDF5 (see the file's comment).
class H5Failure : public std::runtime_error {
 public:
  H5Failure(const std::string& what, bool io) : std::runtime_error(what), io_(io) {}
  bool io() const noexcept { return io_; }

 private:
  bool io_;
};

/// The file holds something other than what the format needs.
[[noreturn]] inline void content_error(const std::string& what) { throw H5Failure(what, false); }
/// HDF5 could not read what the file's structure promised.
[[noreturn]] inline void io_error(const std::string& what) { throw H5Failure(what, true); }

/// Owns one HDF5 identifier and closes it with the function it was given.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept
      : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      close_ = other.close_;
    }
    return *this;
  }
  ~Handle() { reset(); }

  hid_t get() const noexcept { return id_; }
  bool valid() const noexcept { return id_ >= 0; }

 private:
  void reset() noexcept {
    if (id_ >= 0 && close_ != nullptr) close_(id_);
    id_ = H5I_INVALID_HID;
  }
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

/// Closes any kind of object (dataset, group, named datatype) opened by H5Oopen or
/// H5Rdereference2.
inline herr_t close_object(hid_t id) { return H5Oclose(id); }

/// While alive, HDF5 prints nothing on stderr for the failures it reports (the readers turn them
/// into exceptions); the caller's setting comes back when it ends. HDF5 keeps this setting per
/// thread in a thread-safe build, for the whole library otherwise.
class SilenceErrors {
 public:
  SilenceErrors() {
    saved_ = H5Eget_auto2(H5E_DEFAULT, &function_, &data_) >= 0;
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  SilenceErrors(const SilenceErrors&) = delete;
  SilenceErrors& operator=(const SilenceErrors&) = delete;
  ~SilenceErrors() {
    if (saved_) H5Eset_auto2(H5E_DEFAULT, function_, data_);
  }

 private:
  H5E_auto2_t function_ = nullptr;
  void* data_ = nullptr;
  bool saved_ = false;
};

/// How many bytes a reader may still allocate for one file's content. A file's datasets may be
/// compressed, so their logical size can exceed the file's; deflate expands at most about 1032
/// times, so the budget is the file's size times 1100 plus 1 MiB, and never more than `cap`.
class Budget {
 public:
  static constexpr std::uint64_t cap = std::uint64_t{256} << 20;

  explicit Budget(std::uint64_t file_size) {
    const std::uint64_t expanded =
        file_size > cap / 1100 ? cap : file_size * 1100 + (std::uint64_t{1} << 20);
    left_ = std::min(expanded, cap);
  }

  /// Takes `count` elements of `element_size` bytes for `what`, or refuses them.
  void take(std::uint64_t count, std::uint64_t element_size, const std::string& what) {
    if (element_size != 0 && count > left_ / element_size)
      content_error(what + " is larger than the file can hold (" + std::to_string(count) +
                    " elements of " + std::to_string(element_size) + " bytes)");
    left_ -= count * element_size;
  }

 private:
  std::uint64_t left_ = 0;
};

/// The largest counts the readers accept: far above any real block (a session shows fewer than
/// ~3,000 images), far below what would exhaust memory.
inline constexpr hsize_t max_rows = hsize_t{1} << 20;
inline constexpr hsize_t max_channels = hsize_t{1} << 16;
inline constexpr hsize_t max_string_length = hsize_t{1} << 15;
inline constexpr hsize_t max_group_links = hsize_t{1} << 22;

/// "(3, 2)": a shape as HDF5 (and h5py) states it.
inline std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string text = "(";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(dims[i]);
  }
  if (dims.size() == 1) text += ",";
  return text + ")";
}

/// The number of elements of `dims`, or nothing when the product overflows 64 bits.
inline std::optional<std::uint64_t> element_count(const std::vector<hsize_t>& dims) {
  std::uint64_t count = 1;
  for (hsize_t d : dims) {
    if (d != 0 && count > std::numeric_limits<std::uint64_t>::max() / d) return std::nullopt;
    count *= d;
  }
  return count;
}

/// The shape of a dataset's or attribute's dataspace (empty for a scalar); refuses a null
/// dataspace (no data at all).
inline std::vector<hsize_t> space_shape(hid_t space, const std::string& what) {
  const H5S_class_t kind = H5Sget_simple_extent_type(space);
  if (kind == H5S_SCALAR) return {};
  if (kind == H5S_NULL) content_error(what + " holds no data (a null dataspace)");
  if (kind != H5S_SIMPLE) io_error(what + ": its dataspace cannot be read");
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0 || rank > H5S_MAX_RANK) io_error(what + ": its dataspace cannot be read");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space, dims.data(), nullptr) < 0)
    io_error(what + ": its dataspace cannot be read");
  return dims;
}

/// An open dataset with its type, dataspace and shape.
struct Dataset {
  Handle dataset;
  Handle type;
  Handle space;
  std::vector<hsize_t> dims;
  std::string what;  ///< how messages name it ("variable tEvokedResp")

  H5T_class_t type_class() const { return H5Tget_class(type.get()); }
  std::uint64_t elements() const { return element_count(dims).value_or(0); }
};

/// Reads the type, dataspace and shape of an open dataset (owned from here on).
inline Dataset adopt_dataset(Handle dataset, const std::string& what) {
  Dataset d;
  d.dataset = std::move(dataset);
  d.what = what;
  d.type = Handle(H5Dget_type(d.dataset.get()), H5Tclose);
  if (!d.type.valid()) io_error(what + ": its datatype cannot be read");
  d.space = Handle(H5Dget_space(d.dataset.get()), H5Sclose);
  if (!d.space.valid()) io_error(what + ": its dataspace cannot be read");
  d.dims = space_shape(d.space.get(), what);
  if (!element_count(d.dims))
    content_error(what + " has an impossible shape " + shape_text(d.dims));
  return d;
}

/// How `name` is linked in `group`: only hard links are followed, so a file cannot make the
/// reader open another file (an external link) or wander through soft links.
inline bool has_hard_link(hid_t group, const char* name, const std::string& what) {
  const htri_t exists = H5Lexists(group, name, H5P_DEFAULT);
  if (exists < 0) io_error(what + ": the file's links cannot be read");
  if (exists == 0) return false;
  H5L_info_t info;
  if (H5Lget_info(group, name, &info, H5P_DEFAULT) < 0)
    io_error(what + ": the file's links cannot be read");
  if (info.type != H5L_TYPE_HARD)
    content_error(what + " is a soft or external link, not a variable of this file");
  return true;
}

/// The dataset `name` of `group`, or nothing when there is none.
inline std::optional<Dataset> open_dataset(hid_t group, const char* name, const std::string& what) {
  if (!has_hard_link(group, name, what)) return std::nullopt;
  Handle object(H5Oopen(group, name, H5P_DEFAULT), close_object);
  if (!object.valid()) io_error(what + " cannot be opened");
  if (H5Iget_type(object.get()) != H5I_DATASET)
    content_error(what + " is not a dataset (a MATLAB struct, sparse matrix or object?)");
  return adopt_dataset(std::move(object), what);
}

/// The memory type to read variable-length strings of `file_type` into (`char*`): of the same
/// character set, since HDF5 converts no string between ASCII and UTF-8. Invalid on failure.
inline Handle variable_string_type(hid_t file_type) {
  Handle memory(H5Tcopy(H5T_C_S1), H5Tclose);
  const H5T_cset_t cset = H5Tget_cset(file_type);
  if (!memory.valid() || cset < 0 || H5Tset_size(memory.get(), H5T_VARIABLE) < 0 ||
      H5Tset_cset(memory.get(), cset) < 0)
    return Handle();
  return memory;
}

/// The value of a string attribute `name` of `object` (fixed-length, null-terminated as MATLAB
/// and matio write it, null- or space-padded as h5py and Fortran do, or variable-length), cut at
/// the first NUL; nothing when the attribute is absent.
inline std::optional<std::string> string_attribute(hid_t object, const char* name,
                                                   const std::string& what) {
  const htri_t exists = H5Aexists(object, name);
  if (exists < 0) io_error(what + ": its attributes cannot be read");
  if (exists == 0) return std::nullopt;
  const std::string attribute_what = what + " attribute " + name;
  Handle attribute(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  if (!attribute.valid()) io_error(attribute_what + " cannot be opened");
  Handle type(H5Aget_type(attribute.get()), H5Tclose);
  Handle space(H5Aget_space(attribute.get()), H5Sclose);
  if (!type.valid() || !space.valid()) io_error(attribute_what + " cannot be read");
  if (H5Tget_class(type.get()) != H5T_STRING) content_error(attribute_what + " is not a string");
  const auto dims = space_shape(space.get(), attribute_what);
  if (element_count(dims).value_or(0) != 1)
    content_error(attribute_what + " is not one string but shape " + shape_text(dims));

  std::string value;
  const htri_t variable = H5Tis_variable_str(type.get());
  if (variable < 0) io_error(attribute_what + " cannot be read");
  if (variable > 0) {
    Handle memory = variable_string_type(type.get());
    if (!memory.valid()) io_error(attribute_what + " cannot be read");
    char* text = nullptr;
    if (H5Aread(attribute.get(), memory.get(), &text) < 0)
      io_error(attribute_what + " cannot be read");
    if (text != nullptr) {
      value.assign(text, strnlen(text, 256));
      H5free_memory(text);
    }
  } else {
    const std::size_t size = H5Tget_size(type.get());
    if (size == 0 || size > 256) content_error(attribute_what + " is not a short string");
    // Read with the file's own type: the bytes as stored, whatever the padding.
    std::vector<char> bytes(size);
    if (H5Aread(attribute.get(), type.get(), bytes.data()) < 0)
      io_error(attribute_what + " cannot be read");
    value.assign(bytes.data(), strnlen(bytes.data(), size));
  }
  while (!value.empty() && value.back() == ' ') value.pop_back();
  return value;
}

/// Whether `object` carries MATLAB's MATLAB_empty attribute with a nonzero value (MATLAB and
/// matio write an empty array as its dimensions, flagged so).
inline bool matlab_empty(hid_t object, const std::string& what) {
  const htri_t exists = H5Aexists(object, "MATLAB_empty");
  if (exists < 0) io_error(what + ": its attributes cannot be read");
  if (exists == 0) return false;
  Handle attribute(H5Aopen(object, "MATLAB_empty", H5P_DEFAULT), H5Aclose);
  if (!attribute.valid()) io_error(what + " attribute MATLAB_empty cannot be opened");
  Handle type(H5Aget_type(attribute.get()), H5Tclose);
  Handle space(H5Aget_space(attribute.get()), H5Sclose);
  if (!type.valid() || !space.valid()) io_error(what + " attribute MATLAB_empty cannot be read");
  if (H5Tget_class(type.get()) != H5T_INTEGER ||
      element_count(space_shape(space.get(), what)).value_or(0) != 1)
    content_error(what + " attribute MATLAB_empty is not one integer");
  long long flag = 0;
  if (H5Aread(attribute.get(), H5T_NATIVE_LLONG, &flag) < 0)
    io_error(what + " attribute MATLAB_empty cannot be read");
  return flag != 0;
}

/// Appends code point `c` to `out` as UTF-8 (U+FFFD for what is not a scalar value).
inline void append_utf8(std::string& out, std::uint32_t c) {
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

/// MATLAB's char codes (UTF-16 code units, as MATLAB_int_decode = 2 says) as UTF-8; a lone
/// surrogate becomes U+FFFD.
inline std::string utf16_to_utf8(const std::vector<std::uint32_t>& units) {
  std::string out;
  out.reserve(units.size());
  for (std::size_t i = 0; i < units.size(); ++i) {
    std::uint32_t c = units[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units.size() && units[i + 1] >= 0xDC00 &&
        units[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (units[i + 1] - 0xDC00);
      ++i;
    }
    append_utf8(out, c);
  }
  return out;
}

/// Reads a whole numeric dataset converted to `memory_type` into `out` (sized by the caller
/// after the budget allowed it).
template <class T>
void read_all(const Dataset& d, hid_t memory_type, std::vector<T>& out) {
  if (out.empty()) return;
  if (H5Dread(d.dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    io_error(d.what + " (shape " + shape_text(d.dims) + ") cannot be read");
}

/// Reads the strings of a string dataset (fixed- or variable-length) of `count` elements.
inline std::vector<std::string> read_string_elements(const Dataset& d, std::uint64_t count,
                                                     Budget& budget) {
  std::vector<std::string> strings;
  const htri_t variable = H5Tis_variable_str(d.type.get());
  if (variable < 0) io_error(d.what + ": its datatype cannot be read");
  if (variable > 0) {
    budget.take(count, sizeof(char*), d.what);
    Handle memory = variable_string_type(d.type.get());
    if (!memory.valid()) io_error(d.what + " cannot be read");
    std::vector<char*> pointers(count, nullptr);
    if (count == 0) return strings;
    if (H5Dread(d.dataset.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) < 0)
      io_error(d.what + " (shape " + shape_text(d.dims) + ") cannot be read");
    std::string failure;
    strings.reserve(count);
    for (char* p : pointers) {
      const std::size_t length = p == nullptr ? 0 : strnlen(p, max_string_length + 1);
      if (length > max_string_length && failure.empty())
        failure = d.what + " holds a string longer than " + std::to_string(max_string_length);
      if (failure.empty()) {
        try {
          budget.take(length, 1, d.what);
        } catch (const H5Failure& e) {
          failure = e.what();
        }
      }
      strings.emplace_back(failure.empty() && p != nullptr ? std::string(p, length)
                                                           : std::string());
    }
#if H5_VERSION_GE(1, 12, 0)
    H5Treclaim(memory.get(), d.space.get(), H5P_DEFAULT, pointers.data());
#else
    H5Dvlen_reclaim(memory.get(), d.space.get(), H5P_DEFAULT, pointers.data());
#endif
    if (!failure.empty()) content_error(failure);
    return strings;
  }
  const std::size_t size = H5Tget_size(d.type.get());
  if (size == 0 || size > max_string_length)
    content_error(d.what + " holds strings of " + std::to_string(size) + " bytes each");
  budget.take(count, size, d.what);
  std::vector<char> bytes(count * size);
  if (count == 0) return strings;
  // Read with the file's own type: the bytes as stored, whatever the padding.
  if (H5Dread(d.dataset.get(), d.type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) < 0)
    io_error(d.what + " (shape " + shape_text(d.dims) + ") cannot be read");
  const H5T_str_t pad = H5Tget_strpad(d.type.get());
  strings.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    const char* p = bytes.data() + i * size;
    std::string s(p, strnlen(p, size));
    if (pad == H5T_STR_SPACEPAD)
      while (!s.empty() && s.back() == ' ') s.pop_back();
    strings.push_back(std::move(s));
  }
  return strings;
}

/// Appends the references to every object hard-linked in `group` (`label` in messages) to
/// `refs`: the only objects a cell's references may name. Creating a reference from a link reads
/// no object, so a reference to an arbitrary address of a hostile file is refused before HDF5
/// looks there.
inline void collect_references(hid_t group, const std::string& label,
                               std::vector<hobj_ref_t>& refs) {
  H5G_info_t info;
  if (H5Gget_info(group, &info) < 0) io_error("group " + label + " cannot be read");
  if (info.nlinks > max_group_links)
    content_error("group " + label + " has " + std::to_string(info.nlinks) + " members");
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    char name[256];
    const ssize_t length = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name,
                                              sizeof name, H5P_DEFAULT);
    if (length < 0) io_error("group " + label + " cannot be read");
    if (static_cast<std::size_t>(length) >= sizeof name) continue;  // not a name MATLAB writes
    H5L_info_t link;
    if (H5Lget_info(group, name, &link, H5P_DEFAULT) < 0)
      io_error("group " + label + " cannot be read");
    if (link.type != H5L_TYPE_HARD) continue;
    hobj_ref_t ref{};
    if (H5Rcreate(&ref, group, name, H5R_OBJECT, -1) < 0)
      io_error("group " + label + " member " + name + " cannot be read");
    refs.push_back(ref);
  }
}

/// The references to every object hard-linked in the file's root group and in its `#refs#`
/// group (where MATLAB keeps a cell's elements), sorted.
inline std::vector<hobj_ref_t> cell_targets(hid_t file) {
  std::vector<hobj_ref_t> refs;
  Handle root(H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose);
  if (!root.valid()) io_error("the root group cannot be opened");
  collect_references(root.get(), "/", refs);
  if (has_hard_link(root.get(), "#refs#", "group #refs#")) {
    Handle group(H5Oopen(root.get(), "#refs#", H5P_DEFAULT), close_object);
    if (!group.valid()) io_error("group #refs# cannot be opened");
    if (H5Iget_type(group.get()) == H5I_GROUP) collect_references(group.get(), "#refs#", refs);
  }
  std::sort(refs.begin(), refs.end());
  return refs;
}

}  // namespace xdream::rig::detail
