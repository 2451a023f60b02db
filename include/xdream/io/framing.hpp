#pragma once
/// @file
/// The frame around an archive's payload, which makes a wrong, truncated or corrupt archive a
/// clear error:
///
///     magic    8 bytes  "\x89XDREAM\n"
///     version  u32      format version (archive_format_version = 1)
///     tag      u32 length + bytes: what the payload is (e.g. the algorithm's name); a reader
///                       names the tag it expects, and a different one is an error
///     payload  u64 length + bytes
///     checksum u64      FNV-1a 64 of every byte before it (magic included)
///
/// `seal` frames a payload; `inspect` and `unseal` check a frame and give its payload back.

#include <xdream/io/encoding.hpp>
#include <xdream/io/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace xdream::io {

/// The format version this build writes and reads.
inline constexpr std::uint32_t archive_format_version = 1;
/// The longest tag accepted (bytes).
inline constexpr std::size_t archive_max_tag_size = 1024;

namespace detail {

inline constexpr char archive_magic[8] = {'\x89', 'X', 'D', 'R', 'E', 'A', 'M', '\n'};

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

}  // namespace xdream::io
