#include "run_directory.hpp"

#include <xdream/io/archive.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace xdream_apps {

void write_text_atomically(const std::filesystem::path& path, const std::string& text) {
  xdream::io::write_file_atomically(path, std::as_bytes(std::span(text.data(), text.size())));
}

RunLock::RunLock(const std::filesystem::path& dir, const std::string& option) {
  const std::filesystem::path file = dir / "lock";
  // A lock file can be removed (with its directory) or replaced between our open and our flock:
  // the lock counts only when the file we hold is still the one at the path.
  for (int attempt = 0; attempt < 5; ++attempt) {
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd_ < 0) {
      throw std::runtime_error(option + ": cannot lock '" + dir.string() + "' (" +
                               std::strerror(errno) + ")");
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int reason = errno;
      char pid[32] = {};
      const ::ssize_t n = ::pread(fd_, pid, sizeof pid - 1, 0);
      ::close(fd_);
      fd_ = -1;
      if (reason == EWOULDBLOCK) {
        const std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : "?";
        throw std::runtime_error(option + ": '" + dir.string() + "' is in use by process " +
                                 holder.substr(0, holder.find_first_of("\n ")) + " (it holds " +
                                 file.string() + ")");
      }
      throw std::runtime_error(option + ": cannot lock '" + dir.string() + "' (" +
                               std::strerror(reason) + ")");
    }
    struct stat held {
    }, now{};
    if (::fstat(fd_, &held) == 0 && ::stat(file.c_str(), &now) == 0 && held.st_ino == now.st_ino &&
        held.st_dev == now.st_dev) {
      const std::string pid = std::to_string(::getpid()) + "\n";
      if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
        // The lock holds without the pid; a refused process then says "?".
      }
      return;
    }
    ::close(fd_);
    fd_ = -1;
  }
  throw std::runtime_error(option + ": '" + dir.string() +
                           "' keeps changing while it is locked (another process replaces it)");
}

RunLock::RunLock(RunLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

RunLock& RunLock::operator=(RunLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

void check_new_run_directory(const std::filesystem::path& dir, bool force) {
  std::error_code error;
  if (std::filesystem::exists(dir, error)) {
    if (!force) {
      throw std::runtime_error("option --out: '" + dir.string() +
                               "' already exists; give --resume " + dir.string() +
                               " to continue it or --force to replace it");
    }
    if (!std::filesystem::is_directory(dir, error)) {
      throw std::runtime_error("option --out: '" + dir.string() + "' is not a directory");
    }
    if (!std::filesystem::exists(dir / "config.json", error) &&
        !std::filesystem::is_empty(dir, error)) {
      throw std::runtime_error("option --force: '" + dir.string() +
                               "' is not a run directory (no config.json) and not empty; "
                               "refusing to replace it");
    }
    return;
  }
  // The nearest existing ancestor must let us create the directory.
  std::filesystem::path parent = std::filesystem::absolute(dir, error).parent_path();
  while (!parent.empty() && !std::filesystem::exists(parent, error)) {
    if (parent == parent.parent_path()) break;
    parent = parent.parent_path();
  }
  if (!std::filesystem::is_directory(parent, error) || ::access(parent.c_str(), W_OK | X_OK) != 0) {
    throw std::runtime_error("option --out: cannot create '" + dir.string() + "': '" +
                             parent.string() + "' is not a writable directory");
  }
}

RunLock create_run_directory(const std::filesystem::path& dir, bool force,
                             const std::string& config) {
  std::error_code error;
  const std::filesystem::path target = std::filesystem::absolute(dir);
  std::filesystem::create_directories(target.parent_path(), error);
  std::filesystem::path staging = target;
  staging += ".partial-" + std::to_string(::getpid());
  const auto fail = [&](const std::string& why) {
    std::error_code ignored;
    std::filesystem::remove_all(staging, ignored);
    throw std::runtime_error("option --out: cannot create '" + dir.string() + "' (" + why + ")");
  };
  std::filesystem::remove_all(staging, error);
  std::filesystem::create_directories(staging / "images", error);
  if (error) fail(error.message());
  RunLock lock;
  try {
    lock = RunLock(staging, "option --out");
    write_text_atomically(staging / "config.json", config);
  } catch (const std::exception& e) {
    fail(e.what());
  }
  if (std::filesystem::exists(target, error)) {
    if (!force) fail("it appeared meanwhile");
    try {
      // Never replace a run that another process holds; hold its lock while removing it.
      const RunLock old(target, "option --force");
      std::filesystem::remove_all(target, error);
    } catch (const std::exception& e) {
      std::error_code ignored;
      std::filesystem::remove_all(staging, ignored);
      throw;
    }
    if (error) fail("cannot remove the earlier run: " + error.message());
  }
  std::filesystem::rename(staging, target, error);
  if (error) fail(error.message());
  return lock;
}

nlohmann::json read_run_config(const std::filesystem::path& dir, const std::string& program) {
  const std::filesystem::path file = dir / "config.json";
  std::error_code error;
  if (!std::filesystem::exists(file, error)) {
    throw std::runtime_error("option --resume: '" + dir.string() +
                             "' has no config.json (not a run directory of " + program + ")");
  }
  if (!std::filesystem::is_regular_file(file, error) ||
      std::filesystem::file_size(file, error) > (1u << 20)) {
    throw std::runtime_error("option --resume: '" + file.string() +
                             "' is not a regular file of at most 1 MiB");
  }
  try {
    return nlohmann::json::parse(std::ifstream(file));
  } catch (const std::exception& e) {
    throw std::runtime_error("option --resume: '" + file.string() + "' is not JSON (" + e.what() +
                             ")");
  }
}

}  // namespace xdream_apps
