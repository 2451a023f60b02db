// xdream-fakerig: a simulated recording rig that speaks xdream's file protocol
// (docs/rig-files.md), for tests and demos. It polls the exchange directory's
// current_block.json, shows each open block to a simulated neuron (model.hpp), sleeps the block's
// simulated duration (scaled by --speed) while it writes progress, and writes the block's response
// file through the response writer, damaged as the fault options ask.

#include "exchange.hpp"
#include "model.hpp"
#include "neuron.hpp"
#include "options.hpp"
#include "program.hpp"
#include "response_writer.hpp"
#include "socket_rig.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#ifndef XDREAM_MODELS_DIR
#define XDREAM_MODELS_DIR "models/fashion_mnist"
#endif

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace xdream_fakerig {
namespace {

/// How long current_block.json may be unreadable (a network share's hiccup) before it is an
/// error, and how long a block's manifest and images may take to appear whole.
constexpr double unreadable_limit_s = 5.0;
/// Progress files are rewritten at most this often (wall seconds), besides a block's start,
/// pause and end.
constexpr double progress_every_s = 0.25;

/// Thrown out of a wait that SIGTERM or SIGINT cut short: the rig stops cleanly.
struct StopRequested {};

void fsync_file(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + file.string() + " to flush it");
  const int status = ::fsync(fd);
  ::close(fd);
  if (status != 0) throw std::runtime_error("cannot flush " + file.string() + " to disk");
}

/// Writes `bytes` into `file` in place, in two halves `gap_s` apart (a rig's slow save).
void write_in_two_halves(const fs::path& file, const std::string& bytes, double gap_s) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + file.string() + " for writing");
  const auto put = [&](std::size_t from, std::size_t to) {
    while (from < to) {
      const ::ssize_t n = ::write(fd, bytes.data() + from, to - from);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ::close(fd);
        throw std::runtime_error("cannot write " + file.string());
      }
      from += static_cast<std::size_t>(n);
    }
    ::fsync(fd);
  };
  put(0, bytes.size() / 2);
  sleep_for(gap_s);  // a stop request cuts the gap short; the file is still completed
  put(bytes.size() / 2, bytes.size());
  ::close(fd);
}

class Rig {
 public:
  Rig(RigOptions options, int argc, char** argv)
      : o_(std::move(options)), dir_(o_.dir), argc_(argc), argv_(argv) {
    if (o_.synthetic) {
      neuron_ = make_synthetic_neuron();
      reference_max_ = o_.reference_max > 0.0 ? o_.reference_max : 1.0;
    } else {
      neuron_ = make_network_neuron({.network = o_.network,
                                     .tap = o_.tap,
                                     .unit = o_.unit,
                                     .y = o_.y,
                                     .x = o_.x,
                                     .device = o_.device,
                                     .threads = o_.threads});
      if (o_.reference_max > 0.0) reference_max_ = o_.reference_max;
      if (o_.carried.reference_max) reference_max_ = o_.carried.reference_max;
    }
    never_score_id_ = !o_.never_score_id.empty() ? o_.never_score_id : o_.carried.never_score_id;
    stale_pending_ = o_.carried.stale_pending;
    blocks_shown_ = o_.carried.blocks_shown;
    if (!o_.log.empty()) {
      // A fresh start begins the log; the restart after the crash fault continues it.
      log_.open(o_.log, o_.carried.restarted ? std::ios::app : std::ios::trunc);
      if (!log_) throw std::runtime_error("cannot open the log " + o_.log + " for writing");
    }
  }

