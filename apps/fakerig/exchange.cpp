#include "exchange.hpp"

#include <xdream/io/atomic_file.hpp>
#include <xdream/io/sha256.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace xdream_fakerig {
namespace {

constexpr const char* protocol_name = "xdream-rig-files";
constexpr std::uintmax_t max_json_bytes = 16u << 20;

volatile std::sig_atomic_t stop_flag = 0;

extern "C" void on_stop_signal(int signal) { stop_flag = signal; }

/// A JSON file of at most 16 MiB, as an object; throws naming the file.
json read_json_object(const fs::path& file) {
  std::error_code error;
  if (fs::is_regular_file(file, error) && fs::file_size(file, error) > max_json_bytes) {
    throw std::runtime_error(file.string() + " is larger than 16 MiB");
  }
  const std::vector<std::byte> bytes = xdream::io::read_file(file);
  json j;
  try {
    j = json::parse(reinterpret_cast<const char*>(bytes.data()),
                    reinterpret_cast<const char*>(bytes.data()) + bytes.size());
  } catch (const std::exception& e) {
    throw std::runtime_error(file.string() + " is not JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw std::runtime_error(file.string() + " is not a JSON object");
  return j;
}

template <class T>
T field(const json& j, const char* key, const fs::path& file) {
  try {
    return j.at(key).get<T>();
  } catch (const std::exception&) {
    throw std::runtime_error(file.string() + ": field '" + key +
                             "' is missing or of the wrong "
                             "type");
  }
}

void check_protocol(const json& j, const fs::path& file) {
  if (field<std::string>(j, "protocol", file) != protocol_name ||
      field<std::int64_t>(j, "version", file) != 1) {
    throw std::runtime_error(file.string() + " is not protocol '" + protocol_name + "' version 1");
  }
}

/// A plain file name: no directory part, not "." or "..".
bool plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of("/\\") == std::string::npos && name.find('\0') == std::string::npos;
}

}  // namespace

std::string block_name(std::int64_t block) {
  char text[32];
  std::snprintf(text, sizeof text, "block%03lld", static_cast<long long>(block));
  return text;
}

std::optional<CurrentBlock> read_current_block(const fs::path& dir) {
  const fs::path file = dir / "current_block.json";
  std::error_code error;
  if (!fs::exists(file, error)) return std::nullopt;
  const json j = read_json_object(file);
  check_protocol(j, file);
  CurrentBlock current{.session = field<std::string>(j, "session", file),
                       .block = field<std::int64_t>(j, "block", file),
                       .manifest = field<std::string>(j, "manifest", file),
                       .status = field<std::string>(j, "status", file)};
  if (current.block < 1) throw std::runtime_error(file.string() + ": block < 1");
  if (current.status != "open" && current.status != "closed" && current.status != "done") {
    throw std::runtime_error(file.string() + ": status '" + current.status +
                             "' is none of open, closed, done");
  }
  if (!plain_name(current.manifest)) {
    throw std::runtime_error(file.string() + ": manifest '" + current.manifest +
                             "' is not a file name in the exchange directory");
  }
  return current;
}

Manifest read_manifest(const fs::path& dir, const CurrentBlock& current) {
  const fs::path file = dir / current.manifest;
  const json j = read_json_object(file);
  check_protocol(j, file);
  Manifest m;
  m.session = field<std::string>(j, "session", file);
  m.block = field<std::int64_t>(j, "block", file);
  m.generation = field<std::int64_t>(j, "generation", file);
  m.attempt = field<std::int64_t>(j, "attempt", file);
  m.reps = field<int>(j, "reps", file);
  m.deadline_s = field<double>(j, "deadline_s", file);
  if (m.session != current.session || m.block != current.block) {
    throw std::runtime_error(file.string() + " is block " + std::to_string(m.block) +
                             " of session " + m.session + "; current_block.json says block " +
                             std::to_string(current.block) + " of session " + current.session);
  }
  if (m.reps < 1 || m.reps > 1000) {
    throw std::runtime_error(file.string() + ": reps = " + std::to_string(m.reps) +
                             " is out of range; allowed: [1, 1000]");
  }
  const json& stimuli = j.contains("stimuli") ? j.at("stimuli") : json();
  if (!stimuli.is_array() || stimuli.empty() || stimuli.size() > 100000) {
    throw std::runtime_error(file.string() + ": 'stimuli' is not a list of 1 to 100000 images");
  }
  for (const json& s : stimuli) {
    if (!s.is_object()) throw std::runtime_error(file.string() + ": a stimulus is not an object");
    Stimulus stimulus{.index = field<std::int64_t>(s, "index", file),
                      .stim_id = field<std::string>(s, "stim_id", file),
                      .kind = field<std::string>(s, "kind", file),
                      .file = field<std::string>(s, "file", file),
                      .sha256 = field<std::string>(s, "sha256", file),
                      .width = field<int>(s, "width", file),
                      .height = field<int>(s, "height", file)};
    if (!plain_name(stimulus.file)) {
      throw std::runtime_error(file.string() + ": image '" + stimulus.file +
                               "' is not a file name in the exchange directory");
    }
    if (stimulus.stim_id.empty()) throw std::runtime_error(file.string() + ": an empty stim_id");
    m.stimuli.push_back(std::move(stimulus));
  }
  std::sort(m.stimuli.begin(), m.stimuli.end(),
            [](const Stimulus& a, const Stimulus& b) { return a.index < b.index; });
  for (std::size_t i = 0; i < m.stimuli.size(); ++i) {
    if (m.stimuli[i].index != static_cast<std::int64_t>(i)) {
      throw std::runtime_error(file.string() + ": the indices are not 0 ... " +
                               std::to_string(m.stimuli.size() - 1));
    }
  }
  return m;
}

std::vector<xdream::io::Image> read_images(const fs::path& dir, const Manifest& manifest) {
  std::vector<xdream::io::Image> images;
  images.reserve(manifest.stimuli.size());
  for (const Stimulus& s : manifest.stimuli) {
    const fs::path file = dir / s.file;
    const std::vector<std::byte> bytes = xdream::io::read_file(file);
    const std::string actual = xdream::io::sha256(std::span<const std::byte>(bytes));
    if (actual != s.sha256) {
      throw std::runtime_error("image " + file.string() + " has sha256 " + actual +
                               "; the manifest says " + s.sha256);
    }
    xdream::io::Image image = xdream::io::decode_png(bytes, file.string());
    if (image.width != s.width || image.height != s.height) {
      throw std::runtime_error("image " + file.string() + " is " + std::to_string(image.width) +
                               " x " + std::to_string(image.height) + "; the manifest says " +
                               std::to_string(s.width) + " x " + std::to_string(s.height));
    }
    images.push_back(std::move(image));
  }
  return images;
}

std::optional<fs::path> existing_response(const fs::path& dir, std::int64_t block) {
  std::error_code error;
  for (const fs::path& where : {dir, dir / "processed"}) {
    for (const char* extension : {".mat", ".h5", ".json"}) {
      const fs::path file = where / (block_name(block) + extension);
      if (fs::exists(file, error)) return file;
    }
  }
  return std::nullopt;
}

void write_progress(const fs::path& dir, std::int64_t block, std::size_t done, std::size_t valid,
                    bool paused) {
  const json j{{"done", done}, {"valid", valid}, {"paused", paused}};
  write_bytes_atomically(dir / (block_name(block) + ".progress.json"), j.dump() + "\n");
}

void write_bytes_atomically(const fs::path& path, const std::string& bytes) {
  xdream::io::write_file_atomically(
      path, std::as_bytes(std::span<const char>(bytes.data(), bytes.size())));
}

std::string read_bytes(const fs::path& path) {
  const std::vector<std::byte> bytes = xdream::io::read_file(path);
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

bool stop_requested() { return stop_flag != 0; }
int stop_signal() { return static_cast<int>(stop_flag); }

bool sleep_for(double seconds) {
  const double end = now_s() + seconds;
  while (!stop_requested()) {
    const double left = end - now_s();
    if (left <= 0.0) return true;
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(left, 0.02)));
  }
  return false;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace xdream_fakerig
