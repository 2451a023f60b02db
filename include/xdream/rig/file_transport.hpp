#pragma once
/// @file
/// The file exchange XDream's users run (docs/rig-files.md): images and a manifest out, one
/// response file per block back, through a directory the presentation computer shares. A
/// RigTransport; link xdream::rig (libpng, OpenSSL, HDF5, nlohmann-json).

#include <xdream/io/atomic_file.hpp>
#include <xdream/io/png.hpp>
#include <xdream/io/sha256.hpp>
#include <xdream/rig/block.hpp>
#include <xdream/rig/clock.hpp>
#include <xdream/rig/detail/block_pngs.hpp>
#include <xdream/rig/events.hpp>
#include <xdream/rig/response_file.hpp>
#include <xdream/rig/stop.hpp>
#include <xdream/rig/transport.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace xdream::rig {

/// Settings of FileTransport (defaults: docs/rig-files.md).
struct FileTransportOptions {
  /// How often the directory is looked at while nothing happens (seconds).
  double poll_s = 0.25;
  /// A response file is read once its size and time are unchanged over this many polls.
  int stable_polls = 2;
  /// A file that does not parse is tried again this many times over `retry_window_s`, then
  /// quarantined.
  int parse_retries = 20;
  double retry_window_s = 10.0;
  /// A file with more than this share of unknown names is another session's: quarantined.
  double unknown_reject_fraction = 0.2;
  /// Threads encoding a block's PNGs (encoding is dead time for the animal).
  int png_threads = 2;
  /// zlib's fastest level for the PNGs (larger files, written sooner).
  bool fast_png = true;
};

/// The file transport. `exchange` is the shared directory (it must exist); every response file
/// is copied byte for byte into the archive directory (`set_archive`: the run's `rig/raw/`)
/// before anything else. The exchange directory is locked (`.xdream-rig.lock`) while the
/// transport is open: a second session on it is refused.
template <class Clock = SteadyClock>
class FileTransport {
 public:
  FileTransport(std::filesystem::path exchange, Clock& clock, FileTransportOptions options = {})
      : exchange_(std::move(exchange)), clock_(&clock), options_(options) {
    check_directory("exchange", exchange_);
    if (!(options_.poll_s > 0 && options_.poll_s <= 60) || options_.stable_polls < 1 ||
        options_.parse_retries < 0 || !(options_.retry_window_s >= 0) ||
        !(options_.unknown_reject_fraction >= 0 && options_.unknown_reject_fraction <= 1) ||
        options_.png_threads < 1 || options_.png_threads > 64) {
      throw std::invalid_argument("xdream::rig::FileTransport: a setting is out of range");
    }
  }

  /// Where every response file is archived as received (must exist before blocks are sent).
  void set_archive(std::filesystem::path raw) {
    check_directory("raw archive", raw);
    raw_ = std::move(raw);
  }

