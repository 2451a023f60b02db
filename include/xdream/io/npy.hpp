#pragma once
/// @file
/// NumPy `.npy` files: codes in and out.
///
/// A population (`D x N`, column-major) has the memory layout of a C-order `[N, D]` array, so it
/// is written as one without reordering and `numpy.load` gives one code per row. Reading accepts
/// little-endian float32 or float64, C or Fortran order, shape `(D,)` (one code) or `(N, D)`.

#include <xdream/io/atomic_file.hpp>
#include <xdream/population.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace xdream::io {

namespace detail {
[[noreturn]] inline void npy_error(const std::filesystem::path& path, const std::string& what) {
  throw std::runtime_error("xdream::io: " + path.string() + ": " + what);
}

inline std::string npy_header(const std::string& descr, const std::string& shape) {
  std::string dict;
  dict.append("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': ");
  dict.append(shape).append(", }");
  const std::size_t preamble = 10;  // magic (6) + version (2) + header length (2)
  std::size_t total = preamble + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict.push_back('\n');
  const auto length = static_cast<std::uint16_t>(dict.size());
  const char preamble_bytes[10] = {'\x93',
                                   'N',
                                   'U',
                                   'M',
                                   'P',
                                   'Y',
                                   '\x01',
                                   '\x00',
                                   static_cast<char>(length & 0xff),
                                   static_cast<char>(length >> 8)};
  dict.insert(0, preamble_bytes, preamble);
  return dict;
}

/// Writes the header and the data to `path` atomically (io/atomic_file.hpp: temporary file,
/// fsync, rename).
inline void write_atomically(const std::filesystem::path& path, const std::string& header,
                             const char* data, std::size_t size) {
  std::vector<std::byte> bytes(header.size() + size);
  std::memcpy(bytes.data(), header.data(), header.size());
  if (size > 0) std::memcpy(bytes.data() + header.size(), data, size);
  try {
    write_file_atomically(path, bytes);
  } catch (const ArchiveError& e) {
    npy_error(path, e.what());
  }
}

inline std::string field(const std::string& dict, const std::string& key,
                         const std::filesystem::path& path) {
  const auto at = dict.find("'" + key + "'");
  if (at == std::string::npos) npy_error(path, "header has no '" + key + "'");
  auto colon = dict.find(':', at);
  if (colon == std::string::npos) npy_error(path, "malformed header");
  return dict.substr(colon + 1);
}
}  // namespace detail

/// Writes codes as a C-order float32 array of shape (N, D) (atomically).
inline void save_npy(const std::filesystem::path& path, const Population& codes) {
  std::string shape = "(";  // appended piece by piece: GCC 12 warns falsely on operator+ chains
  shape.append(std::to_string(codes.cols())).append(", ");
  shape.append(std::to_string(codes.rows())).append(")");
  detail::write_atomically(path, detail::npy_header("<f4", shape),
                           reinterpret_cast<const char*>(codes.data()),
                           static_cast<std::size_t>(codes.size()) * sizeof(float));
}

/// Writes one code as a float32 array of shape (D,) (atomically).
inline void save_npy(const std::filesystem::path& path, const Code& code) {
  std::string shape = "(";
  shape.append(std::to_string(code.size())).append(",)");
  detail::write_atomically(path, detail::npy_header("<f4", shape),
                           reinterpret_cast<const char*>(code.data()),
                           static_cast<std::size_t>(code.size()) * sizeof(float));
}

