// xdream-evolve: the main program. Evolves the images that drive one unit of a TorchScript
// network hardest, through a TorchScript generator, with any of the library's algorithms, and
// leaves a run record (docs/evolve.md). The loop is the library's: Optimizer::run_until with
// callbacks that write the images, the scores, the checkpoint and the progress.

#include "evolve_config.hpp"
#include "plot.hpp"
#include "reference.hpp"
#include "run_directory.hpp"

#include <xdream/any_algorithm.hpp>
#include <xdream/any_objective.hpp>
#include <xdream/callbacks/checkpointer.hpp>
#include <xdream/callbacks/progress.hpp>
#include <xdream/callbacks/scores_file.hpp>
#include <xdream/driver.hpp>
#include <xdream/io/checkpoint.hpp>
#include <xdream/io/npy.hpp>
#include <xdream/io/png.hpp>
#include <xdream/io/sha256.hpp>
#include <xdream/objectives/multiplicative_noise.hpp>
#include <xdream/objectives/poisson_noise.hpp>
#include <xdream/torch.hpp>
#include <xdream/torch/image_writer.hpp>
#include <xdream/version.hpp>

#include <nlohmann/json.hpp>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include <unistd.h>

#ifndef XDREAM_MODELS_DIR
#define XDREAM_MODELS_DIR "models/fashion_mnist"
#endif

namespace fs = std::filesystem;
using json = nlohmann::json;
using xdream_apps::write_text_atomically;

