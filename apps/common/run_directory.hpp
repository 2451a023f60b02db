#pragma once
// A program's run directory: checked before anything is written, created atomically with its
// config.json, and text files written atomically (temporary file, fsync, rename), so a crash
// never leaves a half file.

#include <filesystem>
#include <string>

namespace xdream_apps {

/// Writes `text` to `path` atomically (xdream::io::write_file_atomically: temporary file, fsync,
/// rename).
void write_text_atomically(const std::filesystem::path& path, const std::string& text);

/// Checks that a new run may be written to `dir`: it must not exist, or `force` must be given
/// and it must be an earlier run directory (with config.json) or empty; its parent must be
/// writable. Throws std::runtime_error naming the option and the directory otherwise. Nothing
/// is created.
void check_new_run_directory(const std::filesystem::path& dir, bool force);

/// Creates the run directory with images/ and config.json in it, atomically: all three are made
/// under a temporary name beside it, then renamed into place (replacing an earlier run's with
/// `force`), so a crash leaves either no directory or a resumable one.
void create_run_directory(const std::filesystem::path& dir, bool force, const std::string& config);

}  // namespace xdream_apps
