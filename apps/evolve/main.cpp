// xdream-evolve: the main program. Evolves the images that drive one unit of a TorchScript
// network hardest (or whose response over a set of a tap's channels best matches a population
// pattern), through a TorchScript generator, with any of the library's algorithms, and leaves a
// run record (docs/evolve.md). The loop is the library's: Optimizer::run_until with
// callbacks that write the images, the scores, the checkpoint and the progress.

#include "evolve_config.hpp"
#include "objective.hpp"
#include "pattern.hpp"
#include "plot.hpp"
#include "program.hpp"
#include "reference.hpp"
#include "run_directory.hpp"
#include "run_hooks.hpp"
#include "summary.hpp"

#include <xdream/any_algorithm.hpp>
#include <xdream/callbacks/checkpointer.hpp>
#include <xdream/callbacks/progress.hpp>
#include <xdream/callbacks/scores_file.hpp>
#include <xdream/driver.hpp>
#include <xdream/io/checkpoint.hpp>
#include <xdream/io/npy.hpp>
#include <xdream/io/png.hpp>
#include <xdream/io/sha256.hpp>
#include <xdream/torch.hpp>
#include <xdream/torch/image_writer.hpp>
#include <xdream/version.hpp>

#include <torch/version.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
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

using Evolution = xdream::Optimizer<xdream::TorchGenerator&, Objective, xdream::AnyAlgorithm>;

/// Writes the images of `codes` through the generator as one PNG (one image or a grid).
void write_images(xdream::TorchGenerator& generator, const xdream::Population& codes,
                  const fs::path& file, int scale) {
  const auto [cpu, view] = xdream::image_view(generator.generate(codes));
  xdream::io::write_png(file, view, {.scale = scale});
}

