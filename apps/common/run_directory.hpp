#pragma once
// A program's run directory: checked before anything is written, created atomically with its
// config.json, locked for as long as a process runs in it, and text files written atomically
// (temporary file, fsync, rename), so a crash never leaves a half file.

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace xdream_apps {

/// Writes `text` to `path` atomically (xdream::io::write_file_atomically: temporary file, fsync,
/// rename).
void write_text_atomically(const std::filesystem::path& path, const std::string& text);

/// An advisory lock (flock) on a run directory's `lock` file, held until destruction: a second
/// process that wants the directory (to run in it, resume it, or replace it with --force) is
/// refused with a line naming the holder's pid. The lock file holds the holder's pid. The lock
/// goes with the process: a killed run leaves no stale lock.
class RunLock {
 public:
  RunLock() = default;
  /// Locks `dir`/lock (created when missing). Throws std::runtime_error, beginning with `option`,
  /// when another process holds it or it cannot be made.
  RunLock(const std::filesystem::path& dir, const std::string& option);
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();
  bool held() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/// Checks that a new run may be written to `dir`: it must not exist, or `force` must be given
/// and it must be an earlier run directory (with config.json) or empty; its parent must be
/// writable. Throws std::runtime_error naming the option and the directory otherwise. Nothing
/// is created.
void check_new_run_directory(const std::filesystem::path& dir, bool force);

/// Creates the run directory with images/, config.json and its lock in it, atomically: all are
/// made under a temporary name beside it, then renamed into place (replacing an earlier run's
/// with `force`, once its lock is taken: never a run another process holds), so a crash leaves
/// either no directory or a resumable one; on any failure the temporary directory is removed.
/// Returns the lock, held.
RunLock create_run_directory(const std::filesystem::path& dir, bool force,
                             const std::string& config);

/// The config.json of the run in `dir`, for --resume: a regular file of at most 1 MiB (never a
/// FIFO that blocks) holding JSON. Throws std::runtime_error, beginning with "option --resume",
/// naming what is wrong and `program` (whose run directory it should be).
nlohmann::json read_run_config(const std::filesystem::path& dir, const std::string& program);

}  // namespace xdream_apps