  int run() {
    if (!o_.quiet) {
      std::printf("xdream-fakerig: %s %s as %s, %d channel(s), .%s files, seed %llu\n",
                  o_.carried.restarted ? "restarted after the crash, watching" : "watching",
                  dir_.string().c_str(), neuron_->describe().c_str(), o_.channels,
                  extension_of(o_.format).c_str(), static_cast<unsigned long long>(o_.seed));
      std::fflush(stdout);
    }
    if (o_.stale_file && !o_.carried.restarted) write_stale_file();
    const double poll_s = std::clamp(0.05 / o_.speed, 0.001, 1.0);
    double idle_since = now_s();
    std::optional<double> unreadable_since;
    for (;;) {
      if (stop_requested()) return stopped();
      std::optional<CurrentBlock> current;
      try {
        current = read_current_block(dir_);
        unreadable_since.reset();
      } catch (const std::exception&) {
        // Retried: xdream replaces it atomically, but a network share can show a torn read.
        if (!unreadable_since) unreadable_since = now_s();
        if (now_s() - *unreadable_since > unreadable_limit_s) throw;
      }
      if (current && current->status == "done") {
        say("session " + current->session + " is done");
        return 0;
      }
      if (current && current->status == "open" &&
          done_.count({current->session, current->block}) == 0) {
        done_.insert({current->session, current->block});
        if (answered(*current)) continue;
        try {
          show(*current);
        } catch (const StopRequested&) {
          return stopped();
        }
        ++blocks_shown_;
        idle_since = now_s();
        if (o_.max_blocks > 0 && blocks_shown_ >= o_.max_blocks) {
          say("showed " + std::to_string(blocks_shown_) + " block(s) (--max-blocks)");
          return 0;
        }
        continue;
      }
      if (o_.idle_timeout_s > 0.0 && now_s() - idle_since > o_.idle_timeout_s) {
        throw std::runtime_error("no open block to show for " + number(o_.idle_timeout_s) +
                                 " s (--idle-timeout-s)");
      }
      sleep_for(poll_s);
    }
  }

