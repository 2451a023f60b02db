#include "options.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <unistd.h>

namespace xdream_fakerig {
namespace {

const std::vector<std::pair<std::string, SchemaFault>>& schema_faults() {
  static const std::vector<std::pair<std::string, SchemaFault>> names{
      {"missing-variable", SchemaFault::missing_variable},
      {"row-cell", SchemaFault::row_cell},
      {"transposed", SchemaFault::transposed},
      {"nan", SchemaFault::nan},
      {"inf", SchemaFault::inf},
      {"wrong-channels", SchemaFault::wrong_channels},
      {"h5py-strings", SchemaFault::h5py_strings}};
  return names;
}

/// A whole number in [0, max] as given, never wrapped ("-1") or clamped (CLI11 would do both
/// for an unsigned setting).
CLI::Validator whole_number(std::uint64_t max) {
  return CLI::Validator(
      [max](std::string& text) -> std::string {
        std::uint64_t value = 0;
        const char* end = text.data() + text.size();
        const auto [at, error] = std::from_chars(text.data(), end, value);
        if (text.empty() || text[0] == '-' || error != std::errc() || at != end) {
          return "expected a whole number >= 0";
        }
        if (value > max) return text + " is above the maximum " + std::to_string(max);
        return "";
      },
      "UINT");
}

/// A label: 1-64 printable ASCII characters without a comma (the list separator).
bool valid_label(const std::string& label) {
  if (label.empty() || label.size() > 64) return false;
  return std::all_of(label.begin(), label.end(),
                     [](char c) { return c > ' ' && c < 127 && c != ','; });
}

CarriedState decode_carried_state(const std::string& text) {
  CarriedState state;
  const nlohmann::json j = nlohmann::json::parse(text);
  state.restarted = j.at("restarted").get<bool>();
  state.stale_pending = j.at("stale_pending").get<bool>();
  if (j.contains("reference_max")) state.reference_max = j.at("reference_max").get<double>();
  state.never_score_id = j.at("never_score_id").get<std::string>();
  state.blocks_shown = j.at("blocks_shown").get<std::uint64_t>();
  return state;
}

/// The combinations the options cannot express one by one; an empty string when all is well.
std::string check_combinations(const RigOptions& o, const CLI::App& app) {
  const auto given = [&](const char* name) { return app.get_option(name)->count() > 0; };
  if (o.synthetic) {
    for (const char* name :
         {"--network", "--tap", "--unit", "--y", "--x", "--device", "--threads"}) {
      if (given(name))
        return std::string("option ") + name + " is for a network; --synthetic has none";
    }
  }
  if (o.correlated > o.channels - 1) {
    return "option --correlated = " + std::to_string(o.correlated) +
           ": at most --channels - 1 = " + std::to_string(o.channels - 1) +
           " channels can copy the target (channel 0)";
  }
  if (!o.labels.empty()) {
    if (o.labels.size() != static_cast<std::size_t>(o.channels)) {
      return "option --labels: " + std::to_string(o.labels.size()) + " labels for " +
             std::to_string(o.channels) + " channels (--channels)";
    }
    std::set<std::string> seen;
    for (const std::string& label : o.labels) {
      if (!valid_label(label)) {
        return "option --labels: '" + label +
               "' is not a label (1-64 printable ASCII characters, "
               "no space or comma)";
      }
      if (!seen.insert(label).second) return "option --labels: '" + label + "' is given twice";
    }
  }
  if (given("--pause-block") != given("--pause-s")) {
    return "options --pause-block and --pause-s go together (which block, how long)";
  }
  if (given("--dropout-channel") != given("--dropout-block")) {
    return "options --dropout-channel and --dropout-block go together (which channel, from which "
           "block)";
  }
  if (o.dropout_channel >= o.channels) {
    return "option --dropout-channel = " + std::to_string(o.dropout_channel) +
           " is out of range; allowed: [0, " + std::to_string(o.channels - 1) + "]";
  }
  if (given("--schema-fault") != given("--schema-block")) {
    return "options --schema-fault and --schema-block go together (which damage, which block)";
  }
  if (o.format != Format::mat && o.schema_fault != SchemaFault::none &&
      o.schema_fault != SchemaFault::nan && o.schema_fault != SchemaFault::inf) {
    return "option --schema-fault " + name_of(o.schema_fault) +
           " damages a .mat file; it needs --format mat (nan and inf work with every format)";
  }
  if (given("--never-score-index") && given("--never-score-id")) {
    return "options --never-score-index and --never-score-id exclude each other";
  }
  if (given("--never-score-block") && !given("--never-score-index")) {
    return "option --never-score-block needs --never-score-index";
  }
  if (given("--latency-block") && o.latency_s == 0.0) {
    return "option --latency-block needs --latency-s";
  }
  if (given("--unknown-ids-block") && o.unknown_ids == 0.0) {
    return "option --unknown-ids-block needs --unknown-ids";
  }
  if (given("--partial-gap-s") && o.partial_block == 0) {
    return "option --partial-gap-s needs --partial-block";
  }
  if (given("--truncate-fix-s") && o.truncate_block == 0) {
    return "option --truncate-fix-s needs --truncate-block";
  }
  if ((o.duplicate_conflict || given("--duplicate-delay-s")) && o.duplicate_block == 0) {
    return "options --duplicate-conflict and --duplicate-delay-s need --duplicate-block";
  }
  if (given("--crash-restart-s") && o.crash_block == 0) {
    return "option --crash-restart-s needs --crash-block";
  }
  return "";
}

}  // namespace

std::string name_of(SchemaFault fault) {
  for (const auto& [name, value] : schema_faults()) {
    if (value == fault) return name;
  }
  return "none";
}

std::string extension_of(Format format) {
  switch (format) {
    case Format::mat:
      return "mat";
    case Format::h5:
      return "h5";
    case Format::json:
      return "json";
  }
  return "mat";
}

std::string encode_carried_state(const CarriedState& state) {
  nlohmann::json j{{"restarted", state.restarted},
                   {"stale_pending", state.stale_pending},
                   {"never_score_id", state.never_score_id},
                   {"blocks_shown", state.blocks_shown}};
  if (state.reference_max) j["reference_max"] = *state.reference_max;
  return j.dump();
}

void restart_with(const CarriedState& state, int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--internal-state") {
      ++i;
      continue;
    }
    if (arg.rfind("--internal-state=", 0) == 0) continue;
    args.push_back(arg);
  }
  args.push_back("--internal-state");
  args.push_back(encode_carried_state(state));
  std::vector<char*> pointers;
  for (std::string& arg : args) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  ::execv("/proc/self/exe", pointers.data());
  throw std::runtime_error(std::string("the restart after the crash fault failed: ") +
                           std::strerror(errno));
}

