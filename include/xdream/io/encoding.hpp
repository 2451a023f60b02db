#pragma once
/// @file
/// The values of an archive: ArchiveWriter appends values to a byte buffer, ArchiveReader reads
/// them back, bit for bit (the framing with its checksum is io/framing.hpp; files are written by
/// io/atomic_file.hpp; io/archive.hpp has all three).
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
/// Reading never trusts a length: every count is bounded by the bytes that remain before it is
/// used, so corrupt bytes give an ArchiveError (a std::runtime_error naming the source and the
/// problem), never undefined behaviour or a giant allocation.

#include <xdream/io/error.hpp>

#include <Eigen/Core>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace xdream::io {

static_assert(std::endian::native == std::endian::little,
              "xdream::io archives store values in the machine's byte order and assume "
              "little-endian (x86-64, ARM64).");

/// A type whose fields can be archived: `tie()` returns `std::tie` of all of them.
template <class T>
concept Tieable = requires(T& t, const T& c) {
  t.tie();
  c.tie();
};

namespace detail {

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

// The check of ArchiveWriter::write and ArchiveReader::read: says what can be archived.
template <class T>
consteval bool check_archivable() {
  static_assert(archivable<T>(),
                "xdream::io: this type cannot be archived; give it a member `auto tie()` (and "
                "`auto tie() const`) returning std::tie of its fields, or use arithmetic types, "
                "enums, std::string, std::vector, std::optional or dense Eigen matrices.");
  return true;
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
    static_assert(detail::check_archivable<T>());
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
    static_assert(detail::check_archivable<T>());
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

}  // namespace xdream::io
