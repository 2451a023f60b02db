#pragma once
/// @file
/// A small binary archive for checkpoints (design section 10): values in, the same values out,
/// bit for bit, with a header that makes a wrong, truncated or corrupt file a clear error.
///
/// **Values.** Arithmetic types (bool as one byte 0/1), enums (as their underlying type),
/// `std::string`, `std::vector<T>`, `std::optional<T>`, dense Eigen matrices, vectors and arrays
/// of any arithmetic scalar (rows, cols, then the elements in column-major order), and every type
/// with a `tie()` member returning `std::tie` of its fields (each field in order, recursively).
/// Lengths are 64-bit counts. Floating-point values are stored as their bits (NaN and -0
/// survive). Integers are stored at their own size: archives move between platforms with the
/// same type sizes (LP64: Linux, macOS).
///
/// **Byte order.** Little-endian only (x86-64, ARM64): the build fails elsewhere.
///
/// **Framing** (`seal` / `unseal`, and the files):
///
///     magic    8 bytes  "\x89XDREAM\n"
///     version  u32      format version (archive_format_version = 1)
///     tag      u32 length + bytes: what the payload is (e.g. the algorithm's name); a reader
///                       names the tag it expects, and a different one is an error
///     payload  u64 length + bytes
///     checksum u64      FNV-1a 64 of every byte before it (magic included)
///
/// Reading never trusts a length: every count is bounded by the bytes that remain before it is
/// used, so a corrupt file gives an ArchiveError (a std::runtime_error naming the file and the
/// problem), never undefined behaviour or a giant allocation. Files are written atomically: a
/// temporary file in the same directory, flushed to disk (fsync), then renamed over the target,
/// so a crash leaves either the old file or the new one.

#include <Eigen/Core>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#define XDREAM_ARCHIVE_POSIX 1
#else
#define XDREAM_ARCHIVE_POSIX 0
#endif

namespace xdream::io {

static_assert(std::endian::native == std::endian::little,
              "xdream::io archives store values in the machine's byte order and assume "
              "little-endian (x86-64, ARM64).");

/// The format version this build writes and reads.
inline constexpr std::uint32_t archive_format_version = 1;
/// The longest tag accepted (bytes).
inline constexpr std::size_t archive_max_tag_size = 1024;

/// A malformed, truncated, corrupt or mismatched archive; the message names the source (a file
/// path or "buffer") and what is wrong.
class ArchiveError : public std::runtime_error {
 public:
  ArchiveError(const std::string& source, const std::string& what)
      : std::runtime_error("xdream::io archive " + source + ": " + what) {}
};

/// A type whose fields can be archived: `tie()` returns `std::tie` of all of them.
template <class T>
concept Tieable = requires(T& t, const T& c) {
  t.tie();
  c.tie();
};

namespace detail {

inline constexpr char archive_magic[8] = {'\x89', 'X', 'D', 'R', 'E', 'A', 'M', '\n'};

template <class T>
concept eigen_dense =
    std::derived_from<T, Eigen::PlainObjectBase<T>> && std::is_arithmetic_v<typename T::Scalar>;

template <class T>
struct is_vector : std::false_type {};
template <class T, class Alloc>
struct is_vector<std::vector<T, Alloc>> : std::true_type {};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
using tie_tuple_t = std::remove_cvref_t<decltype(std::declval<T&>().tie())>;

template <class T>
constexpr bool archivable();

template <class Tuple, std::size_t... I>
constexpr bool all_archivable(std::index_sequence<I...>) {
  return (archivable<std::remove_cvref_t<std::tuple_element_t<I, Tuple>>>() && ...);
}

// Whether the archive knows how to store T (checked once, with a readable message).
template <class T>
constexpr bool archivable() {
  if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T> || std::is_same_v<T, std::string> ||
                eigen_dense<T>) {
    return true;
  } else if constexpr (is_vector<T>::value || is_optional<T>::value) {
    return archivable<typename T::value_type>();
  } else if constexpr (Tieable<T>) {
    using Tuple = tie_tuple_t<T>;
    return all_archivable<Tuple>(std::make_index_sequence<std::tuple_size_v<Tuple>>{});
  } else {
    return false;
  }
}

template <class T>
constexpr std::size_t min_encoded_size();

template <class Tuple, std::size_t... I>
constexpr std::size_t sum_min_sizes(std::index_sequence<I...>) {
  return (std::size_t{0} + ... +
          min_encoded_size<std::remove_cvref_t<std::tuple_element_t<I, Tuple>>>());
}

// The fewest bytes one T takes in an archive: bounds a vector's count by the bytes left.
template <class T>
constexpr std::size_t min_encoded_size() {
  if constexpr (std::is_same_v<T, bool>) {
    return 1;
  } else if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
    return sizeof(T);
  } else if constexpr (std::is_same_v<T, std::string> || is_vector<T>::value) {
    return 8;
  } else if constexpr (is_optional<T>::value) {
    return 1;
  } else if constexpr (eigen_dense<T>) {
    return 16;
  } else {
    using Tuple = tie_tuple_t<T>;
    return sum_min_sizes<Tuple>(std::make_index_sequence<std::tuple_size_v<Tuple>>{});
  }
}