std::optional<int> parse_command_line(int argc, char** argv, RigOptions& o,
                                      const std::string& models_dir) {
  o.network = models_dir + "/classifier.pt";
  CLI::App app{
      "xdream-fakerig: a simulated recording rig that speaks xdream's file protocol "
      "(docs/rig-files.md) for tests and demos. It watches an exchange directory, shows each "
      "open block to a simulated neuron (a unit of a TorchScript network, or --synthetic) with "
      "Poisson spike counts on C channels, a behaviour model scaled by --speed, and writes the "
      "block's response file. Seeded: the responses depend only on the seed, the block and the "
      "images, never on timing or restarts. Each fault option damages what the rig writes the "
      "way real rigs do; block numbers are those of current_block.json, and a fault that names "
      "a block applies once, to that block, unless its help says 'from block B on'. Fault times "
      "(the options ending in -s) are wall-clock seconds, not scaled by --speed.",
      "xdream-fakerig"};
  app.option_defaults()->always_capture_default()->multi_option_policy(
      CLI::MultiOptionPolicy::TakeLast);
  const auto finite = [](double lo, double hi) { return CLI::Range(lo, hi); };
  const auto block_number = CLI::Range(std::int64_t{1}, std::int64_t{1} << 40);
  const auto seconds = finite(0.0, 86400.0);

  const char* exchange = "Exchange";
  app.add_option("--dir", o.dir, "The exchange directory (where xdream writes current_block.json)")
      ->group(exchange)
      ->check(CLI::ExistingDirectory);
  std::string socket = "zmq";
  app.add_option("--connect", o.connect,
                 "Speak the socket protocol (docs/rig-protocol.md) to xdream-rig here instead of "
                 "watching --dir: tcp://HOST:PORT (zmq) or HOST:PORT (tcp)")
      ->group(exchange)
      ->excludes("--dir");
  app.add_option("--socket", socket, "The socket --connect uses: zmq (a DEALER) | tcp (JSON lines)")
      ->group(exchange)
      ->check(CLI::IsMember({"zmq", "tcp"}));
  std::string format = "mat", names = "file";
  app.add_option("--format", format, "Response file format: mat (MATLAB v7.3) | h5 | json")
      ->group(exchange)
      ->check(CLI::IsMember({"mat", "h5", "json"}));
  app.add_option("--names", names,
                 "How the file names each image: file (blockNNN_MMM_ID.png) | path "
                 "(N:\\Stimuli\\DIR\\file.png) | id (the stimulus id)")
      ->group(exchange)
      ->check(CLI::IsMember({"file", "path", "id"}));
  app.add_flag("--in-place", o.in_place,
               "Write response files in place (as MATLAB's save does) instead of to a temporary "
               "name renamed")
      ->group(exchange);
  app.add_option(
         "--speed", o.speed,
         "Time scale of the behaviour model: 1 = real time, 1000 = a 45 s block takes 45 ms")
      ->group(exchange)
      ->check(finite(1e-3, 1e6));
  app.add_option("--max-blocks", o.max_blocks,
                 "Stop after showing this many blocks (0 = until current_block.json says done)")
      ->group(exchange)
      ->check(whole_number(std::uint64_t{1} << 40));
  app.add_option("--idle-timeout-s", o.idle_timeout_s,
                 "Fail when no block was open to show for this long (0 = wait forever; SIGTERM "
                 "stops the wait)")
      ->group(exchange)
      ->check(seconds);
  app.add_option("--take-wait-s", o.take_wait_s,
                 "How long to wait for xdream to take a file away (the stale file before block "
                 "1's, the first copy of a duplicated file) before writing over it")
      ->group(exchange)
      ->check(seconds);
  app.add_option("--seed", o.seed, "Seed of every random stream (same seed, same responses)")
      ->group(exchange)
      ->check(whole_number(~std::uint64_t{0}));
  app.add_option("--log", o.log,
                 "Log of every response written (JSON lines: block, attempt, stim_id, rep, "
                 "channel, value, file, fault)")
      ->group(exchange);
  app.add_flag("--quiet", o.quiet, "Print only errors")->group(exchange);

  const char* neuron = "Neuron";
  app.add_flag("--synthetic", o.synthetic,
               "A synthetic neuron: a Gaussian-weighted mean brightness of the image centre (in "
               "[0, 1]; no LibTorch pass)")
      ->group(neuron);
  app.add_option("--network", o.network,
                 "TorchScript network whose unit is the neuron (default: the bundled Fashion-MNIST "
                 "classifier)")
      ->group(neuron)
      ->check(CLI::ExistingFile);
  app.add_option("--tap", o.tap,
                 "Layer of the unit: a key of the network's dict, 'output', or a submodule name")
      ->group(neuron);
  app.add_option("--unit", o.unit, "Channel (or feature) of the tap")
      ->group(neuron)
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 30));
  app.add_option("--y", o.y, "Row of a convolutional unit; -1 = centre")
      ->group(neuron)
      ->check(CLI::Range(std::int64_t{-1}, std::int64_t{1} << 20));
  app.add_option("--x", o.x, "Column of a convolutional unit; -1 = centre")
      ->group(neuron)
      ->check(CLI::Range(std::int64_t{-1}, std::int64_t{1} << 20));
  app.add_option("--device", o.device, "LibTorch device: auto | cpu | cuda | cuda:N")
      ->group(neuron);
  app.add_option("--threads", o.threads, "LibTorch threads")
      ->group(neuron)
      ->check(CLI::Range(1, 1024));
  app.add_option("--spikes", o.spikes,
                 "Expected spike count L in the window at the reference maximum activation")
      ->group(neuron)
      ->check(finite(1e-3, 1e6));
  app.add_option("--reference-max", o.reference_max,
                 "Activation that elicits --spikes spikes; 0 = 1 (synthetic) or the best response "
                 "to the first block's reference images (network)")
      ->group(neuron)
      ->check(finite(0.0, 1e12));
  app.add_option("--window-ms", o.window_ms, "Response window: a rate is the spike count / window")
      ->group(neuron)
      ->check(finite(1.0, 1e5));
  app.add_option(
         "--channels", o.channels,
         "Recorded channels: 0 is the target, then the correlated copies, then noise channels")
      ->group(neuron)
      ->check(CLI::Range(1, 1024));
  app.add_option("--labels", o.labels, "Channel labels, comma-separated (default ch0,ch1,...)")
      ->group(neuron)
      ->delimiter(',');
  app.add_option(
         "--correlated", o.correlated,
         "Channels that copy the target's rate with a gain in (0.3, 1) and their own Poisson noise")
      ->group(neuron)
      ->check(CLI::Range(0, 1023));
  app.add_option("--noise-rate", o.noise_rate_hz,
                 "Mean rate (Hz) of the pure-noise channels (Poisson)")
      ->group(neuron)
      ->check(finite(0.0, 1e5));

  const char* behaviour = "Behaviour (simulated milliseconds, scaled by --speed)";
  app.add_option("--images-per-trial", o.images_per_trial, "Images shown per fixation trial")
      ->group(behaviour)
      ->check(CLI::Range(1, 1000));
  app.add_option("--on-ms", o.on_ms, "Time each image is on")
      ->group(behaviour)
      ->check(finite(0.0, 1e5));
  app.add_option("--off-ms", o.off_ms, "Blank time after each image")
      ->group(behaviour)
      ->check(finite(0.0, 1e5));
  app.add_option("--iti-ms", o.iti_ms, "Inter-trial interval")
      ->group(behaviour)
      ->check(finite(0.0, 1e6));
  app.add_option("--fixation-break", o.fixation_break,
                 "Fault: probability that the animal breaks fixation in a trial: all its images "
                 "get NaN (never re-shown in the block; xdream re-shows them)")
      ->group(behaviour)
      ->check(finite(0.0, 1.0));

  const char* faults = "Faults (block numbers as in current_block.json; 0 = off)";
  app.add_option("--lost-block", o.lost_block,
                 "Fault: every trial of block B breaks (too few responses: xdream re-issues the "
                 "generation)")
      ->group(faults)
      ->check(block_number);
  app.add_option("--never-score-index", o.never_score_index,
                 "Fault: the image at position I of block --never-score-block is never scored, "
                 "there or in any later block that shows it again (a rig that froze on it)")
      ->group(faults)
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 30));
  app.add_option("--never-score-block", o.never_score_block,
                 "The block whose image --never-score-index names")
      ->group(faults)
      ->check(block_number);
  app.add_option("--never-score-id", o.never_score_id,
                 "Fault: the image of this stimulus id is never scored")
      ->group(faults);
  app.add_option("--latency-s", o.latency_s,
                 "Fault: wait this long, silent, after a block before writing its response file "
                 "(late data)")
      ->group(faults)
      ->check(seconds);
  app.add_option("--latency-block", o.latency_block, "Only block B is late (default: every block)")
      ->group(faults)
      ->check(block_number);
  app.add_option("--pause-block", o.pause_block,
                 "Fault: halfway through block B the rig pauses (progress says paused = true) ...")
      ->group(faults)
      ->check(block_number);
  app.add_option("--pause-s", o.pause_s, "... for this long, then goes on")
      ->group(faults)
      ->check(seconds);
  app.add_option("--hang-block", o.hang_block,
                 "Fault: halfway through block B the rig hangs: it writes nothing more for the "
                 "block until current_block.json moves on")
      ->group(faults)
      ->check(block_number);
  app.add_option("--partial-block", o.partial_block,
                 "Fault: block B's file is written in place in two halves, with a gap")
      ->group(faults)
      ->check(block_number);
  app.add_option("--partial-gap-s", o.partial_gap_s, "The gap between the halves")
      ->group(faults)
      ->check(seconds);
  app.add_option("--truncate-block", o.truncate_block,
                 "Fault: block B's file is first written truncated (half its bytes) ...")
      ->group(faults)
      ->check(block_number);
  app.add_option("--truncate-fix-s", o.truncate_fix_s,
                 "... and complete this long after (0 = never)")
      ->group(faults)
      ->check(seconds);
  std::vector<std::string> schema_names;
  for (const auto& [name, value] : schema_faults()) schema_names.push_back(name);
  std::string schema;
  app.add_option("--schema-fault", schema,
                 "Fault: block --schema-block's file is damaged: missing-variable (no tEvokedResp) "
                 "| row-cell (stimulusID 1 x N: valid) | transposed (tEvokedResp N x channels: "
                 "accepted with a warning) | nan (every value NaN) | inf (the first presentation's "
                 "values +Inf) | wrong-channels (one channel more than the labels) | h5py-strings "
                 "(strings as h5py writes them: valid)")
      ->group(faults)
      ->check(CLI::IsMember(schema_names));
  app.add_option("--schema-block", o.schema_block, "The block --schema-fault damages")
      ->group(faults)
      ->check(block_number);
  app.add_option(
         "--unknown-ids", o.unknown_ids,
         "Fault: this fraction of a file's presentations name images of another session (rounded "
         "to whole presentations; xdream drops them, or rejects a file with more than 20 %)")
      ->group(faults)
      ->check(finite(0.0, 1.0));
  app.add_option("--unknown-ids-block", o.unknown_ids_block,
                 "Only block B has unknown ids (default: every block)")
      ->group(faults)
      ->check(block_number);
  app.add_flag("--stale-file", o.stale_file,
               "Fault: at start, a block001 response file of another session is left in the "
               "exchange directory (the rig waits --take-wait-s for xdream to take it before "
               "writing its own block 1)")
      ->group(faults);
  app.add_option("--duplicate-block", o.duplicate_block,
                 "Fault: block B's file is written again once xdream took the first (as a "
                 "restarted rig re-sends) ...")
      ->group(faults)
      ->check(block_number);
  app.add_flag("--duplicate-conflict", o.duplicate_conflict,
               "... with other values (one more spike in every response)")
      ->group(faults);
  app.add_option("--duplicate-delay-s", o.duplicate_delay_s,
                 "... this long after the first was taken")
      ->group(faults)
      ->check(seconds);
  app.add_option(
         "--crash-block", o.crash_block,
         "Fault: the rig crashes halfway through block B (before its file) and restarts by "
         "re-executing itself; the restart reads current_block.json and shows the block again")
      ->group(faults)
      ->check(block_number);
  app.add_option("--crash-restart-s", o.crash_restart_s, "Time between the crash and the restart")
      ->group(faults)
      ->check(seconds);
  app.add_option("--dropout-channel", o.dropout_channel, "Fault: channel C (0-based) ...")
      ->group(faults)
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1023}));
  app.add_option("--dropout-block", o.dropout_block, "... is NaN from block B on")
      ->group(faults)
      ->check(block_number);
  app.add_option("--unit-loss-block", o.unit_loss_block,
                 "Fault: from block B on the target (channel 0) fires at 10 % of its rate (the "
                 "unit is lost)")
      ->group(faults)
      ->check(block_number);
  app.add_flag("--reorder", o.reorder,
               "Fault: every file lists its presentations in a shuffled order (names, not "
               "positions, match them)")
      ->group(faults);

  app.add_option("--hang-s", o.hang_s,
                 "With --connect: how long the --hang-block fault keeps the rig silent and deaf "
                 "(then it listens again, and shows the block when it is sent again)")
      ->group(faults)
      ->check(seconds);
  app.add_option("--partition-block", o.partition_block,
                 "With --connect: the connection is cut halfway through block B ...")
      ->group(faults)
      ->check(block_number);
  app.add_option("--partition-s", o.partition_s, "... for this long, then made again")
      ->group(faults)
      ->check(seconds);
  app.add_flag("--result-before-ack", o.result_before_ack,
               "With --connect: each block's RESULT is sent before its ACK (reordering)")
      ->group(faults);
  app.add_option("--clock-offset-s", o.clock_offset_s,
                 "With --connect: the rig's clocks (t_wall, t_mono_ns) are off by this")
      ->group(faults)
      ->check(finite(-1e7, 1e7));

  std::string carried;
  app.add_option("--internal-state", carried, "")->group("");

  try {
    app.parse(argc, argv);
    o.format = format == "h5" ? Format::h5 : format == "json" ? Format::json : Format::mat;
    o.names = names == "path" ? Names::path : names == "id" ? Names::id : Names::file;
    o.socket = socket == "tcp" ? SocketKind::tcp : SocketKind::zmq;
    if (o.dir.empty() == o.connect.empty())
      throw CLI::ValidationError("--dir or --connect", "give one: the exchange, or the socket");
    if (o.connect.empty()) {
      for (const char* name : {"--socket", "--hang-s", "--partition-block", "--partition-s",
                               "--result-before-ack", "--clock-offset-s"}) {
        if (app.get_option(name)->count() > 0)
          throw CLI::ValidationError(name, "is for a socket rig (--connect)");
      }
    } else {
      o.names = Names::id;  // the socket protocol names stimuli by id
    }
    if ((o.partition_block > 0) != (o.partition_s > 0))
      throw CLI::ValidationError("--partition-block", "goes with --partition-s (which, how long)");
    for (const auto& [name, value] : schema_faults()) {
      if (name == schema) o.schema_fault = value;
    }
    if (!carried.empty()) {
      try {
        o.carried = decode_carried_state(carried);
      } catch (const std::exception&) {
        throw CLI::ValidationError("--internal-state", "not the state of a crashed fake rig");
      }
    }
    if (const std::string problem = check_combinations(o, app); !problem.empty()) {
      throw CLI::ValidationError(problem);
    }
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, like every other error of the program; 2 = the command line itself is wrong.
    std::string message = e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::fprintf(stderr, "xdream-fakerig: error: %s (see --help)\n", message.c_str());
    return 2;
  }
  if (o.labels.empty()) {
    for (int c = 0; c < o.channels; ++c) o.labels.push_back("ch" + std::to_string(c));
  }
  return std::nullopt;
}

}  // namespace xdream_fakerig