/// Reads codes: shape (D,) gives one column, (N, D) gives N columns of length D.
/// Throws std::runtime_error naming the file and the problem.
/// Nothing is allocated before the file's size says the data is there: a header that announces
/// more values than the file holds is an error, whatever it claims.
inline Population load_npy(const std::filesystem::path& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status))
    detail::npy_error(path, "cannot open: no such file");
  if (!std::filesystem::is_regular_file(status)) detail::npy_error(path, "not a regular file");
  const std::uintmax_t file_size = std::filesystem::file_size(path, error);
  if (error) detail::npy_error(path, "cannot read its size: " + error.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) detail::npy_error(path, "cannot open");
  char preamble[10];
  if (!in.read(preamble, 10) || std::memcmp(preamble, "\x93NUMPY", 6) != 0) {
    detail::npy_error(path, "not a .npy file (bad magic)");
  }
  const int major = static_cast<unsigned char>(preamble[6]);
  std::size_t header_length = 0;
  if (major == 1) {
    header_length = static_cast<unsigned char>(preamble[8]) |
                    (static_cast<std::size_t>(static_cast<unsigned char>(preamble[9])) << 8);
  } else if (major == 2 || major == 3) {
    char more[2];
    if (!in.read(more, 2)) detail::npy_error(path, "truncated header");
    header_length = static_cast<unsigned char>(preamble[8]) |
                    (static_cast<std::size_t>(static_cast<unsigned char>(preamble[9])) << 8) |
                    (static_cast<std::size_t>(static_cast<unsigned char>(more[0])) << 16) |
                    (static_cast<std::size_t>(static_cast<unsigned char>(more[1])) << 24);
  } else {
    detail::npy_error(path, "unsupported .npy version " + std::to_string(major));
  }
  if (header_length > (1u << 20)) detail::npy_error(path, "header too long");
  std::string dict(header_length, '\0');
  if (!in.read(dict.data(), static_cast<std::streamsize>(header_length))) {
    detail::npy_error(path, "truncated header");
  }
  const std::string descr_field = detail::field(dict, "descr", path);
  const auto q1 = descr_field.find('\'');
  const auto q2 = descr_field.find('\'', q1 + 1);
  if (q1 == std::string::npos || q2 == std::string::npos)
    detail::npy_error(path, "malformed descr");
  const std::string descr = descr_field.substr(q1 + 1, q2 - q1 - 1);
  std::size_t item = 0;
  if (descr == "<f4")
    item = 4;
  else if (descr == "<f8")
    item = 8;
  else
    detail::npy_error(path, "dtype '" + descr +
                                "' is not supported; expected float32 or float64 ('<f4' or '<f8')");
  const bool fortran = detail::field(dict, "fortran_order", path).find("True") <
                       detail::field(dict, "fortran_order", path).find_first_of(",}");
  const std::string shape_field = detail::field(dict, "shape", path);
  const auto open = shape_field.find('(');
  const auto close = shape_field.find(')');
  if (open == std::string::npos || close == std::string::npos)
    detail::npy_error(path, "malformed shape");
  std::vector<long long> shape;
  std::string inner = shape_field.substr(open + 1, close - open - 1);
  std::size_t pos = 0;
  while (pos < inner.size()) {
    while (pos < inner.size() && (inner[pos] == ' ' || inner[pos] == ',')) ++pos;
    if (pos >= inner.size()) break;
    std::size_t used = 0;
    try {
      shape.push_back(std::stoll(inner.substr(pos), &used));
    } catch (const std::exception&) {
      detail::npy_error(path, "malformed shape");
    }
    pos += used;
  }
  long long n = 0, d = 0;
  if (shape.size() == 1) {
    n = 1;
    d = shape[0];
  } else if (shape.size() == 2) {
    n = shape[0];
    d = shape[1];
  } else {
    detail::npy_error(
        path, "shape has " + std::to_string(shape.size()) + " dimensions; expected (D,) or (N, D)");
  }
  if (n < 1 || d < 1) detail::npy_error(path, "empty array (a dimension < 1)");
  // The data must be in the file: bound the announced shape by the bytes after the header
  // before anything is allocated.
  const std::uintmax_t data_at = static_cast<std::uintmax_t>(in.tellg());
  const std::uintmax_t available = file_size > data_at ? file_size - data_at : 0;
  const auto values = static_cast<std::uintmax_t>(available / item);
  if (static_cast<std::uintmax_t>(n) > values || static_cast<std::uintmax_t>(d) > values ||
      static_cast<std::uintmax_t>(n) * static_cast<std::uintmax_t>(d) != values ||
      available % item != 0) {
    detail::npy_error(path, "truncated or padded data: the shape (" + std::to_string(n) + ", " +
                                std::to_string(d) + ") needs " +
                                (static_cast<std::uintmax_t>(n) <= values &&
                                         static_cast<std::uintmax_t>(d) <= values
                                     ? std::to_string(static_cast<std::uintmax_t>(n) *
                                                      static_cast<std::uintmax_t>(d) * item)
                                     : std::string("more")) +
                                " bytes of data; the file holds " + std::to_string(available));
  }
  const auto count = static_cast<std::size_t>(n) * static_cast<std::size_t>(d);
  std::vector<char> raw(count * item);
  if (!in.read(raw.data(), static_cast<std::streamsize>(raw.size()))) {
    detail::npy_error(path, "truncated data: expected " + std::to_string(count) + " values");
  }
  Population codes(static_cast<Index>(d), static_cast<Index>(n));
  for (std::size_t k = 0; k < count; ++k) {
    double value;
    if (item == 4) {
      float f;
      std::memcpy(&f, raw.data() + k * 4, 4);
      value = f;
    } else {
      std::memcpy(&value, raw.data() + k * 8, 8);
    }
    // C order: k = row * D + col -> code `row`, gene `col`; Fortran order: k = col * N + row.
    const auto a = static_cast<long long>(k);
    const auto code = static_cast<Index>(fortran ? a % n : a / d);
    const auto gene = static_cast<Index>(fortran ? a / n : a % d);
    codes(gene, code) = static_cast<float>(value);
  }
  return codes;
}

/// Reads one or more .npy files and joins their codes (columns) in order; all must have the same
/// code length.
inline Population load_codes(const std::vector<std::filesystem::path>& paths) {
  if (paths.empty()) throw std::invalid_argument("xdream::io::load_codes: no files given");
  std::vector<Population> parts;
  Index total = 0;
  for (const auto& path : paths) {
    parts.push_back(load_npy(path));
    if (parts.back().rows() != parts.front().rows()) {
      detail::npy_error(path, "code length " + std::to_string(parts.back().rows()) +
                                  " differs from " + std::to_string(parts.front().rows()) + " in " +
                                  paths.front().string());
    }
    total += parts.back().cols();
  }
  Population codes(parts.front().rows(), total);
  Index at = 0;
  for (const auto& part : parts) {
    codes.middleCols(at, part.cols()) = part;
    at += part.cols();
  }
  return codes;
}

}  // namespace xdream::io