/// config.json's "pattern": what the run scores, resolved: the tap's channels, the measure, the
/// target values compared (a reference image's response, when it is one) and, with z-scoring,
/// each channel's mean and std over the reference set (in the channels' order).
json pattern_record(const EvolveConfig& c, const xdream::PopulationPattern& pattern,
                    const TapSite& site, const Reference& reference) {
  json record{{"tap", c.tap},
              {"channels", c.score_pattern},
              {"measure", c.pattern_measure},
              {"target", std::vector<double>(pattern.target.data(),
                                             pattern.target.data() + pattern.target.size())},
              {"zscore", c.pattern_zscore},
              {"tap_channels", site.channels}};
  if (c.pattern_reference != -1) {
    record["target_reference_image"] = c.pattern_reference;
    record["target_reference_split"] = reference.split;
  }
  if (!pattern.zscore.empty()) {
    std::vector<double> means, stds;
    for (xdream::Index channel : pattern.mask) {
      means.push_back(pattern.zscore.mean[channel]);
      stds.push_back(pattern.zscore.std[channel]);
    }
    record["zscore_mean"] = means;
    record["zscore_std"] = stds;
    record["zscore_images"] = reference.count;
  }
  return record;
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
      invocation.quiet ? silent
      : terminal       ? std::cerr
                       : std::cout,
      {.every = terminal
                    ? 1u
                    : static_cast<unsigned>(std::max<std::uint64_t>(1, total_generations / 20)),
       .total_generations = total_generations,
       .overwrite = terminal});
  ForwardTime forward;
  const xdream::Result result =
      evolution.run_until(budget, SilentUnitGuard{&c.network}, KillAfterGeneration{"evaluated"},
                          images, KillAfterGeneration{"image"}, scores, checkpointer,
                          KillAfterCheckpoint{&checkpointer}, forward, progress);

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
    xdream::io::write_png(
        dir / "reference_best.png",
        {reference.best_image.data(), 1, static_cast<int>(height), static_cast<int>(width)},
        {.scale = 4});
  }
  kill_point(static_cast<std::uint32_t>(evolution.history().size()), "final");
  report(c, evolution.history(), evolution.state(), reference, dir,
         {.generations = result.generations,
          .seconds = result.seconds,
          .forward_seconds = forward.seconds});
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
    recorded = xdream_apps::read_run_config(dir, "xdream-evolve");
    lock = xdream_apps::RunLock(dir, "option --resume");
  }
  EvolveConfig c =
      resuming ? recorded_settings(recorded, dir, invocation.config) : invocation.config;
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
  // What is scored: one unit, or (--score-pattern) every channel of the tap at one position,
  // the "array" a pattern is read from. The site is where the reference pass reads.
  const bool pattern_mode = !c.score_pattern.empty();
  std::optional<xdream::TorchNetworkUnit> unit;
  std::optional<xdream::TorchTapArray> array;
  TapSite site;
  if (pattern_mode) {
    array.emplace(std::move(network), xdream::TorchArraySite{.tap = c.tap, .y = c.y, .x = c.x});
    check_pattern_channels(c, array->channels(), c.tap);
    site = {&array->network(), c.tap,           array->convolutional(),
            array->site().y,   array->site().x, array->channels()};
  } else {
    unit.emplace(std::move(network),
                 xdream::TorchUnit{.tap = c.tap, .channel = c.unit, .y = c.y, .x = c.x});
    site = {&unit->network(), c.tap,          unit->convolutional(),
            unit->unit().y,   unit->unit().x, unit->network().tap_shape(c.tap).at(0)};
  }
  const std::string scored = what_is_scored(c);
  std::optional<xdream::Population> initial;
  if (c.init != "random" && c.init != "reference-best") initial = xdream::io::load_npy(c.init);
  xdream::AnyAlgorithm algorithm =
      xdream_apps::make_algorithm(c, generator.code_size(), initial ? &*initial : nullptr);
  const auto population = static_cast<std::uint64_t>(algorithm.population_size());
  if (c.generations == 0 && c.stimuli < population) {
    throw std::invalid_argument(
        "option --stimuli = " + std::to_string(c.stimuli) + ": expected at least one generation (" +
        std::to_string(population) + " stimuli for --algorithm " + name_of(c.algorithm) + ")");
  }
  const xdream::Budget budget = c.generations > 0 ? xdream::budget::generations(c.generations)
                                                  : xdream::budget::stimuli(c.stimuli);
  // The stimuli the run will present (whole generations, never over the budget).
  const std::uint64_t budget_stimuli =
      c.generations > 0 ? c.generations * population : c.stimuli / population * population;
  const std::string network_sha = xdream::io::sha256_file(c.network);
  if (!invocation.quiet && c.reference != ReferenceSet::none) {
    std::printf("xdream-evolve: measuring %s on the reference set%s...\n", scored.c_str(),
                c.brute_force_pool > 0 ? " and the brute-force pool" : "");
    std::fflush(stdout);
  }
  // A pattern's target and z statistics may come from the reference set's responses: it is
  // made from them, then scores the reference images like the evolved ones.
  std::optional<xdream::PopulationPattern> pattern;
  const ScorerFactory make_scorer = [&](const xdream::Population& activations,
                                        const std::string&) -> ImageScorer {
    if (!pattern_mode) return unit_scorer(site, c.unit);
    pattern = make_pattern(c, site.channels, &activations);
    return pattern_scorer(*pattern, c.network, c.tap);
  };
  const Reference reference =
      measure_reference(c, site, generator.image_shape(), budget_stimuli, network_sha, make_scorer);
  if (pattern_mode && !pattern) pattern = make_pattern(c, site.channels, nullptr);
  if (c.noise == NoiseModel::poisson && !(reference.max > 0.0)) {
    throw std::invalid_argument(
        "option --noise poisson: the unit's best reference response is " +
        std::to_string(reference.max) +
        " <= 0, so no spike rate can be scaled to it; choose another unit or --noise "
        "multiplicative");
  }
  if (c.init == "reference-best") {
    initial =
        reference_best_codes(c, generator, *site.network, reference, algorithm.population_size());
    algorithm = xdream_apps::make_algorithm(c, generator.code_size(), &*initial);
  }
  json record{
      {"settings", c},
      {"program", "xdream-evolve"},
      {"versions",
       {{"xdream", xdream::version_string},
        {"libtorch", TORCH_VERSION},
        {"compiler", __VERSION__}}},
      {"models",
       {{"generator", {{"file", c.generator}, {"sha256", xdream::io::sha256_file(c.generator)}}},
        {"network", {{"file", c.network}, {"sha256", network_sha}}}}},
      {"code_size", generator.code_size()},
      {"image_shape", generator.image_shape()},
      {"seeds", {{"algorithm", c.seed}, {"noise", c.seed + 1}}}};
  if (pattern_mode) {
    record["pattern"] = pattern_record(c, *pattern, site, reference);
  } else {
    record["unit"] = {{"tap", c.tap}, {"channel", c.unit}};
  }
  json& where = pattern_mode ? record["pattern"] : record["unit"];
  if (site.convolutional) where["y"] = site.y, where["x"] = site.x;
  if (resuming && recorded.at("models") != record["models"]) {
    throw std::runtime_error(
        "option --resume: the model files changed since the run started "
        "(their sha256 differ from config.json)");
  }
  Evolution evolution(generator,
                      pattern_mode ? make_pattern_objective(std::move(*array), *pattern)
                                   : make_objective(c, std::move(*unit), reference.max),
                      std::move(algorithm));
  const std::uint64_t total_generations =
      c.generations > 0 ? c.generations : budget_stimuli / std::max<std::uint64_t>(1, population);

  if (!resuming)
    lock = xdream_apps::create_run_directory(dir, invocation.force, record.dump(2) + "\n");
  const auto [channels, height, width] = generator.image_shape();
  if (!invocation.quiet) {
    std::printf(
        "xdream-evolve: %s on %s of %s, through %s (code %lld -> "
        "%lldx%lldx%lld), %s%s\n",
        name_of(c.algorithm).c_str(), scored.c_str(), c.network.c_str(), c.generator.c_str(),
        static_cast<long long>(generator.code_size()), static_cast<long long>(channels),
        static_cast<long long>(height), static_cast<long long>(width), resuming ? "resuming " : "",
        dir.string().c_str());
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
      throw std::runtime_error(message + "; the run directory is kept: --resume " + dir.string() +
                               " continues from its last checkpoint");
    }
    fs::remove_all(dir, error);
    throw std::runtime_error(message + "; " + dir.string() + " was removed (no checkpoint yet)");
  }
}

}  // namespace
}  // namespace xdream_evolve

int main(int argc, char** argv) {
  return xdream_apps::run_main(argc, argv, "xdream-evolve", xdream_evolve::run_program);
}
