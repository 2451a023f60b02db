#pragma once
// xdream-evolve's settings: every option of the command line (and of a --config file), recorded
// in the run's config.json so that --resume continues with exactly the same settings.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xdream_evolve {

enum class AlgorithmName { ga, cmaes, sep_cmaes, cholesky_cmaes, sphere_cma, lm_ma_es, fdgd, nes };
enum class NoiseModel { none, poisson, multiplicative };
/// fashion_mnist: the test split is the reference set, the first --brute-force-pool training
/// images the brute-force pool; fashion_mnist_train: the training split is both (the paper's
/// definitions); none.
enum class ReferenceSet { fashion_mnist, fashion_mnist_train, none };

/// The spelling of each value on the command line and in config.json.
template <class Enum>
const std::vector<std::pair<std::string, Enum>>& names_of();
template <>
const std::vector<std::pair<std::string, AlgorithmName>>& names_of<AlgorithmName>();
template <>
const std::vector<std::pair<std::string, NoiseModel>>& names_of<NoiseModel>();
template <>
const std::vector<std::pair<std::string, ReferenceSet>>& names_of<ReferenceSet>();

/// The spelling of `value` (e.g. "sep-cmaes").
template <class Enum>
std::string name_of(Enum value) {
  for (const auto& [name, v] : names_of<Enum>()) {
    if (v == value) return name;
  }
  return "?";
}

// config.json spells the values as the command line does; an unknown spelling is an error.
void to_json(nlohmann::json& json, AlgorithmName value);
void from_json(const nlohmann::json& json, AlgorithmName& value);
void to_json(nlohmann::json& json, NoiseModel value);
void from_json(const nlohmann::json& json, NoiseModel& value);
void to_json(nlohmann::json& json, ReferenceSet value);
void from_json(const nlohmann::json& json, ReferenceSet& value);

struct EvolveConfig {
  // models
  std::string generator;   // TorchScript generator file
  std::string network;     // TorchScript network file
  std::int64_t code_size = 0;  // 0: the generator's code_size attribute
  std::string tap = "fc8";
  std::int64_t unit = 0;
  std::int64_t y = -1, x = -1;  // -1: the tap's centre
  std::int64_t resize_height = 0, resize_width = 0;
  std::vector<double> mean, std;
  // algorithm
  AlgorithmName algorithm = AlgorithmName::ga;
  std::int64_t population = 0;  // 0: the algorithm's default
  std::string ga_preset = "fc6";
  double mutation_rate = 0.5, mutation_size = 0.5, selectivity = 2.0, heritability = 0.5;
  std::int64_t n_conserve = 0;
  double sigma = 0.0;          // CMA family step size; 0: the algorithm's default
  double radius = 0.0;         // FDGD/NES sampling radius, SphereCMA sphere radius; 0: default
  double learning_rate = 0.0;  // FDGD/NES/SphereCMA; 0: default
  std::string init = "random";  // | reference-best | a .npy file of initial codes (N x code_size)
  std::string encode_tap = "fc6";  // the features the generator's encode() inverts
  // budget and randomness
  std::uint64_t stimuli = 10'000;
  std::uint64_t generations = 0;  // > 0: the budget in generations instead of stimuli
  std::uint64_t seed = 0;
  // noise
  NoiseModel noise = NoiseModel::none;
  double noise_level = 0.0;  // poisson: expected spikes L (default 20); multiplicative: nu (0.2)
  int noise_reps = 1;
  // reference set and control
  ReferenceSet reference = ReferenceSet::fashion_mnist;
  std::int64_t reference_count = 10'000;  // first M images of the reference set
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  std::string reference_cache;  // directory of cached reference activations ("" = none)
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
                                   resize_height, resize_width, mean, std, algorithm, population,
                                   ga_preset, mutation_rate, mutation_size, selectivity,
                                   heritability, n_conserve, sigma, radius, learning_rate, init,
                                   encode_tap, reference_cache, stimuli, generations, seed, noise,
                                   noise_level, noise_reps, reference, reference_count, data_dir,
                                   brute_force_pool, device, threads, out, checkpoint_every)

// The bounds of the settings: what a run can use, far beyond what any run needs, so that an
// overflow or a typo is refused before anything is written.
inline constexpr std::int64_t max_code_size = std::int64_t{1} << 24;
inline constexpr std::uint64_t max_stimuli = 1'000'000'000;
inline constexpr std::uint64_t max_generations = 100'000'000;
inline constexpr std::uint64_t max_seed = ~std::uint64_t{0} - 1;  // the noise seed is seed + 1
inline constexpr double max_step = 1e6;         // --sigma, --learning-rate
inline constexpr double max_radius = 1e9;       // --radius
inline constexpr double max_noise_level = 1e6;  // Poisson L or multiplicative nu

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

/// The settings of a run's config.json ("settings"), read strictly: every key, no unknown one,
/// each of its field's JSON type (no conversion), then check()ed. Throws std::invalid_argument
/// beginning with `source`.
EvolveConfig settings_from_json(const nlohmann::json& settings, const std::string& source);

/// Whether `text` is valid UTF-8 (paths are recorded in config.json, which is UTF-8).
bool valid_utf8(std::string_view text);

}  // namespace xdream_evolve