 private:
  static void check_directory(const char* what, const std::filesystem::path& dir) {
    {
      std::error_code error;
      if (!std::filesystem::is_directory(dir, error)) {
        throw std::invalid_argument(std::string("xdream::rig::FileTransport: the ") + what +
                                    " directory '" + dir.string() + "' does not exist");
      }
      if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        throw std::invalid_argument(std::string("xdream::rig::FileTransport: the ") + what +
                                    " directory '" + dir.string() + "' is not writable");
      }
    }
  }

 public:
  FileTransport(const FileTransport&) = delete;
  FileTransport& operator=(const FileTransport&) = delete;
  ~FileTransport() { close(); }

  /// Takes the exchange directory for `session`: locks it (refused when another process holds
  /// it), makes processed/ and quarantine/.
  void open(const RigSession& session) {
    session_ = session.tag;
    const std::filesystem::path lock = exchange_ / ".xdream-rig.lock";
    lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      std::string holder;
      if (lock_fd_ >= 0) {
        char text[64] = {};
        const ::ssize_t n = ::pread(lock_fd_, text, sizeof text - 1, 0);
        if (n > 0) holder = std::string(text, static_cast<std::size_t>(n));
        ::close(lock_fd_);
        lock_fd_ = -1;
      }
      throw std::invalid_argument("xdream::rig::FileTransport: the exchange directory '" +
                                  exchange_.string() + "' is used by another session" +
                                  (holder.empty() ? "" : " (" + trim(holder) + ")"));
    }
    const std::string mine =
        "session " + session_ + ", process " + std::to_string(::getpid()) + "\n";
    if (::ftruncate(lock_fd_, 0) != 0 || ::pwrite(lock_fd_, mine.data(), mine.size(), 0) < 0) {
      // the lock holds without the words
    }
    std::error_code error;
    std::filesystem::create_directories(exchange_ / "processed", error);
    std::filesystem::create_directories(exchange_ / "quarantine", error);
    if (error) {
      throw std::invalid_argument(
          "xdream::rig::FileTransport: cannot make processed/ and "
          "quarantine/ in '" +
          exchange_.string() + "': " + error.message());
    }
    // A resumed session's earlier blocks: their late files are this session's, not stale.
    for (const auto& path : list(exchange_)) {
      const std::string name = path.filename().string();
      if (name.rfind("block", 0) != 0 || name.size() < 15 ||
          name.substr(name.size() - 14) != ".manifest.json") {
        continue;
      }
      try {
        const std::vector<std::byte> bytes = io::read_file(path);
        if (bytes.size() > (std::size_t{1} << 24)) continue;
        const auto manifest = nlohmann::json::parse(
            std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
        if (manifest.at("session") != session_) continue;
        Issued issued;
        issued.block.number = manifest.at("block").get<std::uint32_t>();
        issued.block.session = session_;
        for (const auto& stimulus : manifest.at("stimuli")) {
          issued.files.push_back(stimulus.at("file").get<std::string>());
          issued.ids.push_back(stimulus.at("stim_id").get<std::string>());
        }
        issued_[issued.block.number] = std::move(issued);
      } catch (const std::exception&) {
        // another program's file, or a damaged one: not this session's
      }
    }
  }

  /// Writes the block's images, then its manifest, then current_block.json (each atomically).
  /// A block taken up again after a restart is not written again when its manifest is there;
  /// its response files already moved to processed/ are read again (the journal keeps them
  /// from counting twice).
  void submit(const RigBlock& block) {
    Issued issued;
    issued.block = block;
    const std::string prefix = block_name(block.number);
    for (std::size_t i = 0; i < block.stimuli.size(); ++i) {
      issued.files.push_back(image_file_name(block.number, i, block.stimuli[i].id));
      issued.ids.push_back(block.stimuli[i].id);
    }
    const std::filesystem::path manifest = exchange_ / (prefix + ".manifest.json");
    if (!(block.reattached && std::filesystem::exists(manifest))) write_block(block, issued);
    if (block.reattached) {
      for (const auto& entry : list(exchange_ / "processed")) {
        const auto number = response_block(entry.filename().string());
        if (number && *number == block.number) pending_.push_back(entry);
      }
    }
    issued_[block.number] = std::move(issued);
    current_ = block.number;
    write_current("open");
  }

  /// Looks for response and progress files until the first events or `deadline`.
  std::vector<RigEvent> poll(RigTime deadline) {
    for (;;) {
      std::vector<RigEvent> events = scan();
      if (!events.empty() || clock_->now() >= deadline) return events;
      clock_->sleep_until(std::min(deadline, clock_->now() + seconds(options_.poll_s)));
    }
  }

  /// The block is closed: current_block.json says so when it is the current one.
  void retire(std::uint32_t block) {
    if (block == current_) write_current("closed");
  }

  /// The session ended normally: current_block.json says `done`.
  void finish() {
    if (current_ != 0) write_current("done");
  }

  void close() {
    if (lock_fd_ >= 0) ::close(lock_fd_);
    lock_fd_ = -1;
  }

  const std::filesystem::path& exchange() const noexcept { return exchange_; }

  /// The file names of a block as written (position order), for tests and tools.
  std::vector<std::string> files_of(std::uint32_t block) const {
    const auto it = issued_.find(block);
    return it == issued_.end() ? std::vector<std::string>{} : it->second.files;
  }

 private:
  struct Issued {
    RigBlock block;
    std::vector<std::string> files;  // position order
    std::vector<std::string> ids;
  };
  struct Watch {
    std::uintmax_t size = 0;
    std::filesystem::file_time_type time{};
    int stable = 0;
    int failures = 0;
    RigTime first_failure{0};
  };

  static std::string trim(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  }

  // The block number of `blockNNN.mat|h5|json` (not of manifests or progress files).
  static std::optional<std::uint32_t> response_block(const std::string& name) {
    if (name.rfind("block", 0) != 0) return std::nullopt;
    const auto dot = name.find('.');
    if (dot == std::string::npos || dot == 5) return std::nullopt;
    const std::string ext = name.substr(dot);
    if (ext != ".mat" && ext != ".h5" && ext != ".json") return std::nullopt;
    std::uint32_t number = 0;
    const auto [end, error] = std::from_chars(name.data() + 5, name.data() + dot, number);
    if (error != std::errc() || end != name.data() + dot) return std::nullopt;
    return number;
  }

  static std::vector<std::filesystem::path> list(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
      if (entry.is_regular_file(error)) out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  void write_block(const RigBlock& block, const Issued& issued) {
    const std::vector<std::vector<std::byte>> encoded =
        detail::encode_block_pngs(block, issued.files, options_.png_threads, options_.fast_png);
    nlohmann::json stimuli = nlohmann::json::array();
    stop_if_disk_full([&] {
      for (std::size_t i = 0; i < encoded.size(); ++i) {
        io::write_file_atomically(exchange_ / issued.files[i], encoded[i],
                                  io::Durability::deferred);
        const RigImage& image = *block.stimuli[i].image;
        stimuli.push_back(
            {{"index", i},
             {"stim_id", block.stimuli[i].id},
             {"kind", block.stimuli[i].kind == StimulusKind::synthetic ? "synthetic" : "reference"},
             {"file", issued.files[i]},
             {"sha256", io::sha256(encoded[i])},
             {"width", image.width},
             {"height", image.height}});
      }
      // The images reach the disk before the manifest that names them (one flush for all).
      io::sync_file_system(exchange_);
      const nlohmann::json manifest{{"protocol", "xdream-rig-files"}, {"version", 1},
                                    {"session", block.session},       {"block", block.number},
                                    {"generation", block.generation}, {"attempt", block.attempt},
                                    {"reshow", block.reshow},         {"reps", block.reps},
                                    {"deadline_s", block.deadline_s}, {"stimuli", stimuli}};
      write_text(exchange_ / (block_name(block.number) + ".manifest.json"), manifest.dump(1));
    });
  }

  void write_current(const char* status) {
    const nlohmann::json current{{"protocol", "xdream-rig-files"},
                                 {"version", 1},
                                 {"session", session_},
                                 {"block", current_},
                                 {"manifest", block_name(current_) + ".manifest.json"},
                                 {"status", status}};
    stop_if_disk_full([&] { write_text(exchange_ / "current_block.json", current.dump() + "\n"); });
  }

  static void write_text(const std::filesystem::path& path, const std::string& text) {
    io::write_file_atomically(path, std::as_bytes(std::span(text.data(), text.size())));
  }

  // One look at the directory.
  std::vector<RigEvent> scan() {
    std::vector<RigEvent> events;
    std::vector<std::filesystem::path> candidates = std::move(pending_);
    pending_.clear();
    std::set<std::filesystem::path> again(candidates.begin(), candidates.end());
    for (const auto& path : list(exchange_)) {
      const std::string name = path.filename().string();
      if (name.size() > 14 && name.rfind(".progress.json") == name.size() - 14) {
        progress(path, events);
      } else if (response_block(name) && !again.count(path)) {
        if (stable(path)) candidates.push_back(path);
      }
    }
    for (const auto& path : candidates) take(path, events);
    return events;
  }

  // Whether a file's size and time have not changed over `stable_polls` looks.
  bool stable(const std::filesystem::path& path) {
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    const auto time = std::filesystem::last_write_time(path, error);
    if (error) return false;
    Watch& watch = watched_[path];
    if (watch.size == size && watch.time == time) {
      ++watch.stable;
    } else {
      watch = Watch{size, time, 0, watch.failures, watch.first_failure};
    }
    return watch.stable >= options_.stable_polls;
  }

  void progress(const std::filesystem::path& path, std::vector<RigEvent>& events) {
    const std::string name = path.filename().string();
    const auto number = response_block(name.substr(0, name.size() - 14) + ".json");
    if (!number) return;
    std::string text;
    try {
      const std::vector<std::byte> bytes = io::read_file(path);
      if (bytes.size() > 4096) return;
      text.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      if (progress_seen_[*number] == text) return;
      const nlohmann::json j = nlohmann::json::parse(text);
      Progress p;
      p.block = *number;
      p.done = j.value("done", 0);
      p.valid = j.value("valid", 0);
      p.paused = j.value("paused", false);
      progress_seen_[*number] = text;
      events.push_back(p);
    } catch (const std::exception&) {
      // a progress file in the middle of being written: the next look reads it
    }
  }

  // Reads a stable response file; accepts, retries or quarantines it.
  void take(const std::filesystem::path& path, std::vector<RigEvent>& events) {
    const std::string name = path.filename().string();
    const std::uint32_t number = *response_block(name);
    const bool from_processed = path.parent_path().filename() == "processed";
    const auto issued = issued_.find(number);
    if (issued == issued_.end()) {
      quarantine(
          path, "stale: block " + std::to_string(number) + " was not issued by session " + session_,
          events);
      return;
    }
    ResponseTable table;
    try {
      table = read_responses(path, sorted_files(issued->second));
    } catch (const ResponseFileError& e) {
      Watch& watch = watched_[path];
      if (watch.failures == 0) watch.first_failure = clock_->now();
      ++watch.failures;
      const bool give_up = !e.retryable() || watch.failures > options_.parse_retries ||
                           clock_->now() - watch.first_failure > seconds(options_.retry_window_s);
      if (give_up) {
        quarantine(path, e.what(), events);
      } else {
        watch.stable = 0;  // read again after it has been stable again
        if (watch.failures == 1) {
          events.emplace_back(std::in_place_type<Fault>, "parse_retry", e.what(), path.string());
        }
      }
      return;
    } catch (const std::exception& e) {
      quarantine(path, e.what(), events);
      return;
    }
    if (table.session && *table.session != session_) {
      quarantine(path, "stale: the file is of session '" + *table.session + "'", events);
      return;
    }
    if (table.block && *table.block != static_cast<long long>(number)) {
      quarantine(path,
                 "its block_id " + std::to_string(*table.block) + " is not its name's block " +
                     std::to_string(number),
                 events);
      return;
    }
    Responses responses;
    responses.block = number;
    responses.channels = table.channels;
    responses.final = table.final;
    responses.source = path.filename().string();
    responses.transposed = table.transposed;
    std::size_t unknown = 0;
    for (std::size_t r = 0; r < table.names.size(); ++r) {
      Responses::Row row;
      row.shown = table.names[r];
      row.rep = table.reps.size() > r ? table.reps[r] : 0;
      row.stim_id =
          match_stimulus(row.shown, issued->second.files, issued->second.ids).value_or("");
      unknown += row.stim_id.empty() ? 1 : 0;
      row.values.resize(static_cast<std::size_t>(table.values.cols()));
      for (Eigen::Index c = 0; c < table.values.cols(); ++c) {
        row.values[static_cast<std::size_t>(c)] = table.values(static_cast<Eigen::Index>(r), c);
      }
      responses.rows.push_back(std::move(row));
    }
    if (!table.names.empty() &&
        static_cast<double>(unknown) >
            options_.unknown_reject_fraction * static_cast<double>(table.names.size())) {
      quarantine(path,
                 std::to_string(unknown) + " of " + std::to_string(table.names.size()) +
                     " names are not this block's: another session's file",
                 events);
      return;
    }
    if (!from_processed) {
      archive(path);
      move_to(path, exchange_ / "processed");
    }
    watched_.erase(path);
    events.push_back(std::move(responses));
  }

  std::vector<std::string> sorted_files(const Issued& issued) const {
    std::vector<std::string> files = issued.files;
    std::sort(files.begin(), files.end());
    return files;
  }

  // A byte-for-byte copy in the raw archive (a name of its own when one is there already).
  void archive(const std::filesystem::path& path) {
    if (raw_.empty()) throw std::logic_error("xdream::rig::FileTransport: no archive directory");
    stop_if_disk_full([&] {
      const std::vector<std::byte> bytes = io::read_file(path);
      io::write_file_atomically(unique(raw_ / path.filename()), bytes);
    });
  }

  static std::filesystem::path unique(const std::filesystem::path& wanted) {
    std::filesystem::path path = wanted;
    for (int k = 1; std::filesystem::exists(path); ++k) {
      path = wanted.parent_path() /
             (wanted.stem().string() + "." + std::to_string(k) + wanted.extension().string());
    }
    return path;
  }

  void move_to(const std::filesystem::path& path, const std::filesystem::path& dir) {
    std::error_code error;
    std::filesystem::rename(path, unique(dir / path.filename()), error);
    if (error) std::filesystem::remove(path, error);
  }

  void quarantine(const std::filesystem::path& path, const std::string& why,
                  std::vector<RigEvent>& events) {
    const bool from_processed = path.parent_path().filename() == "processed";
    if (!from_processed) {
      try {
        archive(path);
      } catch (const RigStop&) {
        throw;
      } catch (const std::exception&) {
      }
      const std::filesystem::path target = unique(exchange_ / "quarantine" / path.filename());
      std::error_code error;
      std::filesystem::rename(path, target, error);
      if (!error) {
        try {
          write_text(target.string() + ".reason.txt", why + "\n");
        } catch (const std::exception&) {
        }
      } else {
        std::filesystem::remove(path, error);
      }
    }
    watched_.erase(path);
    events.emplace_back(std::in_place_type<Fault>, "quarantined", why, path.filename().string());
  }

  std::filesystem::path exchange_, raw_;
  Clock* clock_;
  FileTransportOptions options_;
  std::string session_;
  int lock_fd_ = -1;
  std::uint32_t current_ = 0;
  std::map<std::uint32_t, Issued> issued_;
  std::map<std::filesystem::path, Watch> watched_;
  std::map<std::uint32_t, std::string> progress_seen_;
  std::vector<std::filesystem::path> pending_;
};

}  // namespace xdream::rig