/// FNV-1a, 64 bits, continued from `hash`.
inline std::uint64_t fnv1a64(std::span<const std::byte> bytes,
                             std::uint64_t hash = 14695981039346656037ull) noexcept {
  for (const std::byte b : bytes) {
    hash ^= static_cast<std::uint64_t>(b);
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace detail

/// Appends values to a byte buffer (the payload of an archive).
class ArchiveWriter {
 public:
  /// Appends each value in order.
  template <class... T>
  ArchiveWriter& operator()(const T&... values) {
    (write(values), ...);
    return *this;
  }

  /// Appends one value.
  template <class T>
  void write(const T& value) {
    static_assert(detail::archivable<T>(),
                  "xdream::io::ArchiveWriter: this type cannot be archived; give it a member "
                  "`auto tie()` (and `auto tie() const`) returning std::tie of its fields, or use "
                  "arithmetic types, enums, std::string, std::vector, std::optional or dense "
                  "Eigen matrices.");
    if constexpr (std::is_same_v<T, bool>) {
      bytes_.push_back(static_cast<std::byte>(value ? 1 : 0));
    } else if constexpr (std::is_arithmetic_v<T>) {
      append(&value, sizeof value);
    } else if constexpr (std::is_enum_v<T>) {
      write(static_cast<std::underlying_type_t<T>>(value));
    } else if constexpr (std::is_same_v<T, std::string>) {
      write(static_cast<std::uint64_t>(value.size()));
      append(value.data(), value.size());
    } else if constexpr (detail::is_vector<T>::value) {
      using V = typename T::value_type;
      write(static_cast<std::uint64_t>(value.size()));
      if constexpr (std::is_arithmetic_v<V> && !std::is_same_v<V, bool>) {
        append(value.data(), value.size() * sizeof(V));
      } else if constexpr (std::is_same_v<V, bool>) {
        for (const bool b : value) write(b);
      } else {
        for (const V& element : value) write(element);
      }
    } else if constexpr (detail::is_optional<T>::value) {
      write(value.has_value());
      if (value) write(*value);
    } else if constexpr (detail::eigen_dense<T>) {
      write(static_cast<std::uint64_t>(value.rows()));
      write(static_cast<std::uint64_t>(value.cols()));
      if constexpr (T::IsRowMajor && T::RowsAtCompileTime != 1) {
        for (Eigen::Index j = 0; j < value.cols(); ++j)
          for (Eigen::Index i = 0; i < value.rows(); ++i) write(value(i, j));
      } else {
        append(value.data(), static_cast<std::size_t>(value.size()) * sizeof(typename T::Scalar));
      }
    } else {
      std::apply([this](const auto&... fields) { (write(fields), ...); }, value.tie());
    }
  }

  /// The bytes written so far.
  const std::vector<std::byte>& bytes() const noexcept { return bytes_; }
  /// Moves the bytes out.
  std::vector<std::byte> take() noexcept { return std::move(bytes_); }

 private:
  void append(const void* data, std::size_t size) {
    const auto* first = static_cast<const std::byte*>(data);
    bytes_.insert(bytes_.end(), first, first + size);
  }

  std::vector<std::byte> bytes_;
};

/// Reads values back from a payload, in the order they were written. Every length is checked
/// against the bytes that remain; a mismatch throws ArchiveError naming `source`.
class ArchiveReader {
 public:
  explicit ArchiveReader(std::span<const std::byte> bytes, std::string source = "buffer")
      : bytes_(bytes), source_(std::move(source)) {}

  /// Reads each value in order, overwriting it.
  template <class... T>
  ArchiveReader& operator()(T&... values) {
    (read(values), ...);
    return *this;
  }

  /// Reads one value into `value`.
  template <class T>
  void read(T& value) {
    static_assert(detail::archivable<T>(),
                  "xdream::io::ArchiveReader: this type cannot be archived; give it a member "
                  "`auto tie()` (and `auto tie() const`) returning std::tie of its fields, or use "
                  "arithmetic types, enums, std::string, std::vector, std::optional or dense "
                  "Eigen matrices.");
    if constexpr (std::is_same_v<T, bool>) {
      std::uint8_t b = 0;
      read(b);
      if (b > 1) fail("a bool holds " + std::to_string(b) + " (expected 0 or 1)");
      value = b != 0;
    } else if constexpr (std::is_arithmetic_v<T>) {
      extract(&value, sizeof value);
    } else if constexpr (std::is_enum_v<T>) {
      std::underlying_type_t<T> raw{};
      read(raw);
      value = static_cast<T>(raw);
    } else if constexpr (std::is_same_v<T, std::string>) {
      const std::size_t size = read_count(1, "string");
      value.resize(size);
      extract(value.data(), size);
    } else if constexpr (detail::is_vector<T>::value) {
      using V = typename T::value_type;
      constexpr std::size_t element_size = detail::min_encoded_size<V>();
      static_assert(element_size > 0,
                    "xdream::io: a vector of a type with an empty tie() cannot be archived.");
      const std::size_t size = read_count(element_size, "vector");
      value.resize(size);
      if constexpr (std::is_arithmetic_v<V> && !std::is_same_v<V, bool>) {
        extract(value.data(), size * sizeof(V));
      } else if constexpr (std::is_same_v<V, bool>) {
        for (std::size_t i = 0; i < size; ++i) {
          bool b = false;
          read(b);
          value[i] = b;
        }
      } else {
        for (V& element : value) read(element);
      }
    } else if constexpr (detail::is_optional<T>::value) {
      bool present = false;
      read(present);
      if (present) {
        if (!value) value.emplace();
        read(*value);
      } else {
        value.reset();
      }
    } else if constexpr (detail::eigen_dense<T>) {
      read_eigen(value);
    } else {
      std::apply([this](auto&... fields) { (read(fields), ...); }, value.tie());
    }
  }

  /// Reads and returns a default-constructed T.
  template <class T>
  T get() {
    T value{};
    read(value);
    return value;
  }

  /// Bytes not read yet.
  std::size_t remaining() const noexcept { return bytes_.size() - offset_; }
  /// Throws unless every byte was read (a payload with more in it than expected has another
  /// layout).
  void finish() const {
    if (remaining() != 0) {
      fail(std::to_string(remaining()) +
           " bytes are left over after reading everything expected (a different layout?)");
    }
  }
  const std::string& source() const noexcept { return source_; }

  [[noreturn]] void fail(const std::string& what) const {
    throw ArchiveError(source_, what + " (at payload byte " + std::to_string(offset_) + " of " +
                                    std::to_string(bytes_.size()) + ")");
  }

 private:
  void extract(void* out, std::size_t size) {
    if (size > remaining()) {
      fail("truncated: " + std::to_string(size) + " bytes needed, " + std::to_string(remaining()) +
           " left");
    }
    if (size > 0) std::memcpy(out, bytes_.data() + offset_, size);
    offset_ += size;
  }

  // A count of elements taking at least `element_size` bytes each, bounded by what remains.
  std::size_t read_count(std::size_t element_size, const char* what) {
    std::uint64_t count = 0;
    read(count);
    if (count > remaining() / element_size) {
      fail(std::string("a ") + what + " of " + std::to_string(count) +
           " elements does not fit in the " + std::to_string(remaining()) + " bytes left");
    }
    return static_cast<std::size_t>(count);
  }

  template <class T>
  void read_eigen(T& value) {
    using Scalar = typename T::Scalar;
    std::uint64_t rows = 0, cols = 0;
    read(rows);
    read(cols);
    const auto limit = static_cast<std::uint64_t>(std::numeric_limits<Eigen::Index>::max());
    if (rows > limit || cols > limit || (rows != 0 && cols > remaining() / sizeof(Scalar) / rows)) {
      fail("a " + std::to_string(rows) + " x " + std::to_string(cols) +
           " matrix does not fit in the " + std::to_string(remaining()) + " bytes left");
    }
    const auto r = static_cast<Eigen::Index>(rows), c = static_cast<Eigen::Index>(cols);
    if ((T::RowsAtCompileTime != Eigen::Dynamic && T::RowsAtCompileTime != r) ||
        (T::ColsAtCompileTime != Eigen::Dynamic && T::ColsAtCompileTime != c) ||
        (T::MaxRowsAtCompileTime != Eigen::Dynamic && r > T::MaxRowsAtCompileTime) ||
        (T::MaxColsAtCompileTime != Eigen::Dynamic && c > T::MaxColsAtCompileTime)) {
      fail("a " + std::to_string(rows) + " x " + std::to_string(cols) +
           " matrix does not fit the fixed-size type it is read into");
    }
    value.resize(r, c);
    if constexpr (T::IsRowMajor && T::RowsAtCompileTime != 1) {
      for (Eigen::Index j = 0; j < c; ++j)
        for (Eigen::Index i = 0; i < r; ++i) read(value(i, j));
    } else {
      extract(value.data(), static_cast<std::size_t>(rows * cols) * sizeof(Scalar));
    }
  }

  std::span<const std::byte> bytes_;
  std::size_t offset_ = 0;
  std::string source_;
};

/// Frames a payload: magic, format version, tag, payload, checksum (see the file comment).
/// Throws std::invalid_argument for a tag longer than archive_max_tag_size.
inline std::vector<std::byte> seal(std::string_view tag, std::span<const std::byte> payload) {
  if (tag.size() > archive_max_tag_size) {
    throw std::invalid_argument("xdream::io::seal: tag length = " + std::to_string(tag.size()) +
                                " is out of range; allowed: [0, " +
                                std::to_string(archive_max_tag_size) + "]");
  }
  ArchiveWriter out;
  for (const char c : detail::archive_magic) out.write(c);
  out(archive_format_version, static_cast<std::uint32_t>(tag.size()));
  for (const char c : tag) out.write(c);
  out.write(static_cast<std::uint64_t>(payload.size()));
  std::vector<std::byte> bytes = out.take();
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  const std::uint64_t checksum = detail::fnv1a64(bytes);
  const auto* c = reinterpret_cast<const std::byte*>(&checksum);
  bytes.insert(bytes.end(), c, c + sizeof checksum);
  return bytes;
}

/// What the header of a sealed archive says.
struct ArchiveHeader {
  std::uint32_t version = 0;
  std::string tag;
  std::span<const std::byte> payload;  ///< a view into the archive's bytes
};

/// Checks a sealed archive (magic, version, sizes, checksum) and returns its header and a view
/// of its payload, without checking the tag. Throws ArchiveError naming `source`.
inline ArchiveHeader inspect(std::span<const std::byte> archive,
                             const std::string& source = "buffer") {
  const auto error = [&](const std::string& what) -> ArchiveError {
    return ArchiveError(source, what);
  };
  constexpr std::size_t fixed = sizeof detail::archive_magic + 4 + 4;
  if (archive.size() < sizeof detail::archive_magic ||
      std::memcmp(archive.data(), detail::archive_magic, sizeof detail::archive_magic) != 0) {
    throw error(archive.empty() ? "empty (0 bytes): not an xdream archive"
                                : "not an xdream archive (bad magic bytes)");
  }
  if (archive.size() < fixed) {
    throw error("truncated: " + std::to_string(archive.size()) + " bytes, shorter than a header");
  }
  ArchiveReader head(archive.subspan(sizeof detail::archive_magic), source);
  ArchiveHeader header;
  std::uint32_t tag_size = 0;
  head(header.version, tag_size);
  if (header.version != archive_format_version) {
    throw error("format version " + std::to_string(header.version) + "; this build reads version " +
                std::to_string(archive_format_version));
  }
  if (tag_size > archive_max_tag_size || tag_size > head.remaining()) {
    throw error("truncated or corrupt header (tag length " + std::to_string(tag_size) + ")");
  }
  header.tag.resize(tag_size);
  for (char& c : header.tag) head.read(c);
  if (head.remaining() < 8) throw error("truncated: the header ends early");
  const auto payload_size = head.get<std::uint64_t>();
  const std::size_t payload_at = archive.size() - head.remaining();
  const std::size_t available = head.remaining();
  if (payload_size > available || available - payload_size < 8) {
    throw error("truncated: the header announces " + std::to_string(payload_size) +
                " payload bytes and an 8-byte checksum, but only " + std::to_string(available) +
                " bytes follow it");
  }
  if (available - payload_size > 8) {
    throw error(std::to_string(available - payload_size - 8) +
                " unexpected bytes after the checksum");
  }
  const std::size_t checksum_at = payload_at + static_cast<std::size_t>(payload_size);
  std::uint64_t stored = 0;
  std::memcpy(&stored, archive.data() + checksum_at, sizeof stored);
  if (detail::fnv1a64(archive.first(checksum_at)) != stored) {
    throw error("checksum mismatch: the file is corrupt");
  }
  header.payload = archive.subspan(payload_at, static_cast<std::size_t>(payload_size));
  return header;
}

/// Checks a sealed archive and its tag; returns a view of its payload. Throws ArchiveError
/// naming `source` when the archive is malformed or its tag is not `expected_tag`.
inline std::span<const std::byte> unseal(std::span<const std::byte> archive,
                                         std::string_view expected_tag,
                                         const std::string& source = "buffer") {
  ArchiveHeader header = inspect(archive, source);
  if (header.tag != expected_tag) {
    throw ArchiveError(source,
                       "holds '" + header.tag + "', expected '" + std::string(expected_tag) + "'");
  }
  return header.payload;
}

/// Writes `bytes` to `path` atomically: a temporary file beside it (`path` + ".tmp"), written
/// and flushed to disk, then renamed over `path` (the directory is synced too, where POSIX
/// allows). Throws ArchiveError naming the file.
inline void write_file_atomically(const std::filesystem::path& path,
                                  std::span<const std::byte> bytes) {
  const std::string source = path.string();
  std::filesystem::path temporary = path;
  temporary += ".tmp";
#if XDREAM_ARCHIVE_POSIX
  const auto os_error = [&](const std::string& what) {
    const std::string reason = std::generic_category().message(errno);
    std::remove(temporary.c_str());
    return ArchiveError(source, what + ": " + reason);
  };
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw ArchiveError(source, "cannot open " + temporary.string() +
                                   " for writing: " + std::generic_category().message(errno));
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ::ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const auto e = os_error("write failed");
      ::close(fd);
      throw e;
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const auto e = os_error("fsync failed");
    ::close(fd);
    throw e;
  }
  if (::close(fd) != 0) throw os_error("close failed");
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    throw os_error("cannot rename the temporary file over it");
  }
  // Make the rename itself durable; failing to sync a directory is not fatal.
  std::filesystem::path directory = path.parent_path();
  if (directory.empty()) directory = ".";
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_CLOEXEC);
  if (dir_fd >= 0) {
    (void)::fsync(dir_fd);
    ::close(dir_fd);
  }
