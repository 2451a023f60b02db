#pragma once
// xdream-rig's settings: every option of the command line (and of a --config TOML file),
// recorded in the run's config.json so that --resume continues the same session.

#include "cli_support.hpp"
#include "search.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xdream_rig {

enum class TransportKind { file, zmq, tcp };

}  // namespace xdream_rig

namespace xdream_apps {
template <>
const std::vector<std::pair<std::string, xdream_rig::TransportKind>>&
names_of<xdream_rig::TransportKind>();
}  // namespace xdream_apps

namespace xdream_rig {

void to_json(nlohmann::json& json, TransportKind value);
void from_json(const nlohmann::json& json, TransportKind& value);

/// Every setting; the search's are SearchSettings' (algorithm, GA parameters, step sizes, seed).
struct RigConfig : xdream_apps::SearchSettings {
  // the rig
  TransportKind transport = TransportKind::file;
  std::string dir;             // the exchange directory (file transport; sockets: where images go)
  std::string listen;          // where a socket transport listens ("" = its loopback default)
  bool inline_images = false;  // ZeroMQ: PNGs as frames of the BLOCK, not files
  std::vector<std::string> channels;       // the channel labels the rig records ([] = as it says)
  std::string score;                       // the channel scored ("" = the first channel)
  std::vector<std::string> score_mean;     // or the mean over these channels
  std::vector<std::string> score_pattern;  // or a population pattern over these channels
  std::string pattern_measure = "cosine";  // cosine | correlation | dot | negative-mse
  std::vector<double> pattern_target;      // the pattern's target values (from a file) ...
  std::string pattern_reference;           // ... or a reference image's responses
  bool pattern_zscore = false;             // z-score against the reference images
  std::string references;                  // a directory of reference PNG images ("" = none)
  // Several optimizers in the session ("threads"): --thread-file's JSON array, as text ("" =
  // one optimizer, the session's settings). Each thread names itself and sets any of
  // thread_keys; the rest of its settings are the session's.
  std::string optimizer_threads;
  int reps = 1;
  int max_reshows = 2;
  double min_valid_fraction = 0.5;
  int max_reissues = 3;
  double expected_block_s = 45.0;
  double soft_min_s = 90.0;
  double hard_deadline_s = 1800.0;
  double poll_s = 0.25;
  // the generator
  std::string generator;
  std::int64_t code_size = 0;
  std::string device = "auto";
  int threads = 0;
  // budget and output
  std::uint64_t generations = 30;
  std::string out = "runs/rig";
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RigConfig, transport, dir, listen, inline_images, channels,
                                   score, score_mean, score_pattern, pattern_measure,
                                   pattern_target, pattern_reference, pattern_zscore, references,
                                   optimizer_threads, reps, max_reshows, min_valid_fraction,
                                   max_reissues, expected_block_s, soft_min_s, hard_deadline_s,
                                   poll_s, generator, code_size, device, threads, generations, out,
                                   algorithm, population, ga_preset, mutation_rate, mutation_size,
                                   selectivity, heritability, n_conserve, sigma, radius,
                                   learning_rate, seed)

struct Invocation {
  RigConfig config;
  bool force = false;
  std::string resume;   // run directory to continue ("" = a new session)
  std::string session;  // the session's tag ("" = 8 random hex digits)
  bool quiet = false;
};

/// Parses the command line (and a --config file). Returns the exit code when the program must
/// stop now (--help, or an error already printed), else nothing.
std::optional<int> parse_command_line(int argc, char** argv, Invocation& invocation,
                                      const std::string& models_dir);

/// Checks every setting that needs no file: ranges, the rules between settings (a scored
/// channel among the channels, a hard deadline no shorter than a block). Throws
/// std::invalid_argument naming the option.
void check(const RigConfig& config);

/// The settings a thread of --thread-file may set (the search's, the generator's, the score's
/// and the budget); the others are the session's.
const std::vector<std::string>& thread_keys();

/// One optimizer of the session: its name ("" in a session of one) and its whole settings.
struct ThreadConfig {
  std::string name;
  RigConfig config;
};

/// The session's optimizers: one (the session's settings, no name) without --thread-file, else
/// each thread's settings: the session's with the thread's keys applied, checked. Throws
/// std::invalid_argument naming --thread-file, the thread and the setting.
std::vector<ThreadConfig> thread_configs(const RigConfig& config);

/// config.json's settings, read strictly and checked.
RigConfig settings_from_json(const nlohmann::json& settings, const std::string& source);

}  // namespace xdream_rig
