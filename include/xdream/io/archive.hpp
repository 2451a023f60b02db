#pragma once
/// @file
/// A small binary archive for checkpoints: values in, the same values out, bit for bit, in a
/// frame that makes a wrong, truncated or corrupt file a clear error. This header gathers the
/// three parts and the functions that join them:
///
/// - io/encoding.hpp: the values (ArchiveWriter, ArchiveReader; which types, their layout);
/// - io/framing.hpp: the frame (magic, format version, tag, payload length, FNV-1a checksum);
/// - io/atomic_file.hpp: files written atomically (temporary file, fsync, rename) and read back.

#include <xdream/io/atomic_file.hpp>
#include <xdream/io/encoding.hpp>
#include <xdream/io/framing.hpp>

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xdream::io {

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
