#pragma once
/// @file
/// Whole files, written atomically and read back: a temporary file in the same directory,
/// flushed to disk (fsync), then renamed over the target, so a crash leaves either the old file
/// or the new one, never a half-written one.

#include <xdream/io/error.hpp>

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <system_error>
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

/// When a file written by write_file_atomically reaches the disk: before the call returns
/// (`now`), or with the next sync_file_system (`deferred`: many files, one flush).
enum class Durability { now, deferred };

/// Flushes every file written on the file system that holds `directory` (Linux's syncfs; other
/// systems flush everything). One call after many deferred writes costs one flush, not one each.
inline void sync_file_system(const std::filesystem::path& directory) {
#if defined(__linux__)
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    throw ArchiveError(directory.string(), "cannot open the directory to flush it: " +
                                               std::generic_category().message(errno));
  }
  const int result = ::syncfs(fd);
  const int error = errno;
  ::close(fd);
  if (result != 0) {
    throw ArchiveError(directory.string(),
                       "syncfs failed: " + std::generic_category().message(error));
  }
#elif XDREAM_ARCHIVE_POSIX
  (void)directory;
  ::sync();
#else
  (void)directory;
#endif
}

/// Writes `bytes` to `path` atomically: a temporary file beside it (`path` + ".tmp"), written
/// and flushed to disk, then renamed over `path` (the directory is synced too, where POSIX
/// allows). Throws ArchiveError naming the file.
inline void write_file_atomically(const std::filesystem::path& path,
                                  std::span<const std::byte> bytes,
                                  Durability durability = Durability::now) {
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
  if (durability == Durability::now && ::fsync(fd) != 0) {
    const auto e = os_error("fsync failed");
    ::close(fd);
    throw e;
  }
  if (::close(fd) != 0) throw os_error("close failed");
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    throw os_error("cannot rename the temporary file over it");
  }
  // Make the rename itself durable; failing to sync a directory is not fatal.
  if (durability == Durability::deferred) return;
  std::filesystem::path directory = path.parent_path();
  if (directory.empty()) directory = ".";
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_CLOEXEC);
  if (dir_fd >= 0) {
    (void)::fsync(dir_fd);
    ::close(dir_fd);
  }
#else
  (void)durability;
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

/// Reads a whole regular file (never a FIFO, a device or a directory, which could block or
/// mislead). Throws ArchiveError naming the file.
inline std::vector<std::byte> read_file(const std::filesystem::path& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status)) {
    throw ArchiveError(path.string(), "cannot open for reading: no such file");
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw ArchiveError(path.string(), "not a regular file");
  }
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

}  // namespace xdream::io