 private:
  static std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", value);
    return text;
  }

  void say(const std::string& line) const {
    if (o_.quiet) return;
    std::printf("xdream-fakerig: %s\n", line.c_str());
    std::fflush(stdout);
  }

  int stopped() const {
    say(std::string("stopped by ") + (stop_signal() == SIGINT ? "SIGINT" : "SIGTERM"));
    return 0;
  }

  fs::path response_path(std::int64_t block) const {
    return dir_ / (block_name(block) + "." + extension_of(o_.format));
  }

  /// Whether the block already has a response file (this rig's, before a restart): then it is
  /// not shown again. The stale file this process left is not an answer.
  bool answered(const CurrentBlock& current) {
    const std::optional<fs::path> file = existing_response(dir_, current.block);
    if (!file) return false;
    if (stale_pending_ && current.block == 1 && *file == response_path(1)) return false;
    say("block " + std::to_string(current.block) + " already has " + file->string() +
        "; not shown again");
    return true;
  }

  /// The manifest and the images of the block, read again for a few seconds while they are not
  /// there or not whole yet (a network share lags); then the last error.
  std::pair<Manifest, std::vector<xdream::io::Image>> read_block(const CurrentBlock& current) {
    const double start = now_s();
    for (;;) {
      try {
        Manifest manifest = read_manifest(dir_, current);
        std::vector<xdream::io::Image> images = read_images(dir_, manifest);
        return {std::move(manifest), std::move(images)};
      } catch (const std::exception&) {
        if (now_s() - start > unreadable_limit_s) throw;
        if (!sleep_for(0.1)) throw StopRequested{};
      }
    }
  }

  void show(const CurrentBlock& current) {
    const double wall_start = now_s();
    auto [manifest, images] = read_block(current);
    const std::vector<double> activation = neuron_->activations(images);
    if (!reference_max_) measure_reference_max(manifest, activation);
    if (o_.never_score_index >= 0 && never_score_id_.empty() &&
        manifest.block == o_.never_score_block) {
      if (o_.never_score_index >= static_cast<std::int64_t>(manifest.stimuli.size())) {
        throw std::runtime_error(
            "option --never-score-index = " + std::to_string(o_.never_score_index) + ": block " +
            std::to_string(manifest.block) + " has only " +
            std::to_string(manifest.stimuli.size()) + " images");
      }
      never_score_id_ = manifest.stimuli[static_cast<std::size_t>(o_.never_score_index)].stim_id;
    }
    const BlockResult result =
        simulate_block(o_, manifest, activation, *reference_max_, never_score_id_);
    if (!present(manifest, result)) return;  // hung, or asked to stop

    const bool late =
        o_.latency_s > 0.0 && (o_.latency_block == 0 || o_.latency_block == manifest.block);
    if (late && !sleep_for(o_.latency_s)) return;
    const fs::path file = response_path(manifest.block);
    if (stale_pending_ && manifest.block == 1) {
      if (!wait_taken(file)) return;
      stale_pending_ = false;
    }
    write_block_file(file, manifest, result, false);
    say(block_name(manifest.block) + " (generation " + std::to_string(manifest.generation) +
        ", attempt " + std::to_string(manifest.attempt) +
        "): " + std::to_string(manifest.stimuli.size()) + " images x " +
        std::to_string(manifest.reps) + " reps, " + std::to_string(result.valid) + "/" +
        std::to_string(result.rows.size()) + " valid, " + number(result.duration_s()) +
        " s simulated in " + number(now_s() - wall_start) + " s -> " + file.filename().string());
    if (manifest.block == o_.duplicate_block) {
      if (!wait_taken(file) || !sleep_for(o_.duplicate_delay_s)) return;
      write_block_file(file, manifest, result, o_.duplicate_conflict);
      say(block_name(manifest.block) + ": written again" +
          (o_.duplicate_conflict ? " with other values" : ""));
    }
  }

  /// The network's reference maximum: its best response to the first block's reference images.
  void measure_reference_max(const Manifest& manifest, const std::vector<double>& activation) {
    double best = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < manifest.stimuli.size(); ++i) {
      if (manifest.stimuli[i].kind == "reference") best = std::max(best, activation[i]);
    }
    if (!(best > 0.0) || !std::isfinite(best)) {
      throw std::runtime_error(std::string("block ") + std::to_string(manifest.block) +
                               (std::isinf(best) ? " has no reference images"
                                                 : " has no reference image with a response > 0") +
                               " to scale the spike rate to; give --reference-max");
    }
    reference_max_ = best;
    say("reference maximum " + number(best) + " (the best of block " +
        std::to_string(manifest.block) + "'s reference images)");
  }

  /// The block's presentations in (scaled) time: progress as it goes, and the faults that strike
  /// halfway (pause, hang, crash). False when the block is not to be answered (hang, stop).
  bool present(const Manifest& m, const BlockResult& r) {
    const double start = now_s();
    double shift = 0.0;  // wall seconds the pause added
    double last_progress = start;
    write_progress(dir_, m.block, 0, 0, false);
    const std::size_t trials = r.trial_end_s.size();
    const std::size_t per_trial = static_cast<std::size_t>(o_.images_per_trial);
    std::size_t valid = 0;
    for (std::size_t t = 0; t < trials; ++t) {
      const std::size_t done = t * per_trial;
      if (t == trials / 2) {
        if (m.block == o_.pause_block) {
          write_progress(dir_, m.block, done, valid, true);
          say(block_name(m.block) + ": paused for " + number(o_.pause_s) + " s");
          const double paused = now_s();
          if (!sleep_for(o_.pause_s)) return false;
          shift += now_s() - paused;
          write_progress(dir_, m.block, done, valid, false);
        }
        if (m.block == o_.hang_block) return hang(m);
        if (m.block == o_.crash_block && !o_.carried.restarted) crash(m, done, valid);
      }
      const double until = start + shift + r.trial_end_s[t] / o_.speed;
      if (!sleep_for(until - now_s())) return false;
      const std::size_t end = std::min(r.rows.size(), done + per_trial);
      for (std::size_t row = done; row < end; ++row) {
        if (r.values.row(static_cast<Eigen::Index>(row)).array().isFinite().any()) ++valid;
      }
      if (now_s() - last_progress >= progress_every_s) {
        write_progress(dir_, m.block, end, valid, false);
        last_progress = now_s();
      }
    }
    write_progress(dir_, m.block, r.rows.size(), r.valid, false);
    return true;
  }

  /// The hang fault: nothing more for this block until current_block.json moves on.
  bool hang(const Manifest& m) {
    say(block_name(m.block) + ": hanging until current_block.json moves on");
    for (;;) {
      if (!sleep_for(std::clamp(0.05 / o_.speed, 0.001, 1.0))) return false;
      std::optional<CurrentBlock> current;
      try {
        current = read_current_block(dir_);
      } catch (const std::exception&) {
        continue;
      }
      if (!current || current->block != m.block || current->session != m.session ||
          current->status != "open") {
        return false;
      }
    }
  }

  /// The crash fault: dies before writing the block's file and starts again by re-executing
  /// itself, with what it measured and decided (the internal option), as a rig restarted by its
  /// operator that reads current_block.json.
  [[noreturn]] void crash(const Manifest& m, std::size_t done, std::size_t valid) {
    write_progress(dir_, m.block, done, valid, false);
    std::fprintf(stderr,
                 "xdream-fakerig: crash in %s (the --crash-block fault); restarting in %s s\n",
                 block_name(m.block).c_str(), number(o_.crash_restart_s).c_str());
    std::fflush(stdout);
    std::fflush(stderr);
    if (log_.is_open()) log_.close();
    if (!sleep_for(o_.crash_restart_s)) {
      say("stopped during the crash fault's restart");
      std::exit(0);
    }
    CarriedState state{.restarted = true,
                       .stale_pending = stale_pending_,
                       .reference_max = reference_max_,
                       .never_score_id = never_score_id_,
                       .blocks_shown = blocks_shown_};
    restart_with(state, argc_, argv_);
  }

  /// Waits (at most --take-wait-s) until xdream has taken `file` away; false when a stop was
  /// requested meanwhile.
  bool wait_taken(const fs::path& file) const {
    const double start = now_s();
    std::error_code error;
    while (fs::exists(file, error) && now_s() - start < o_.take_wait_s) {
      if (!sleep_for(0.02)) return false;
    }
    return true;
  }

  ResponseContent content_of(const FileRows& rows, const std::string& session, std::int64_t block,
                             std::int64_t attempt) const {
    return ResponseContent{.names = rows.names,
                           .channels = o_.labels,
                           .values = rows.values,
                           .reps = rows.reps,
                           .session = session,
                           .block = block,
                           .attempt = attempt,
                           .final = true};
  }

  /// Writes `content` to `file` through the writer (to `to`, which may be a temporary name).
  void render(const fs::path& to, const ResponseContent& content, MatFault fault) const {
    switch (o_.format) {
      case Format::mat:
        write_mat(to, content, fault);
        break;
      case Format::h5:
        write_h5(to, content);
        break;
      case Format::json:
        write_json(to, content);
        break;
    }
  }

  /// The file's bytes, rendered to a temporary name and read back.
  std::string rendered_bytes(const fs::path& file, const ResponseContent& content,
                             MatFault fault) const {
    const fs::path temporary = file.string() + ".tmp";
    render(temporary, content, fault);
    std::string bytes = read_bytes(temporary);
    fs::remove(temporary);
    return bytes;
  }

  /// Writes `content` as the response file `file`: through a temporary name renamed (or in place
  /// with --in-place), or damaged as --partial-block or --truncate-block say for this block.
  void write_file(const fs::path& file, const ResponseContent& content, MatFault fault,
                  std::int64_t block, bool first_copy) const {
    if (first_copy && block > 0 && block == o_.partial_block) {
      write_in_two_halves(file, rendered_bytes(file, content, fault), o_.partial_gap_s);
    } else if (first_copy && block > 0 && block == o_.truncate_block) {
      const std::string bytes = rendered_bytes(file, content, fault);
      write_bytes_atomically(file, bytes.substr(0, bytes.size() / 2));
      if (o_.truncate_fix_s > 0.0) {
        sleep_for(o_.truncate_fix_s);  // a stop request completes the file early
        write_bytes_atomically(file, bytes);
      }
    } else if (o_.in_place) {
      render(file, content, fault);
    } else {
      const fs::path temporary = file.string() + ".tmp";
      render(temporary, content, fault);
      fsync_file(temporary);
      fs::rename(temporary, file);
    }
  }

  MatFault mat_fault(std::int64_t block) const {
    if (block != o_.schema_block) return MatFault::none;
    switch (o_.schema_fault) {
      case SchemaFault::missing_variable:
        return MatFault::missing_variable;
      case SchemaFault::row_cell:
        return MatFault::row_cell;
      case SchemaFault::transposed:
        return MatFault::transposed;
      case SchemaFault::wrong_channels:
        return MatFault::wrong_channels;
      case SchemaFault::h5py_strings:
        return MatFault::h5py_strings;
      default:
        return MatFault::none;
    }
  }

  void write_block_file(const fs::path& file, const Manifest& m, const BlockResult& result,
                        bool conflict) {
    const bool again = conflict || (m.block == o_.duplicate_block && written_.count(m.block) > 0);
    FileRows rows = compose_file(o_, dir_, m, result, conflict);
    write_file(file, content_of(rows, m.session, m.block, m.attempt), mat_fault(m.block), m.block,
               !again);
    written_.insert(m.block);
    std::string extra;
    if (again) extra = conflict ? "duplicate-conflict" : "duplicate";
    if (!again && m.block == o_.partial_block) extra = "partial-write";
    if (!again && m.block == o_.truncate_block) {
      extra = o_.truncate_fix_s > 0.0 ? "truncated" : "truncated-unfixed";
    }
    log_rows(rows, m.block, m.attempt, file, extra);
  }

  void write_stale_file() {
    std::string session;
    const FileRows rows = stale_rows(o_, dir_, &session);
    const fs::path file = response_path(1);
    write_file(file, content_of(rows, session, 1, 1), MatFault::none, 0, true);
    stale_pending_ = true;
    log_rows(rows, 1, 1, file, "");
    say("left a stale " + file.filename().string() + " of session " + session + " (--stale-file)");
  }

  void log_rows(const FileRows& rows, std::int64_t block, std::int64_t attempt,
                const fs::path& file, const std::string& extra) {
    if (!log_.is_open()) return;
    for (std::size_t r = 0; r < rows.names.size(); ++r) {
      std::string fault = rows.faults[r];
      if (!extra.empty()) fault += fault.empty() ? extra : "," + extra;
      for (int c = 0; c < o_.channels; ++c) {
        const double value = rows.values(static_cast<Eigen::Index>(r), c);
        json line{{"block", block},
                  {"attempt", attempt},
                  {"stim_id", rows.stim_ids[r]},
                  {"rep", rows.reps[r]},
                  {"channel", o_.labels[static_cast<std::size_t>(c)]},
                  {"value", std::isfinite(value) ? json(value) : json(nullptr)},
                  {"file", file.filename().string()}};
        if (!fault.empty()) line["fault"] = fault;
        log_ << line.dump() << '\n';
      }
    }
    log_.flush();
    if (!log_) throw std::runtime_error("cannot write the log " + o_.log);
  }

  RigOptions o_;
  fs::path dir_;
  int argc_;
  char** argv_;
  std::unique_ptr<Neuron> neuron_;
  std::optional<double> reference_max_;
  std::string never_score_id_;
  bool stale_pending_ = false;
  std::uint64_t blocks_shown_ = 0;
  std::ofstream log_;
  std::set<std::pair<std::string, std::int64_t>> done_;
  std::set<std::int64_t> written_;
};

int run_program(int argc, char** argv) {
  install_stop_handlers();
  RigOptions options;
  if (auto code = parse_command_line(argc, argv, options, XDREAM_MODELS_DIR)) return *code;
  if (!options.connect.empty()) return run_socket_rig(options, argc, argv);
  Rig rig(std::move(options), argc, argv);
  return rig.run();
}

}  // namespace
}  // namespace xdream_fakerig

int main(int argc, char** argv) {
  return xdream_apps::run_main(argc, argv, "xdream-fakerig", xdream_fakerig::run_program);
}
