// xdream-evolve: the main program. Evolves the images that drive one unit of a TorchScript
// network hardest, through a TorchScript generator, with any of the library's algorithms, and
// leaves the run record of design section 10. See docs/evolve.md.

#include "algorithm_choice.hpp"
#include "control.hpp"
#include "evolve_config.hpp"
#include "fashion_mnist.hpp"
#include "image_output.hpp"
#include "run_record.hpp"
#include "sha256.hpp"

#include <xdream/any_algorithm.hpp>
#include <xdream/driver.hpp>
#include <xdream/io/checkpoint.hpp>
#include <xdream/io/npy.hpp>
#include <xdream/objectives/multiplicative_noise.hpp>
#include <xdream/objectives/poisson_noise.hpp>
#include <xdream/torch.hpp>
#include <xdream/version.hpp>

#include <nlohmann/json.hpp>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <optional>
#include <string>

#include <unistd.h>

#ifndef XDREAM_MODELS_DIR
#define XDREAM_MODELS_DIR "models/fashion_mnist"
#endif

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace xdream_evolve {
namespace {

/// Wall time spent in the forward passes (the rest of a generation is the optimizer and the
/// record; summary.json reports both).
double forward_seconds = 0.0;

template <class F>
auto timed(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  auto result = f();
  forward_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

/// The generator, keeping its last batch of images (the record shows the best one without a
/// second forward pass).
class RecordingGenerator {
 public:
  explicit RecordingGenerator(xdream::TorchGenerator& inner) : inner_(&inner) {}
  xdream::Index code_size() const { return inner_->code_size(); }
  torch::Tensor generate(const xdream::Population& codes) {
    last_ = timed([&] { return inner_->generate(codes); });
    return last_;
  }
  const torch::Tensor& last() const { return last_; }

 private:
  xdream::TorchGenerator* inner_;
  torch::Tensor last_;
};

/// The unit, timed.
struct TimedUnit {
  xdream::TorchNetworkUnit unit;
  xdream::Scores evaluate(const torch::Tensor& images) {
    return timed([&] { return unit.evaluate(images); });
  }
};

/// A tap's activations at the unit's position for every channel (channels x images), for
/// images stored as [count, 1, H, W] floats: one pass gives every unit of the tap (so one cached
/// reference pass serves all of a layer's units).
xdream::Population tap_activations(xdream::TorchNetworkUnit& unit, const GreyImages& images) {
  xdream::Population out;
  constexpr std::int64_t batch = 200;  // larger batches cost page faults, not speed
  for (std::int64_t start = 0; start < images.count; start += batch) {
    const std::int64_t n = std::min(batch, images.count - start);
    const torch::Tensor tensor = torch::from_blob(
        const_cast<float*>(images.pixels.data()) + start * images.height * images.width,
        {n, 1, images.height, images.width}, torch::kFloat32);
    torch::Tensor tap = unit.network().activations(tensor, unit.unit().tap);
    if (unit.convolutional()) tap = tap.select(2, unit.unit().y).select(2, unit.unit().x);
    tap = tap.to(torch::kCPU, torch::kFloat32).contiguous();  // [n, C]: a C x n column-major block
    if (out.size() == 0) out.resize(tap.size(1), images.count);
    std::copy_n(tap.data_ptr<float>(), tap.numel(), out.data() + start * out.rows());
  }
  return out;
}

GreyImages read_reference(const EvolveConfig& c, const std::string& split, std::int64_t count,
                          const std::array<std::int64_t, 3>& shape) {
  GreyImages images = read_idx_images(fashion_mnist_images(c.data_dir, split), count);
  if (shape[0] != 1 || shape[1] != images.height || shape[2] != images.width) {
    throw std::invalid_argument(
        "option --reference: Fashion-MNIST images are 1x" + std::to_string(images.height) + "x" +
        std::to_string(images.width) + " but the generator makes " + std::to_string(shape[0]) +
        "x" + std::to_string(shape[1]) + "x" + std::to_string(shape[2]) +
        " images; give --reference none for other models");
  }
  return images;
}

/// The unit's activations to the first `count` images of a split: from the cache directory when
/// it holds them (a file per network, tap, position, split and count, all channels), else
/// computed (and cached when a cache directory is given).
std::vector<double> reference_scores(const EvolveConfig& c, xdream::TorchNetworkUnit& unit,
                                     const GreyImages& images, const std::string& split,
                                     const std::string& network_sha) {
  fs::path cached;
  xdream::Population all;
  if (!c.reference_cache.empty()) {
    const xdream::TorchUnit& u = unit.unit();
    // Everything that changes the activations names the file: the network, the preprocessing,
    // the data, the tap and position, the split and the count.
    std::string preprocessing = c.data_dir + "|" + std::to_string(c.resize_height) + "x" +
                                std::to_string(c.resize_width);
    for (double v : c.mean) preprocessing += "|m" + std::to_string(v);
    for (double v : c.std) preprocessing += "|s" + std::to_string(v);
    cached = fs::path(c.reference_cache) /
             (network_sha.substr(0, 16) + "-" + sha256_bytes(preprocessing).substr(0, 8) + "-" + u.tap + "-y" + std::to_string(u.y) + "x" +
              std::to_string(u.x) + "-" + split + std::to_string(images.count) + ".npy");
    if (fs::exists(cached)) {
      all = xdream::io::load_npy(cached);
      if (all.cols() != images.count) all.resize(0, 0);  // not ours: recompute
    }
  }
  if (all.size() == 0) {
    all = tap_activations(unit, images);
    if (!cached.empty()) {
      std::error_code error;
      fs::create_directories(cached.parent_path(), error);
      // A name of this process's own, then an atomic rename: parallel runs may race here.
      fs::path mine = cached;
      mine += "." + std::to_string(::getpid()) + ".npy";
      xdream::io::save_npy(mine, all);
      fs::rename(mine, cached, error);
    }
  }
  const xdream::Index channel = unit.unit().channel;
  std::vector<double> scores(static_cast<std::size_t>(all.cols()));
  for (xdream::Index i = 0; i < all.cols(); ++i) scores[static_cast<std::size_t>(i)] = all(channel, i);
  return scores;
}

struct Reference {
  bool known = false;
  double max = std::nan("");
  std::int64_t best_index = -1;
  std::int64_t count = 0;
  double brute_force = std::nan("");  // expected max of K random pool images
  std::int64_t pool = 0;
  std::uint64_t budget = 0;  // K of the brute-force control
  std::string split;         // "test" or "training"
  double test_max = std::nan("");  // with the training split: the best of the 10,000 test images

  std::vector<float> best_image;
  GreyImages images;                  // the reference set
  std::vector<std::int64_t> ranking;  // its indices from the best response down
};

Reference measure_reference(const EvolveConfig& c, xdream::TorchNetworkUnit& unit,
                            const std::array<std::int64_t, 3>& shape, std::uint64_t budget,
                            const std::string& network_sha) {
  Reference r;
  if (c.reference == "none") return r;
  if (c.reference != "fashion-mnist" && c.reference != "fashion-mnist-train") {
    throw std::invalid_argument("option --reference = " + c.reference +
                                ": expected fashion-mnist, fashion-mnist-train or none");
  }
  // fashion-mnist: the test split (issue 4's reference); fashion-mnist-train: the training split,
  // which is also the brute-force pool (the paper's definitions: both over one image set).
  const bool paper = c.reference == "fashion-mnist-train";
  const std::string split = paper ? "train" : "t10k";
  r.split = paper ? "training" : "test";
  r.images = read_reference(c, split, c.reference_count, shape);
  const std::vector<double> scores = reference_scores(c, unit, r.images, split, network_sha);
  r.known = true;
  r.count = r.images.count;
  r.ranking.resize(scores.size());
  std::iota(r.ranking.begin(), r.ranking.end(), std::int64_t{0});
  std::stable_sort(r.ranking.begin(), r.ranking.end(), [&](std::int64_t a, std::int64_t b) {
    return scores[static_cast<std::size_t>(a)] > scores[static_cast<std::size_t>(b)];
  });
  r.best_index = r.ranking.front();
  r.max = scores[static_cast<std::size_t>(r.best_index)];
  const auto plane = r.images.height * r.images.width;
  r.best_image.assign(r.images.pixels.begin() + r.best_index * plane,
                      r.images.pixels.begin() + (r.best_index + 1) * plane);
  if (paper) {
    r.pool = r.count;
    r.budget = budget;
    r.brute_force = expected_max_of_sample(scores, static_cast<std::int64_t>(budget));
    // The best test-set image too (a weaker bar than the best of the training set; cached).
    const std::vector<double> test =
        reference_scores(c, unit, read_reference(c, "t10k", 10'000, shape), "t10k", network_sha);
    r.test_max = *std::max_element(test.begin(), test.end());
  } else if (c.brute_force_pool > 0) {
    const GreyImages train = read_reference(c, "train", c.brute_force_pool, shape);
    r.pool = train.count;
    r.budget = budget;
    r.brute_force = expected_max_of_sample(reference_scores(c, unit, train, "train", network_sha),
                                           static_cast<std::int64_t>(budget));
  }
  return r;
}

/// The codes of the unit's `count` best reference images: the generator's `encode` of the
/// network's `encode_tap` features (the bundled generator inverts fc6; XDream's "start from the
/// unit's best natural images").
xdream::Population reference_best_codes(const EvolveConfig& c, xdream::TorchGenerator& generator,
                                        xdream::TorchNetworkUnit& unit, const Reference& r,
                                        xdream::Index count) {
  if (!r.known) {
    throw std::invalid_argument("option --init = reference-best needs a reference set (--reference)");
  }
  if (!generator.can_encode()) {
    throw std::invalid_argument("option --init = reference-best: the generator file '" +
                                c.generator + "' has no method encode(features) -> codes");
  }
  count = std::min<xdream::Index>(count, r.count);
  const auto plane = r.images.height * r.images.width;
  torch::Tensor images = torch::empty({count, 1, r.images.height, r.images.width});
  for (xdream::Index k = 0; k < count; ++k) {
    std::copy_n(r.images.pixels.data() + r.ranking[static_cast<std::size_t>(k)] * plane, plane,
                images.data_ptr<float>() + k * plane);
  }
  return generator.encode(unit.network().activations(images, c.encode_tap));
}

/// What the checkpoint keeps besides the optimizer and the algorithm.
struct Progress {
  std::vector<xdream::GenerationStats> history;
  xdream::Population last_codes;  // the last evaluated population
  std::uint64_t noise_evaluations = 0;
  double seconds = 0.0;
  auto tie() { return std::tie(history, last_codes, noise_evaluations, seconds); }
  auto tie() const { return std::tie(history, last_codes, noise_evaluations, seconds); }
};

/// Test hook (tests/evolve): XDREAM_EVOLVE_KILL_AT="G:POINT" kills the process with SIGKILL at
/// POINT (evaluated | image | checkpointed) of generation G, to test resume at each point.
void kill_point(std::uint32_t generation, const char* point) {
  static const char* spec = std::getenv("XDREAM_EVOLVE_KILL_AT");
  if (spec == nullptr) return;
  if (std::string(spec) == std::to_string(generation) + ":" + point) std::raise(SIGKILL);
}

class Printer {
 public:
  Printer(bool quiet, bool noisy)
      : quiet_(quiet), noisy_(noisy), terminal_(::isatty(STDERR_FILENO) != 0) {}
  void progress(const xdream::GenerationStats& s, std::uint64_t budget, bool generations_budget,
                std::uint32_t total_generations) {
    if (quiet_) return;
    const double done = generations_budget
                            ? static_cast<double>(s.generation + 1) / static_cast<double>(budget)
                            : static_cast<double>(s.stimuli) / static_cast<double>(budget);
    char line[200];
    std::snprintf(line, sizeof line, "generation %4u  stimuli %6llu  best %10.4g  mean %10.4g%s",
                  s.generation, static_cast<unsigned long long>(s.stimuli), s.best, s.mean,
                  noisy_ ? "  (clean best " : "");
    std::string text = line;
    if (noisy_) {
      std::snprintf(line, sizeof line, "%.4g)", s.best_clean);
      text += line;
    }
    if (terminal_) {
      std::fprintf(stderr, "\r%3.0f%% %s\x1b[K", 100.0 * done, text.c_str());
      std::fflush(stderr);
      return;
    }
    const std::uint32_t every = std::max<std::uint32_t>(1, total_generations / 20);
    if (s.generation % every == 0 || done >= 1.0) {
      std::printf("%s\n", text.c_str());
      std::fflush(stdout);
    }
  }
  void finish_line() {
    if (terminal_ && !quiet_) std::fprintf(stderr, "\n");
  }

 private:
  bool quiet_, noisy_, terminal_;
};

template <class Objective>
int evolve(const Invocation& invocation, const EvolveConfig& c, const fs::path& dir,
           bool resuming, xdream::TorchGenerator& generator, Objective objective,
           xdream::AnyAlgorithm algorithm, const Reference& reference, json record) {
  Printer printer(invocation.quiet, c.noise != "none");
  RecordingGenerator recording(generator);
  xdream::Optimizer<RecordingGenerator, Objective, xdream::AnyAlgorithm> optimizer(
      recording, std::move(objective), std::move(algorithm));
  Progress progress;
  const fs::path checkpoint = dir / "checkpoint.bin";
  if (resuming && fs::exists(checkpoint)) {
    xdream::io::load_checkpoint(checkpoint, optimizer, progress);
    if constexpr (requires { optimizer.objective().set_evaluations(0); }) {
      optimizer.objective().set_evaluations(progress.noise_evaluations);
    }
  }
  const bool generations_budget = c.generations > 0;
  const std::uint64_t budget = generations_budget ? c.generations : c.stimuli;
  const auto population = static_cast<std::uint64_t>(optimizer.algorithm().population_size());
  const auto total_generations = static_cast<std::uint32_t>(
      generations_budget ? budget : budget / std::max<std::uint64_t>(1, population));
  const auto started = std::chrono::steady_clock::now();
  const double seconds_before = progress.seconds;
  const auto remaining = [&] {
    const std::uint64_t used = generations_budget ? progress.history.size()
                                                  : (progress.history.empty() ? 0 : progress.history.back().stimuli);
    return generations_budget ? used < budget : used + population <= budget;
  };
  const auto [channels, height, width] = generator.image_shape();
  const std::int64_t plane = channels * height * width;
  const double forward_before = forward_seconds;
  const auto loop_start = std::chrono::steady_clock::now();
  std::size_t loop_generations = 0;
  while (remaining()) {
    ++loop_generations;
    xdream::Scores clean;
    struct Capture {
      Progress* progress;
      xdream::Scores* clean;
      void on_generation(const xdream::GenerationReport& report) {
        progress->last_codes = report.codes;
        *clean = report.clean_scores.size() > 0 ? report.clean_scores : report.scores;
      }
    } capture{&progress, &clean};
    xdream::Result result = optimizer.run(xdream::budget::generations(1), capture);
    xdream::GenerationStats stats = result.history.front();
    stats.seconds = seconds_before +
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (std::isnan(stats.best_clean)) stats.best_clean = stats.best;
    progress.history.push_back(stats);
    kill_point(stats.generation, "evaluated");
    const torch::Tensor images = optimizer.generator().last().to(torch::kCPU).contiguous();
    // The best image of this generation (by clean score).
    xdream::Index best = 0;
    for (xdream::Index i = 0; i < clean.size(); ++i) {
      if (!std::isnan(clean[i]) && (std::isnan(clean[best]) || clean[i] > clean[best])) best = i;
    }
    xdream_examples::write_image_png(generation_image(dir, stats.generation),
                                     images.data_ptr<float>() + best * plane,
                                     static_cast<int>(channels), static_cast<int>(height),
                                     static_cast<int>(width), height < 64 ? 4 : 1);
    kill_point(stats.generation, "image");
    if constexpr (requires { optimizer.objective().evaluations(); }) {
      progress.noise_evaluations = optimizer.objective().evaluations();
    }
    progress.seconds = stats.seconds;
    if (progress.history.size() % static_cast<std::size_t>(c.checkpoint_every) == 0 || !remaining()) {
      write_text_atomically(dir / "scores.csv", scores_csv(progress.history));
      xdream::io::save_checkpoint(checkpoint, optimizer, progress);
      kill_point(stats.generation, "checkpointed");
    }
    printer.progress(stats, budget, generations_budget, total_generations);
  }
  printer.finish_line();
  const double loop_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - loop_start).count();
  const double loop_forward = forward_seconds - forward_before;

  // The final population (the last one evaluated), the best code and the pictures.
  const xdream::OptimizerState state = optimizer.state();
  const xdream::Best& best = state.best_clean.found() ? state.best_clean : state.best;
  const xdream::Population& last_codes = progress.last_codes;
  const torch::Tensor last_images = generator.generate(last_codes).to(torch::kCPU).contiguous();
  xdream::io::save_npy(dir / "codes.npy", last_codes);
  xdream::io::save_npy(dir / "best_code.npy", xdream::Code(best.code));
  xdream_examples::write_contact_sheet_png(
      dir / "contact_sheet.png", last_images.data_ptr<float>(),
      static_cast<int>(last_images.size(0)), static_cast<int>(channels), static_cast<int>(height),
      static_cast<int>(width), static_cast<int>(std::ceil(std::sqrt(last_images.size(0)))),
      height < 64 ? 3 : 1);
  write_score_plot(dir / "scores.png", progress.history, c.noise != "none");
  write_text_atomically(dir / "scores.csv", scores_csv(progress.history));
  {
    xdream::Population one(best.code.size(), 1);
    one.col(0) = best.code;
    const torch::Tensor image = generator.generate(one).to(torch::kCPU).contiguous();
    xdream_examples::write_image_png(dir / "best.png", image.data_ptr<float>(),
                                     static_cast<int>(channels), static_cast<int>(height),
                                     static_cast<int>(width), height < 64 ? 4 : 1);
  }

  kill_point(static_cast<std::uint32_t>(progress.history.size()), "final");
  const xdream::GenerationStats& final_generation = progress.history.back();
  json summary;
  summary["generations"] = progress.history.size();
  summary["stimuli"] = final_generation.stimuli;
  summary["final_best_clean"] = final_generation.best_clean;
  summary["best_clean_ever"] = std::isnan(best.clean_score) ? best.score : best.clean_score;
  summary["best_score_ever"] = best.score;
  summary["seconds"] = progress.seconds;
  if (loop_generations > 0) {
    // This process's generations (a resumed run counts only those after the resume).
    summary["ms_per_generation"] = 1e3 * loop_seconds / static_cast<double>(loop_generations);
    summary["forward_ms_per_generation"] = 1e3 * loop_forward / static_cast<double>(loop_generations);
    summary["rest_share"] = (loop_seconds - loop_forward) / loop_seconds;
  }
  if (reference.known) {
    summary["reference_max"] = reference.max;
    summary["reference_count"] = reference.count;
    summary["reference_split"] = reference.split;
    summary["reference_best_index"] = reference.best_index;
    summary["relative_activation"] = final_generation.best_clean / reference.max;
    // A ratio to a best reference response <= 0 means nothing (the unit is silent on natural
    // images); tables should leave such units out.
    summary["relative_activation_meaningful"] = reference.max > 0.0;
    if (!std::isnan(reference.test_max)) {
      summary["test_set_max"] = reference.test_max;
      summary["relative_to_test_set"] = final_generation.best_clean / reference.test_max;
    }
    if (reference.pool > 0) {
      summary["brute_force_expected_max"] = reference.brute_force;
      summary["brute_force_relative"] = reference.brute_force / reference.max;
      summary["brute_force_pool"] = reference.pool;
    }
    xdream_examples::write_image_png(dir / "reference_best.png", reference.best_image.data(), 1,
                                     static_cast<int>(height), static_cast<int>(width), 4);
  }
  write_text_atomically(dir / "summary.json", summary.dump(2) + "\n");
  write_text_atomically(dir / "DONE", "");

  std::printf("xdream-evolve: %s, unit %s[%lld], %zu generations, %llu stimuli, %.1f s\n",
              c.algorithm.c_str(), c.tap.c_str(), static_cast<long long>(c.unit),
              progress.history.size(), static_cast<unsigned long long>(final_generation.stimuli),
              progress.seconds);
  std::printf("  final generation's best activation (clean): %.6g\n", final_generation.best_clean);
  if (reference.known) {
    std::printf("  best of %lld reference images (Fashion-MNIST %s #%lld): %.6g\n",
                static_cast<long long>(reference.count), reference.split.c_str(),
                static_cast<long long>(reference.best_index), reference.max);
    std::printf("  relative activation: %.3f%s\n", final_generation.best_clean / reference.max,
                reference.max > 0.0 ? ""
                                    : " (not meaningful: the unit's best reference response is <= 0)");
    if (!std::isnan(reference.test_max)) {
      std::printf("  relative to the best of the 10000 test images: %.3f\n",
                  final_generation.best_clean / reference.test_max);
    }
    if (reference.pool > 0) {
      std::printf("  brute-force control (expected best of %llu random training images): %.3f\n",
                  static_cast<unsigned long long>(reference.budget),
                  reference.brute_force / reference.max);
    }
  }
  std::printf("  record: %s\n", dir.string().c_str());
  (void)record;
  return 0;
}

int run_program(int argc, char** argv) {
  Invocation invocation;
  if (auto code = parse_command_line(argc, argv, invocation, XDREAM_MODELS_DIR)) return *code;
  EvolveConfig c = invocation.config;
  fs::path dir = c.out;
  const bool resuming = !invocation.resume.empty();
  if (resuming) {
    dir = invocation.resume;
    const fs::path config_file = dir / "config.json";
    if (!fs::exists(config_file)) {
      throw std::runtime_error("option --resume: '" + dir.string() +
                               "' has no config.json (not a run directory of xdream-evolve)");
    }
    json recorded;
    try {
      std::ifstream(config_file) >> recorded;
      recorded.at("settings").get_to(c);
    } catch (const json::exception& e) {
      throw std::runtime_error("option --resume: '" + config_file.string() +
                               "' cannot be read (" + e.what() + ")");
    }
    // Only where it runs may change (the results are bit-identical with the same device and
    // thread count).
    const EvolveConfig& given = invocation.config;
    if (given.device != "auto") c.device = given.device;
    if (given.threads != 0) c.threads = given.threads;
    if (fs::exists(dir / "DONE")) {
      std::printf("xdream-evolve: the run in %s is complete (summary.json)\n", dir.string().c_str());
      return 0;
    }
    check(c);
  } else {
    check(c);
    check_new_run_directory(dir, invocation.force);
    // Absolute paths in config.json: --resume works from any working directory.
    for (std::string* path : {&c.generator, &c.network, &c.data_dir, &c.reference_cache}) {
      if (!path->empty()) *path = fs::absolute(*path).lexically_normal().string();
    }
    if (c.init != "random" && c.init != "reference-best") {
      c.init = fs::absolute(c.init).lexically_normal().string();
    }
  }

  xdream::set_torch_threads(c.threads);
  xdream::TorchGenerator generator(c.generator, {.code_size = c.code_size, .device = c.device});
  xdream::TorchNetworkOptions network_options{.device = c.device,
                                              .resize_height = c.resize_height,
                                              .resize_width = c.resize_width,
                                              .mean = c.mean,
                                              .std = c.std};
  xdream::TorchNetwork network(c.network, generator.image_shape(), network_options);
  xdream::TorchNetworkUnit unit(std::move(network), {.tap = c.tap, .channel = c.unit, .y = c.y, .x = c.x});
  std::optional<xdream::Population> initial;
  if (c.init != "random" && c.init != "reference-best") initial = xdream::io::load_npy(c.init);
  xdream::AnyAlgorithm algorithm =
      make_algorithm(c, generator.code_size(), initial ? &*initial : nullptr);
  const auto population = static_cast<std::uint64_t>(algorithm.population_size());
  if (c.generations == 0 && c.stimuli < population) {
    throw std::invalid_argument("option --stimuli = " + std::to_string(c.stimuli) +
                                ": expected at least one generation (" +
                                std::to_string(population) + " stimuli for --algorithm " +
                                c.algorithm + ")");
  }
  // The stimuli the run will present (whole generations, never over the budget).
  const std::uint64_t budget_stimuli =
      c.generations > 0 ? c.generations * population : c.stimuli / population * population;
  const std::string network_sha = sha256_file(c.network);
  if (!invocation.quiet && c.reference != "none") {
    std::printf("xdream-evolve: measuring unit %s[%lld] on the reference set%s...\n",
                c.tap.c_str(), static_cast<long long>(c.unit),
                c.brute_force_pool > 0 ? " and the brute-force pool" : "");
    std::fflush(stdout);
  }
  const Reference reference =
      measure_reference(c, unit, generator.image_shape(), budget_stimuli, network_sha);
  if (c.noise == "poisson" && !(reference.max > 0.0)) {
    throw std::invalid_argument(
        "option --noise poisson: the unit's best reference response is " +
        std::to_string(reference.max) +
        " <= 0, so no spike rate can be scaled to it; choose another unit or --noise "
        "multiplicative");
  }
  if (c.init == "reference-best") {
    initial = reference_best_codes(c, generator, unit, reference, algorithm.population_size());
    algorithm = make_algorithm(c, generator.code_size(), &*initial);
  }

  json record;
  record["settings"] = c;
  record["program"] = "xdream-evolve";
  record["versions"] = json{{"xdream", xdream::version_string},
                             {"libtorch", TORCH_VERSION},
                             {"compiler", __VERSION__}};
  record["models"] = {{"generator", {{"file", c.generator}, {"sha256", sha256_file(c.generator)}}},
                      {"network", {{"file", c.network}, {"sha256", sha256_file(c.network)}}}};
  record["unit"] = {{"tap", unit.unit().tap}, {"channel", unit.unit().channel}};
  if (unit.convolutional()) record["unit"]["y"] = unit.unit().y, record["unit"]["x"] = unit.unit().x;
  record["code_size"] = generator.code_size();
  record["image_shape"] = generator.image_shape();
  record["seeds"] = {{"algorithm", c.seed}, {"noise", c.seed + 1}};

  if (resuming) {
    std::ifstream in(dir / "config.json");
    json recorded;
    in >> recorded;
    if (recorded.at("models") != record["models"]) {
      throw std::runtime_error("option --resume: the model files changed since the run started "
                               "(their sha256 differ from config.json)");
    }
  } else {
    create_run_directory(dir, invocation.force, record.dump(2) + "\n");
  }
  if (!invocation.quiet) {
    std::printf("xdream-evolve: %s on unit %s[%lld] of %s, through %s (code %lld -> %lldx%lldx%lld), %s%s\n",
                c.algorithm.c_str(), c.tap.c_str(), static_cast<long long>(c.unit),
                c.network.c_str(), c.generator.c_str(), static_cast<long long>(generator.code_size()),
                static_cast<long long>(generator.image_shape()[0]),
                static_cast<long long>(generator.image_shape()[1]),
                static_cast<long long>(generator.image_shape()[2]),
                resuming ? "resuming " : "", dir.string().c_str());
    std::fflush(stdout);
  }

  const std::uint64_t noise_seed = c.seed + 1;
  if (c.noise == "poisson") {
    xdream::PoissonNoise<TimedUnit> noisy(
        TimedUnit{std::move(unit)}, {.expected_spikes = c.noise_level > 0 ? c.noise_level : 20.0,
                          .reference_max = reference.max,
                          .reps = c.noise_reps,
                          .seed = noise_seed});
    return evolve(invocation, c, dir, resuming, generator, std::move(noisy), std::move(algorithm),
                  reference, record);
  }
  if (c.noise == "multiplicative") {
    xdream::MultiplicativeNoise<TimedUnit> noisy(
        TimedUnit{std::move(unit)}, {.noise_level = c.noise_level > 0 ? c.noise_level : 0.2, .seed = noise_seed});
    return evolve(invocation, c, dir, resuming, generator, std::move(noisy), std::move(algorithm),
                  reference, record);
  }
  return evolve(invocation, c, dir, resuming, generator, TimedUnit{std::move(unit)}, std::move(algorithm),
                reference, record);
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