namespace xdream_evolve {
namespace {

using Objective = xdream::AnyObjective<torch::Tensor>;
using Evolution = xdream::Optimizer<xdream::TorchGenerator&, Objective, xdream::AnyAlgorithm>;

/// Test hook (tests/apps/evolve): XDREAM_EVOLVE_KILL_AT="G:POINT" kills the process with SIGKILL
/// at POINT (evaluated | image | checkpointed | final) of generation G, to test resume at each.
void kill_point(std::uint32_t generation, const char* point) {
  static const char* spec = std::getenv("XDREAM_EVOLVE_KILL_AT");
  if (spec != nullptr && std::string(spec) == std::to_string(generation) + ":" + point) {
    std::raise(SIGKILL);
  }
}
/// The kill point after a generation was scored (placed before the image writer) or after its
/// image (placed after it).
struct KillAfterGeneration {
  const char* point;
  void on_generation(const xdream::GenerationReport& report) const {
    kill_point(report.stats.generation, point);
  }
};
/// The kill point after a checkpoint.
struct KillAfterCheckpoint {
  const xdream::callbacks::Checkpointer* checkpointer;
  void on_tell(const xdream::TellReport& report) const {
    if (checkpointer->due(report)) kill_point(report.stats.generation, "checkpointed");
  }
};

/// Time in the forward passes (generate + evaluate, as the driver measured them).
struct ForwardTime {
  double seconds = 0.0;
  void on_tell(const xdream::TellReport& report) {
    seconds += report.timings.generate + report.timings.evaluate;
  }
};

/// The unit, clean or behind the chosen noise model (one Optimizer type for all of them).
Objective make_objective(const EvolveConfig& c, xdream::TorchNetworkUnit unit,
                         double reference_max) {
  const std::uint64_t noise_seed = c.seed + 1;
  switch (c.noise) {
    case NoiseModel::poisson:
      return Objective(xdream::PoissonNoise<xdream::TorchNetworkUnit>(
          std::move(unit), {.expected_spikes = c.noise_level > 0 ? c.noise_level : 20.0,
                            .reference_max = reference_max,
                            .reps = c.noise_reps,
                            .seed = noise_seed}));
    case NoiseModel::multiplicative:
      return Objective(xdream::MultiplicativeNoise<xdream::TorchNetworkUnit>(
          std::move(unit),
          {.noise_level = c.noise_level > 0 ? c.noise_level : 0.2, .seed = noise_seed}));
    case NoiseModel::none:
      break;
  }
  return Objective(std::move(unit));
}

/// Writes the images of `codes` through the generator as one PNG (one image or a grid).
void write_images(xdream::TorchGenerator& generator, const xdream::Population& codes,
                  const fs::path& file, int scale) {
  const auto [cpu, view] = xdream::image_view(generator.generate(codes));
  xdream::io::write_png(file, view, {.scale = scale});
}

/// The result: summary.json and the printed lines.
void report(const EvolveConfig& c, const Evolution& evolution, const Reference& reference,
            const fs::path& dir, const xdream::Result& result, double forward_seconds) {
  const xdream::GenerationStats& last = evolution.history().back();
  const xdream::OptimizerState state = evolution.state();
  const xdream::Best& best = state.best_clean.found() ? state.best_clean : state.best;
  json summary{{"generations", evolution.history().size()},
               {"stimuli", last.stimuli},
               {"final_best_clean", last.best_clean},
               {"best_clean_ever", std::isnan(best.clean_score) ? best.score : best.clean_score},
               {"best_score_ever", best.score},
               {"seconds", last.seconds}};
  if (result.generations > 0) {
    // This process's generations (a resumed run counts only those after the resume).
    const double generations = result.generations;
    summary["ms_per_generation"] = 1e3 * result.seconds / generations;
    summary["forward_ms_per_generation"] = 1e3 * forward_seconds / generations;
    summary["rest_share"] = (result.seconds - forward_seconds) / result.seconds;
  }
  const double relative = last.best_clean / reference.max;
  if (reference.known) {
    summary["reference_max"] = reference.max;
    summary["reference_count"] = reference.count;
    summary["reference_split"] = reference.split;
    summary["reference_best_index"] = reference.best_index;
    summary["relative_activation"] = relative;
    // A ratio to a best reference response <= 0 means nothing (the unit is silent on natural
    // images); tables should leave such units out.
    summary["relative_activation_meaningful"] = reference.max > 0.0;
    if (!std::isnan(reference.test_max)) {
      summary["test_set_max"] = reference.test_max;
      summary["relative_to_test_set"] = last.best_clean / reference.test_max;
    }
    if (reference.pool > 0) {
      summary["brute_force_expected_max"] = reference.brute_force;
      summary["brute_force_relative"] = reference.brute_force / reference.max;
      summary["brute_force_pool"] = reference.pool;
    }
  }
  write_text_atomically(dir / "summary.json", summary.dump(2) + "\n");

  std::printf("xdream-evolve: %s, unit %s[%lld], %zu generations, %llu stimuli, %.1f s\n",
              name_of(c.algorithm).c_str(), c.tap.c_str(), static_cast<long long>(c.unit),
              evolution.history().size(), static_cast<unsigned long long>(last.stimuli),
              last.seconds);
  std::printf("  final generation's best activation (clean): %.6g\n", last.best_clean);
  if (reference.known) {
    std::printf("  best of %lld reference images (Fashion-MNIST %s #%lld): %.6g\n",
                static_cast<long long>(reference.count), reference.split.c_str(),
                static_cast<long long>(reference.best_index), reference.max);
    std::printf("  relative activation: %.3f%s\n", relative,
                reference.max > 0.0
                    ? ""
                    : " (not meaningful: the unit's best reference response is <= 0)");
    if (!std::isnan(reference.test_max)) {
      std::printf("  relative to the best of the 10000 test images: %.3f\n",
                  last.best_clean / reference.test_max);
    }
    if (reference.pool > 0) {
      std::printf("  brute-force control (expected best of %llu random training images): %.3f\n",
                  static_cast<unsigned long long>(reference.budget),
                  reference.brute_force / reference.max);
    }
  }
  std::printf("  record: %s\n", dir.string().c_str());
}

/// The run's config.json as JSON: a regular file of at most 1 MiB (never a FIFO that blocks).
json read_config_json(const fs::path& dir) {
  const fs::path file = dir / "config.json";
  std::error_code error;
  if (!fs::exists(file, error)) {
    throw std::runtime_error("option --resume: '" + dir.string() +
                             "' has no config.json (not a run directory of xdream-evolve)");
  }
  if (!fs::is_regular_file(file, error) || fs::file_size(file, error) > (1u << 20)) {
    throw std::runtime_error("option --resume: '" + file.string() +
                             "' is not a regular file of at most 1 MiB");
  }
  try {
    return json::parse(std::ifstream(file));
  } catch (const std::exception& e) {
    throw std::runtime_error("option --resume: '" + file.string() + "' is not JSON (" +
                             e.what() + ")");
  }
}

/// Reads the settings of the run in `dir` strictly, keeping where it runs from the command
/// line (the results are bit-identical with the same device and thread count).
EvolveConfig recorded_settings(const json& recorded, const fs::path& dir,
                               const EvolveConfig& given) {
  if (!recorded.is_object() || !recorded.contains("settings") || !recorded.contains("models")) {
    throw std::runtime_error("option --resume: '" + (dir / "config.json").string() +
                             "' has no settings or models (not xdream-evolve's config.json)");
  }
  EvolveConfig c = settings_from_json(recorded.at("settings"),
                                      "option --resume: " + (dir / "config.json").string());
  if (given.device != "auto") c.device = given.device;
  if (given.threads != 0) c.threads = given.threads;
  return c;
}

/// Stops the run when a whole generation scored NaN: an in-silico unit that answers nothing is
/// a broken model (or preprocessing), not a fixation break, and the run would go on blind.
struct SilentUnitGuard {
  const std::string* network;
  void on_generation(const xdream::GenerationReport& report) const {
    if (report.stats.missing == report.scores.size()) {
      throw xdream::ModelError("xdream: network file '" + *network +
                               "' gave NaN for every image of generation " +
                               std::to_string(report.stats.generation) +
                               "; check the model and --mean/--std");
    }
  }
};

/// The run itself, once every input has been checked and the run directory is there.
int evolve(const EvolveConfig& c, const Invocation& invocation, const fs::path& dir,
           Evolution& evolution, xdream::TorchGenerator& generator, const Reference& reference,
           xdream::Budget budget, std::uint64_t total_generations) {
  const fs::path checkpoint = dir / "checkpoint.bin";
  if (!invocation.resume.empty() && fs::exists(checkpoint)) {
    xdream::io::load_checkpoint(checkpoint, evolution);
  }
  // The run: the library's loop, observed by the record's callbacks, in this order.
  const auto [channels, height, width] = generator.image_shape();
  const int scale = height < 64 ? 4 : 1;
  const auto every = static_cast<std::uint32_t>(c.checkpoint_every);
  xdream::TorchImageWriter images(dir / "images", {.scale = scale});
  xdream::callbacks::ScoresFile scores(dir / "scores.csv", every);
  xdream::callbacks::Checkpointer checkpointer(checkpoint, every);
  const bool terminal = ::isatty(STDERR_FILENO) != 0;
  std::ostringstream silent;
  xdream::callbacks::Progress progress(
      invocation.quiet ? silent : terminal ? std::cerr : std::cout,
      {.every = terminal ? 1u
                         : static_cast<unsigned>(std::max<std::uint64_t>(1, total_generations / 20)),
       .total_generations = total_generations,
       .overwrite = terminal});
  ForwardTime forward;
  const xdream::Result result = evolution.run_until(
      budget, SilentUnitGuard{&c.network}, KillAfterGeneration{"evaluated"}, images,
      KillAfterGeneration{"image"}, scores, checkpointer, KillAfterCheckpoint{&checkpointer},
      forward, progress);

  // The final population (the last one evaluated), the best code and the pictures.
  const xdream::OptimizerState state = evolution.state();
  const xdream::Best& best = state.best_clean.found() ? state.best_clean : state.best;
  if (!best.found() || evolution.last_codes().size() == 0) {
    throw std::runtime_error("no generation was scored: nothing to record");
  }
  xdream::io::save_npy(dir / "codes.npy", evolution.last_codes());
  xdream::io::save_npy(dir / "best_code.npy", xdream::Code(best.code));
  write_images(generator, evolution.last_codes(), dir / "contact_sheet.png", scale == 4 ? 3 : 1);
  scores.write(evolution.history());
  write_images(generator, best.code, dir / "best.png", scale);
  if (reference.known) {
    xdream::io::write_png(dir / "reference_best.png",
                          {reference.best_image.data(), 1, static_cast<int>(height),
                           static_cast<int>(width)},
                          {.scale = 4});
  }
  kill_point(static_cast<std::uint32_t>(evolution.history().size()), "final");
  report(c, evolution, reference, dir, result, forward.seconds);
  xdream_apps::plot_run(dir, "xdream-evolve");
  write_text_atomically(dir / "DONE", "");
  return 0;
}

int run_program(int argc, char** argv) {
  Invocation invocation;
  if (auto code = parse_command_line(argc, argv, invocation, XDREAM_MODELS_DIR)) return *code;
  const bool resuming = !invocation.resume.empty();
  const fs::path dir = resuming ? fs::path(invocation.resume) : fs::path(invocation.config.out);
  // A resumed run is ours alone from the start: no second process may run or replace it.
  xdream_apps::RunLock lock;
  json recorded;
  if (resuming) {
    recorded = read_config_json(dir);
    lock = xdream_apps::RunLock(dir, "option --resume");
  }
  EvolveConfig c = resuming ? recorded_settings(recorded, dir, invocation.config)
                            : invocation.config;
  if (resuming && fs::exists(dir / "DONE")) {
    std::printf("xdream-evolve: the run in %s is complete (summary.json)\n", dir.string().c_str());
    return 0;
  }
  check(c);
  if (!resuming) {
    xdream_apps::check_new_run_directory(dir, invocation.force);
    // Absolute paths in config.json: --resume works from any working directory.
    for (std::string* path : {&c.generator, &c.network, &c.data_dir, &c.reference_cache}) {
      if (!path->empty()) *path = fs::absolute(*path).lexically_normal().string();
    }
    if (c.init != "random" && c.init != "reference-best") {
      c.init = fs::absolute(c.init).lexically_normal().string();
    }
  }

  // Everything that can be checked is checked before the run directory appears: the models and
  // their contract, the unit, the reference set, the algorithm's and the noise model's settings.
  xdream::set_torch_threads(c.threads);
  xdream::TorchGenerator generator(c.generator, {.code_size = c.code_size, .device = c.device});
  xdream::TorchNetwork network(c.network, generator.image_shape(),
                               {.device = c.device,
                                .resize_height = c.resize_height,
                                .resize_width = c.resize_width,
                                .mean = c.mean,
                                .std = c.std});
  xdream::TorchNetworkUnit unit(std::move(network),
                                {.tap = c.tap, .channel = c.unit, .y = c.y, .x = c.x});
  std::optional<xdream::Population> initial;
  if (c.init != "random" && c.init != "reference-best") initial = xdream::io::load_npy(c.init);
  xdream::AnyAlgorithm algorithm =
      xdream_apps::make_algorithm(c, generator.code_size(), initial ? &*initial : nullptr);
  const auto population = static_cast<std::uint64_t>(algorithm.population_size());
  if (c.generations == 0 && c.stimuli < population) {
    throw std::invalid_argument("option --stimuli = " + std::to_string(c.stimuli) +
                                ": expected at least one generation (" +
                                std::to_string(population) + " stimuli for --algorithm " +
                                name_of(c.algorithm) + ")");
  }
  const xdream::Budget budget = c.generations > 0 ? xdream::budget::generations(c.generations)
                                                  : xdream::budget::stimuli(c.stimuli);
  // The stimuli the run will present (whole generations, never over the budget).
  const std::uint64_t budget_stimuli =
      c.generations > 0 ? c.generations * population : c.stimuli / population * population;
  const std::string network_sha = xdream::io::sha256_file(c.network);
  if (!invocation.quiet && c.reference != ReferenceSet::none) {
    std::printf("xdream-evolve: measuring unit %s[%lld] on the reference set%s...\n",
                c.tap.c_str(), static_cast<long long>(c.unit),
                c.brute_force_pool > 0 ? " and the brute-force pool" : "");
    std::fflush(stdout);
  }
  const Reference reference =
      measure_reference(c, unit, generator.image_shape(), budget_stimuli, network_sha);
  if (c.noise == NoiseModel::poisson && !(reference.max > 0.0)) {
    throw std::invalid_argument(
        "option --noise poisson: the unit's best reference response is " +
        std::to_string(reference.max) +
        " <= 0, so no spike rate can be scaled to it; choose another unit or --noise "
        "multiplicative");
  }
  if (c.init == "reference-best") {
    initial = reference_best_codes(c, generator, unit, reference, algorithm.population_size());
    algorithm = xdream_apps::make_algorithm(c, generator.code_size(), &*initial);
  }
  json record{{"settings", c},
              {"program", "xdream-evolve"},
              {"versions",
               {{"xdream", xdream::version_string},
                {"libtorch", TORCH_VERSION},
                {"compiler", __VERSION__}}},
              {"models",
               {{"generator",
                 {{"file", c.generator}, {"sha256", xdream::io::sha256_file(c.generator)}}},
                {"network", {{"file", c.network}, {"sha256", network_sha}}}}},
              {"unit", {{"tap", unit.unit().tap}, {"channel", unit.unit().channel}}},
              {"code_size", generator.code_size()},
              {"image_shape", generator.image_shape()},
              {"seeds", {{"algorithm", c.seed}, {"noise", c.seed + 1}}}};
  if (unit.convolutional()) record["unit"]["y"] = unit.unit().y, record["unit"]["x"] = unit.unit().x;
  if (resuming && recorded.at("models") != record["models"]) {
    throw std::runtime_error("option --resume: the model files changed since the run started "
                             "(their sha256 differ from config.json)");
  }
  Evolution evolution(generator, make_objective(c, std::move(unit), reference.max),
                      std::move(algorithm));
  const std::uint64_t total_generations =
      c.generations > 0 ? c.generations : budget_stimuli / std::max<std::uint64_t>(1, population);

  if (!resuming) lock = xdream_apps::create_run_directory(dir, invocation.force, record.dump(2) + "\n");
  const auto [channels, height, width] = generator.image_shape();
  if (!invocation.quiet) {
    std::printf("xdream-evolve: %s on unit %s[%lld] of %s, through %s (code %lld -> "
                "%lldx%lldx%lld), %s%s\n",
                name_of(c.algorithm).c_str(), c.tap.c_str(), static_cast<long long>(c.unit),
                c.network.c_str(), c.generator.c_str(),
                static_cast<long long>(generator.code_size()), static_cast<long long>(channels),
                static_cast<long long>(height), static_cast<long long>(width),
                resuming ? "resuming " : "", dir.string().c_str());
    std::fflush(stdout);
  }
  try {
    return evolve(c, invocation, dir, evolution, generator, reference, budget, total_generations);
  } catch (const std::exception& e) {
    // What fails during the run (a model that breaks its contract on real codes, NaN
    // everywhere, a full disk): a run with a checkpoint is kept to be resumed; a new run with
    // none is removed, so a rerun starts clean.
    std::string message = e.what();
    if (const auto end = message.find('\n'); end != std::string::npos) message.resize(end);
    std::error_code error;
    if (fs::exists(dir / "checkpoint.bin", error) || resuming) {
      throw std::runtime_error(message + "; the run directory is kept: --resume " +
                               dir.string() + " continues from its last checkpoint");
    }
    fs::remove_all(dir, error);
    throw std::runtime_error(message + "; " + dir.string() + " was removed (no checkpoint yet)");
  }
}

}  // namespace
}  // namespace xdream_evolve

int main(int argc, char** argv) {
  // LibTorch's OpenMP threads spin while they wait for work; on a machine whose cores are busy
  // with other programs that made a generation ~10x slower (docs/benchmarks.md). The OpenMP
  // runtime reads its settings when it loads, so set them and start again, once; a user's own
  // OMP_WAIT_POLICY is kept.
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    ::execv("/proc/self/exe", argv);  // on failure, carry on with the default policy
  }
  try {
    return xdream_evolve::run_program(argc, argv);
  } catch (const std::exception& e) {
    std::string message = e.what();
    if (const auto end = message.find('\n'); end != std::string::npos) message.resize(end);
    std::fprintf(stderr, "xdream-evolve: error: %s\n", message.c_str());
    return 1;
  }
}
