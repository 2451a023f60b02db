#pragma once
// xdream-evolve's settings: every option of the command line (and of a --config file), recorded
// in the run's config.json so that --resume continues with exactly the same settings.

#include "cli_support.hpp"
#include "search.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xdream_evolve {

using xdream_apps::AlgorithmName;
using xdream_apps::name_of;
using xdream_apps::SearchSettings;

enum class NoiseModel { none, poisson, multiplicative };
/// fashion_mnist: the test split is the reference set, the first --brute-force-pool training
/// images the brute-force pool; fashion_mnist_train: the training split is both (the paper's
/// definitions); none.
enum class ReferenceSet { fashion_mnist, fashion_mnist_train, none };

}  // namespace xdream_evolve

namespace xdream_apps {
/// The spelling of each value on the command line and in config.json.
template <>
const std::vector<std::pair<std::string, xdream_evolve::NoiseModel>>&
names_of<xdream_evolve::NoiseModel>();
template <>
const std::vector<std::pair<std::string, xdream_evolve::ReferenceSet>>&
names_of<xdream_evolve::ReferenceSet>();
}  // namespace xdream_apps

namespace xdream_evolve {

// config.json spells the values as the command line does; an unknown spelling is an error.
void to_json(nlohmann::json& json, NoiseModel value);
void from_json(const nlohmann::json& json, NoiseModel& value);
void to_json(nlohmann::json& json, ReferenceSet value);
void from_json(const nlohmann::json& json, ReferenceSet& value);

/// Every setting; the search's are SearchSettings' (algorithm, GA parameters, step sizes, seed).
struct EvolveConfig : SearchSettings {
  // models
  std::string generator;       // TorchScript generator file
  std::string network;         // TorchScript network file
  std::int64_t code_size = 0;  // 0: the generator's code_size attribute
  std::string tap = "fc8";
  std::int64_t unit = 0;
  std::int64_t y = -1, x = -1;  // -1: the tap's centre
  // or a population pattern over channels of the tap (at the position y, x of a conv tap)
  std::vector<std::int64_t> score_pattern;  // the channels; empty: the unit is scored
  std::string pattern_measure = "cosine";   // cosine | correlation | dot | negative-mse
  std::vector<double> pattern_target;       // the target's values (from a file) ...
  std::int64_t pattern_reference = -1;      // ... or this reference image's response
  bool pattern_zscore = false;              // z-score against the reference set's responses
  std::int64_t resize_height = 0, resize_width = 0;
  std::vector<double> mean, std;
  // the start of the GA
  std::string init = "random";  // | reference-best | a .npy file of initial codes (N x code_size)
  std::string encode_tap = "fc6";  // the features the generator's encode() inverts
  // budget and randomness
  std::uint64_t stimuli = 10'000;
  std::uint64_t generations = 0;  // > 0: the budget in generations instead of stimuli
  // noise
  NoiseModel noise = NoiseModel::none;
  double noise_level = 0.0;  // poisson: expected spikes L (default 20); multiplicative: nu (0.2)
  int noise_reps = 1;
  // reference set and control
  ReferenceSet reference = ReferenceSet::fashion_mnist;
  std::int64_t reference_count = 10'000;  // first M images of the reference set
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  std::string reference_cache;             // directory of cached reference activations ("" = none)
  std::int64_t brute_force_pool = 20'000;  // Fashion-MNIST training images for the control
  // execution and output
  std::string device = "auto";
  int threads = 0;  // 0: every core of this machine
  std::string out = "runs/evolve";
  int checkpoint_every = 10;
};

// config.json's "settings": every field, by its name; a missing one is an error (a config.json
// of another version is refused, not half read).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(EvolveConfig, generator, network, code_size, tap, unit, y, x,
                                   score_pattern, pattern_measure, pattern_target,
                                   pattern_reference, pattern_zscore, resize_height, resize_width,
                                   mean, std, algorithm, population, ga_preset, mutation_rate,
                                   mutation_size, selectivity, heritability, n_conserve, sigma,
                                   radius, learning_rate, init, encode_tap, reference_cache,
                                   stimuli, generations, seed, noise, noise_level, noise_reps,
                                   reference, reference_count, data_dir, brute_force_pool, device,
                                   threads, out, checkpoint_every)

// The bounds of the settings: what a run can use, far beyond what any run needs, so that an
// overflow or a typo is refused before anything is written.
inline constexpr std::int64_t max_code_size = std::int64_t{1} << 24;
inline constexpr std::uint64_t max_stimuli = 1'000'000'000;
inline constexpr std::uint64_t max_generations = 100'000'000;
inline constexpr std::uint64_t max_seed = ~std::uint64_t{0} - 1;  // the noise seed is seed + 1
using xdream_apps::max_radius;
using xdream_apps::max_step;
inline constexpr double max_noise_level = 1e6;  // Poisson L or multiplicative nu
inline constexpr std::int64_t max_channel = std::int64_t{1} << 30;  // --unit, --score-pattern
inline constexpr std::size_t max_pattern_channels = std::size_t{1} << 20;  // --score-pattern

/// What the command line asked for besides the settings.
struct Invocation {
  EvolveConfig config;
  bool force = false;
  std::string resume;  // run directory to continue ("" = a new run)
  bool quiet = false;
};

/// Parses the command line (and a --config file). Returns the exit code when the program must
/// stop now (--help, or an error already printed), else nothing.
std::optional<int> parse_command_line(int argc, char** argv, Invocation& invocation,
                                      const std::string& models_dir);

/// Checks the settings that do not need the models (every range, and the rules between
/// options); throws std::invalid_argument naming the option and what it expects. The command
/// line's own checks (CLI11's) run at parsing; this one also checks settings read back from a
/// run's config.json.
void check(const EvolveConfig& config);

/// The settings of a run's config.json ("settings"), read strictly (every key, no unknown one,
/// each of its field's JSON type, no conversion), then check()ed. Throws std::invalid_argument
/// beginning with `source`.
EvolveConfig settings_from_json(const nlohmann::json& settings, const std::string& source);

/// The channels of `--score-pattern`: each item an index or an inclusive range `A-B`
/// ("0-3,7" = 0, 1, 2, 3, 7), in the order given. Throws std::invalid_argument naming the
/// option: an item that is neither, a range that runs backwards, an index above max_channel, a
/// channel listed twice, more than max_pattern_channels channels.
std::vector<std::int64_t> pattern_channels(const std::vector<std::string>& items);

/// The values of `--pattern-target FILE`: a JSON array of numbers (.json) or a vector of
/// float32 or float64 values (.npy, shape (C,) or (1, C); read as float32, like every .npy the
/// program reads). Throws std::invalid_argument naming the option and the file: unreadable, not
/// such a list, empty, longer than max_pattern_channels, or holding a value that is not finite.
std::vector<double> read_pattern_target(const std::string& file);

}  // namespace xdream_evolve
