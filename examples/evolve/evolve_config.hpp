#pragma once
// xdream-evolve's settings: every option of the command line (and of a --config file), recorded
// in the run's config.json so that --resume continues with exactly the same settings.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xdream_evolve {

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
  std::string algorithm = "ga";
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
  std::string noise = "none";  // none | poisson | multiplicative
  double noise_level = 0.0;    // poisson: expected spikes L (default 20); multiplicative: nu (0.2)
  int noise_reps = 1;
  // reference set and control
  std::string reference = "fashion-mnist";  // fashion-mnist (test) | fashion-mnist-train | none
  std::int64_t reference_count = 10'000;    // first M images of the reference set
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  std::string reference_cache;  // directory of cached reference activations ("" = none)
  std::int64_t brute_force_pool = 20'000;  // Fashion-MNIST training images for the control
  // execution and output
  std::string device = "auto";
  int threads = 0;  // 0: every core of this machine
  std::string out = "runs/evolve";
  int checkpoint_every = 10;
};

void to_json(nlohmann::json& json, const EvolveConfig& config);
void from_json(const nlohmann::json& json, EvolveConfig& config);

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

/// Checks the settings that do not need the models; throws std::invalid_argument naming the
/// option and what it expects.
void check(const EvolveConfig& config);

}  // namespace xdream_evolve
