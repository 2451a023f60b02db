// The driver's hooks: on_generation sees the generation's codes, stimuli, scores and timings
// before the algorithm is told; on_tell sees the optimizer after it was told (a checkpoint taken
// there resumes bit-identically); run_until finishes the budget a restored run started with.
#include <xdream/algorithms/sep_cmaes.hpp>
#include <xdream/io/checkpoint.hpp>
#include <xdream/objectives/poisson_noise.hpp>
#include <xdream/objectives/sphere.hpp>
#include <xdream/optimizer.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace {
using xdream::Index;
using xdream::Population;
using xdream::Scores;
namespace budget = xdream::budget;
constexpr Index n = 6;

// Doubles the codes, so that stimuli and codes differ.
struct Doubling {
  Index code_size() const { return n; }
  Population generate(const Population& codes) const { return 2.0f * codes; }
};

// The sphere of the stimuli, never below zero (Poisson noise needs a positive reference).
struct Positive {
  xdream::Sphere sphere{n};
  Scores evaluate(const Population& x) const {
    return (sphere.evaluate(x).array() + 100.0).matrix();
  }
};

// Sees what each hook sees.
struct Watcher {
  std::vector<Population> codes, stimuli;
  std::vector<Population> asked_after_tell;
  std::vector<std::uint32_t> told;
  std::vector<bool> last;
  bool timings_ok = true;
  template <class Report>
  void on_generation(const Report& report) {
    codes.push_back(report.codes);
    stimuli.push_back(report.stimuli);
    timings_ok = timings_ok && report.timings.generate >= 0 && report.timings.evaluate >= 0 &&
                 report.timings.tell == 0;
  }
  template <class Optimizer>
  void on_tell(const Optimizer& optimizer, const xdream::TellReport& report) {
    told.push_back(report.stats.generation);
    last.push_back(report.last);
    asked_after_tell.push_back(optimizer.algorithm().ask());
    timings_ok = timings_ok && report.timings.tell >= 0;
  }
};

using Noisy = xdream::PoissonNoise<Positive>;
using Run = xdream::Optimizer<Doubling, Noisy, xdream::SepCMAES>;

Run make_run() {
  return Run(Doubling{}, Noisy(Positive{}, {.expected_spikes = 10, .reference_max = 120, .seed = 9}),
             xdream::SepCMAES(n, {.population_size = 8, .seed = 4}));
}

// Saves a checkpoint from on_tell at generation `at`.
struct SaveAt {
  std::filesystem::path path;
  std::uint32_t at;
  template <class Optimizer>
  void on_tell(const Optimizer& optimizer, const xdream::TellReport& report) {
    if (report.stats.generation == at) xdream::io::save_checkpoint(path, optimizer);
  }
};

// Stops the run from on_tell at generation `at`.
struct StopAt {
  std::uint32_t at;
  bool on_tell(const xdream::TellReport& report) const { return report.stats.generation == at; }
};
}  // namespace

TEST_CASE("on_generation sees codes and stimuli before tell; on_tell sees the told optimizer") {
  Run run = make_run();
  Watcher watcher;
  run.run(budget::generations(5), watcher);
  REQUIRE(watcher.codes.size() == 5);
  REQUIRE(watcher.told.size() == 5);
  for (std::size_t g = 0; g < 5; ++g) {
    CHECK(watcher.stimuli[g] == 2.0f * watcher.codes[g]);
    CHECK(watcher.told[g] == g);
    CHECK(watcher.last[g] == (g == 4));
    // After tell the algorithm asks for the next generation's codes.
    if (g + 1 < 5) CHECK(watcher.asked_after_tell[g] == watcher.codes[g + 1]);
  }
  CHECK(watcher.timings_ok);
  CHECK(run.history().size() == 5);
  CHECK(run.last_codes() == watcher.codes.back());
}

TEST_CASE("a checkpoint taken in on_tell resumes bit-identically, the noise stream included") {
  const auto path = std::filesystem::temp_directory_path() / "xdream_driver_hooks.ckpt";
  constexpr std::uint32_t total = 9, at = 3;
  Run uninterrupted = make_run();
  const xdream::Result full = uninterrupted.run(budget::generations(total));

  {
    Run first = make_run();
    first.run(budget::generations(total), SaveAt{path, at});
  }
  Run resumed = make_run();
  xdream::io::load_checkpoint(path, resumed);
  CHECK(resumed.state().generation == at + 1);
  CHECK(resumed.objective().evaluations() == at + 1);  // the noise model's stream position
  CHECK(resumed.history().size() == at + 1);
  const xdream::Result rest = resumed.run_until(budget::generations(total));
  CHECK(rest.generations == total - at - 1);
  CHECK(resumed.algorithm().ask() == uninterrupted.algorithm().ask());
  CHECK(resumed.last_codes() == uninterrupted.last_codes());
  CHECK(resumed.state().best.code == uninterrupted.state().best.code);
  CHECK(resumed.state().best_clean.code == uninterrupted.state().best_clean.code);
  REQUIRE(resumed.history().size() == uninterrupted.history().size());
  for (std::size_t g = 0; g < total; ++g) {
    CHECK(resumed.history()[g].best == uninterrupted.history()[g].best);
    CHECK(resumed.history()[g].best_clean == uninterrupted.history()[g].best_clean);
  }
  // A finished run has nothing left to run.
  CHECK(resumed.run_until(budget::generations(total)).generations == 0);
  CHECK(full.generations == total);
  std::filesystem::remove(path);
}

TEST_CASE("run_until counts stimuli from the run's start") {
  Run run = make_run();
  run.run(budget::generations(2));
  const xdream::Result more = run.run_until(budget::stimuli(8 * 5 + 7));
  CHECK(more.generations == 3);
  CHECK(run.state().total_stimuli == 40);
}

TEST_CASE("a callback's on_tell may stop the run") {
  Run run = make_run();
  Watcher watcher;
  const xdream::Result result = run.run(budget::generations(20), StopAt{2}, watcher);
  CHECK(result.stopped_early);
  CHECK(result.generations == 3);
  CHECK(watcher.told.size() == 3);
}

TEST_CASE("Checkpointable: the library's algorithms, noise models and optimizers") {
  static_assert(xdream::Checkpointable<xdream::SepCMAES>);
  static_assert(xdream::Checkpointable<xdream::Genetic<>>);
  static_assert(xdream::Checkpointable<Noisy>);
  static_assert(xdream::Checkpointable<Run>);
  static_assert(!xdream::Checkpointable<Positive>);
  CHECK(make_run().name() == "sep-cmaes");
  CHECK(Noisy::name() == "poisson-noise");
}