#else
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw ArchiveError(source, "cannot open " + temporary.string() + " for writing");
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::filesystem::remove(temporary);
      throw ArchiveError(source, "write failed");
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary);
    throw ArchiveError(source, "cannot rename the temporary file over it: " + error.message());
  }
#endif
}

/// Reads a whole file. Throws ArchiveError naming the file.
inline std::vector<std::byte> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ArchiveError(path.string(), "cannot open for reading");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw ArchiveError(path.string(), "cannot determine its size");
  in.seekg(0, std::ios::beg);
  std::vector<std::byte> bytes(static_cast<std::size_t>(size));
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    throw ArchiveError(path.string(), "read failed");
  }
  return bytes;
}

/// Archives `values` (in order) under `tag`: a sealed byte buffer.
template <class... T>
std::vector<std::byte> save_archive(std::string_view tag, const T&... values) {
  ArchiveWriter out;
  out(values...);
  return seal(tag, out.bytes());
}

/// Reads `values` (in the order they were saved) from a sealed buffer with tag `tag`; every
/// byte must be consumed. Throws ArchiveError naming `source`.
template <class... T>
void load_archive(std::span<const std::byte> archive, std::string_view tag, T&... values) {
  ArchiveReader in(unseal(archive, tag, "buffer"), "buffer");
  in(values...);
  in.finish();
}

/// Archives `values` under `tag` into the file `path`, atomically.
template <class... T>
void save_archive_file(const std::filesystem::path& path, std::string_view tag,
                       const T&... values) {
  write_file_atomically(path, save_archive(tag, values...));
}

/// Reads `values` from the archive file `path`, whose tag must be `tag`. Throws ArchiveError
/// naming the file and the problem.
template <class... T>
void load_archive_file(const std::filesystem::path& path, std::string_view tag, T&... values) {
  const std::vector<std::byte> bytes = read_file(path);
  ArchiveReader in(unseal(bytes, tag, path.string()), path.string());
  in(values...);
  in.finish();
}

/// The tag of the archive file `path` (after checking it whole): e.g. which algorithm a
/// checkpoint holds.
inline std::string archive_file_tag(const std::filesystem::path& path) {
  const std::vector<std::byte> bytes = read_file(path);
  return inspect(bytes, path.string()).tag;
}

}  // namespace xdream::io
