#include "run_directory.hpp"

#include <xdream/io/archive.hpp>

#include <cmath>
#include <span>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <unistd.h>

namespace xdream_apps {

void write_text_atomically(const std::filesystem::path& path, const std::string& text) {
  xdream::io::write_file_atomically(path, std::as_bytes(std::span(text.data(), text.size())));
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

void create_run_directory(const std::filesystem::path& dir, bool force, const std::string& config) {
  std::error_code error;
  const std::filesystem::path target = std::filesystem::absolute(dir);
  std::filesystem::create_directories(target.parent_path(), error);
  std::filesystem::path staging = target;
  staging += ".partial-" + std::to_string(::getpid());
  std::filesystem::remove_all(staging, error);
  std::filesystem::create_directories(staging / "images", error);
  if (error) {
    throw std::runtime_error("option --out: cannot create '" + dir.string() + "' (" +
                             error.message() + ")");
  }
  write_text_atomically(staging / "config.json", config);
  if (force && std::filesystem::exists(target, error)) std::filesystem::remove_all(target);
  std::filesystem::rename(staging, target, error);
  if (error) {
    std::filesystem::remove_all(staging);
    throw std::runtime_error("option --out: cannot create '" + dir.string() + "' (" +
                             error.message() + ")");
  }
}

}  // namespace xdream_apps
