// The driver (include/xdream/driver.hpp, with budget.hpp and result.hpp): budgets, checks on the
// parts it is given, best-so-far tracking, the hooks callbacks see (on_generation with the
// generation's codes, stimuli, scores and timings before the algorithm is told; on_tell with the
// told optimizer, where a checkpoint resumes bit-identically), run_until, and that the whole loop
// with the default GA actually optimizes, reproducibly. The library's callbacks are tested in
// tests/callbacks/.
#include "support/runs.hpp"

#include <xdream/generators/identity.hpp>
#include <xdream/genetic/presets.hpp>
#include <xdream/io/checkpoint.hpp>
#include <xdream/objectives/sphere.hpp>
#include <xdream/objectives/unit_like.hpp>
#include <xdream/optimizer.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace {
using xdream::Genetic;
using xdream::GeneticOptions;
using xdream::IdentityGenerator;
using xdream::Index;
using xdream::Optimizer;
using xdream::Population;
using xdream::Scores;
using xdream::Sphere;
using xdream_test::make_noisy_run;
using xdream_test::NoisyRun;
using xdream_test::sphere_optimizer;
namespace budget = xdream::budget;

// The sphere, counting what it is shown.
struct CountingSphere {
  Sphere sphere{8};
  int calls = 0;
  Index stimuli = 0;
  Scores evaluate(const Population& x) {
    ++calls;
    stimuli += x.cols();
    return sphere.evaluate(x);
  }
};

// Scores every individual of the k-th evaluation with k * step (0, step, 2 step, ...).
// Noisy sphere that knows its clean scores, and keeps every score it gave.
struct NoisySphere {
  Sphere sphere{8};
  xdream::Engine rng{3};
  Scores clean;
  std::vector<Scores> noisy_history;
  std::vector<Scores> clean_history;
  Scores evaluate(const Population& x) {
    clean = sphere.evaluate(x);
    Scores noisy = clean;
    for (Index i = 0; i < noisy.size(); ++i) {
      noisy[i] += 4.0 * (xdream::detail::uniform01(rng) - 0.5);
    }
    noisy_history.push_back(noisy);
    clean_history.push_back(clean);
    return noisy;
  }
  const Scores& clean_scores() const { return clean; }
};

// Counts the hooks it sees; stops at generation `stop_at` when asked to.
struct Hooks {
  int starts = 0;
  int generations = 0;
  int finishes = 0;
  std::uint32_t stop_at = std::numeric_limits<std::uint32_t>::max();
  Population first_codes;
  std::uint32_t finished_generations = 0;
  void on_start(const Population& codes) {
    ++starts;
    first_codes = codes;
  }
  bool on_generation(const xdream::GenerationReport& report) {
    ++generations;
    return report.stats.generation == stop_at;
  }
  void on_finish(const xdream::Result& result) {
    ++finishes;
    finished_generations = result.generations;
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

// --- budgets ------------------------------------------------------------------------------------

TEST_CASE("Optimizer runs exactly the budgeted number of generations") {
  CountingSphere objective;
  Optimizer<IdentityGenerator, CountingSphere&> opt(IdentityGenerator(8), objective);
  const xdream::Result result = opt.run(budget::generations(7));
  CHECK(result.generations == 7);
  CHECK(result.history.size() == 7);
  CHECK(result.stimuli == 7 * 20);
  CHECK(objective.calls == 7);
  CHECK(objective.stimuli == 7 * 20);
  CHECK(opt.algorithm().generation() == 7);  // told after every evaluation
  CHECK_FALSE(result.stopped_early);
  for (std::uint32_t g = 0; g < 7; ++g) {
    CHECK(result.history[g].generation == g);
    CHECK(result.history[g].stimuli == 20 * (g + 1));
  }
}

TEST_CASE("Optimizer never exceeds a stimuli budget and runs floor(budget / N) generations") {
  for (std::uint64_t stimuli : {20u, 39u, 130u, 140u, 159u}) {
    CAPTURE(stimuli);
    CountingSphere objective;
    Optimizer<IdentityGenerator, CountingSphere&> opt(IdentityGenerator(8), objective);
    const xdream::Result result = opt.run(budget::stimuli(stimuli));
    CHECK(result.generations == stimuli / 20);
    CHECK(result.stimuli == 20 * (stimuli / 20));
    CHECK(result.stimuli <= stimuli);
    CHECK(static_cast<std::uint64_t>(objective.stimuli) == result.stimuli);
  }
}

TEST_CASE("Optimizer rejects an empty budget or one smaller than a generation") {
  auto opt = sphere_optimizer(8, 0);
  CHECK_THROWS_WITH_AS(opt.run(budget::generations(0)), doctest::Contains("budget"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(opt.run(budget::stimuli(0)), doctest::Contains("budget"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(opt.run(budget::stimuli(19)), doctest::Contains("budget"),
                       std::invalid_argument);
  CHECK(opt.algorithm().generation() == 0);  // nothing ran
}

TEST_CASE("Optimizer continues the search on a second run") {
  auto opt = sphere_optimizer(8, 1);
  const xdream::Result first = opt.run(budget::generations(3));
  const xdream::Result second = opt.run(budget::generations(2));
  CHECK(second.generations == 2);
  CHECK(second.history.front().generation == 3);
  CHECK(second.history.back().generation == 4);
  CHECK(second.history.back().stimuli == 5 * 20);
  CHECK(second.best.score >= first.best.score);  // best-so-far spans both runs
}

// --- what the driver checks ---------------------------------------------------------------------

TEST_CASE("Optimizer rejects a generator and algorithm of different code sizes") {
  using Opt = Optimizer<IdentityGenerator, Sphere, Genetic<>>;
  CHECK_THROWS_WITH_AS(Opt(IdentityGenerator(8), Sphere(8), Genetic<>(9)),
                       doctest::Contains("code_size = 9"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(Opt(IdentityGenerator(8), Sphere(8), Genetic<>(9)),
                       doctest::Contains("code_size = 8"), std::invalid_argument);
}

TEST_CASE("Optimizer rejects an objective that returns a wrong count or an infinite score") {
  struct ShortObjective {
    Scores evaluate(const Population& x) { return Scores::Zero(x.cols() - 1); }
  };
  struct InfiniteObjective {
    Scores evaluate(const Population& x) {
      Scores s = Scores::Zero(x.cols());
      s[3] = -std::numeric_limits<double>::infinity();
      return s;
    }
  };
  Optimizer<IdentityGenerator, ShortObjective> short_count(IdentityGenerator(4), ShortObjective{});
  CHECK_THROWS_WITH_AS(short_count.run(budget::generations(1)), doctest::Contains("19 scores"),
                       std::invalid_argument);
  Optimizer<IdentityGenerator, InfiniteObjective> infinite(IdentityGenerator(4),
                                                           InfiniteObjective{});
  CHECK_THROWS_WITH_AS(infinite.run(budget::generations(1)), doctest::Contains("infinite"),
                       std::invalid_argument);
}

// --- best-so-far --------------------------------------------------------------------------------

TEST_CASE("Optimizer's best is the maximum of the whole history and reproduces its score") {
  auto opt = sphere_optimizer(8, 2);
  const xdream::Result result = opt.run(budget::generations(25));
  double history_max = -std::numeric_limits<double>::infinity();
  for (const xdream::GenerationStats& s : result.history)
    history_max = std::max(history_max, s.best);
  CHECK(result.best.score == history_max);
  CHECK(result.history[result.best.generation].best == result.best.score);
  Population code = result.best.code;
  CHECK(Sphere(8).evaluate(code)[0] == result.best.score);
}

TEST_CASE("Optimizer tracks the best clean score of an objective that reports one") {
  NoisySphere objective;
  Optimizer<IdentityGenerator, NoisySphere&> opt(IdentityGenerator(8), objective);
  const xdream::Result result = opt.run(budget::generations(15));
  REQUIRE(objective.clean_history.size() == 15);
  double best_clean = -std::numeric_limits<double>::infinity();
  std::size_t where_g = 0;
  Index where_i = 0;
  for (std::size_t g = 0; g < 15; ++g) {
    CAPTURE(g);
    const Scores& clean = objective.clean_history[g];
    CHECK(result.history[g].best_clean == clean.maxCoeff());
    CHECK(result.history[g].best == objective.noisy_history[g].maxCoeff());
    for (Index i = 0; i < clean.size(); ++i) {
      if (clean[i] > best_clean) {
        best_clean = clean[i];
        where_g = g;
        where_i = i;
      }
    }
  }
  REQUIRE(result.best_clean.found());
  CHECK(result.best_clean.clean_score == best_clean);
  CHECK(result.best_clean.generation == where_g);
  CHECK(result.best_clean.index == where_i);
  Population code = result.best_clean.code;
  CHECK(Sphere(8).evaluate(code)[0] == best_clean);
  // Best.score is "its score as the algorithm saw it": the noisy score of that individual.
  CHECK(result.best_clean.score == objective.noisy_history[where_g][where_i]);
  // And the noisy best keeps its own clean score beside it.
  CHECK(result.best.clean_score ==
        objective.clean_history[result.best.generation][result.best.index]);
}

// --- the hooks and run_until ---------------------------------------------------------------------

TEST_CASE("Optimizer calls each hook the right number of times") {
  auto opt = sphere_optimizer(8, 3);
  const Population initial = opt.algorithm().ask();
  Hooks hooks;
  const xdream::Result result = opt.run(budget::generations(6), hooks);
  CHECK(hooks.starts == 1);
  CHECK(hooks.generations == 6);
  CHECK(hooks.finishes == 1);
  CHECK(hooks.finished_generations == 6);
  CHECK(hooks.first_codes == initial);
  CHECK_FALSE(result.stopped_early);
}

TEST_CASE("Optimizer stops after the generation whose callback returns true") {
  auto opt = sphere_optimizer(8, 4);
  Hooks stopper;
  stopper.stop_at = 3;
  Hooks watcher;  // a second callback still sees the last generation
  const xdream::Result result = opt.run(budget::generations(50), stopper, watcher);
  CHECK(result.stopped_early);
  CHECK(result.generations == 4);
  CHECK(result.history.size() == 4);
  CHECK(stopper.generations == 4);
  CHECK(watcher.generations == 4);
  CHECK(stopper.finishes == 1);
  CHECK(watcher.finishes == 1);
}

TEST_CASE("on_generation sees codes and stimuli before tell; on_tell sees the told optimizer") {
  NoisyRun run = make_noisy_run();
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
  NoisyRun uninterrupted = make_noisy_run();
  const xdream::Result full = uninterrupted.run(budget::generations(total));

  {
    NoisyRun first = make_noisy_run();
    first.run(budget::generations(total), SaveAt{path, at});
  }
  NoisyRun resumed = make_noisy_run();
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
  NoisyRun run = make_noisy_run();
  run.run(budget::generations(2));
  const xdream::Result more = run.run_until(budget::stimuli(8 * 5 + 7));
  CHECK(more.generations == 3);
  CHECK(run.state().total_stimuli == 40);
}

TEST_CASE("a callback's on_tell may stop the run") {
  NoisyRun run = make_noisy_run();
  Watcher watcher;
  const xdream::Result result = run.run(budget::generations(20), StopAt{2}, watcher);
  CHECK(result.stopped_early);
  CHECK(result.generations == 3);
  CHECK(watcher.told.size() == 3);
}

TEST_CASE("Checkpointable: the library's algorithms, noise models and optimizers") {
  static_assert(xdream::Checkpointable<xdream::SepCMAES>);
  static_assert(xdream::Checkpointable<xdream::Genetic<>>);
  static_assert(xdream::Checkpointable<xdream_test::NoisyObjective>);
  static_assert(xdream::Checkpointable<NoisyRun>);
  static_assert(!xdream::Checkpointable<xdream_test::Positive>);
  CHECK(make_noisy_run().name() == "sep-cmaes");
  CHECK(xdream_test::NoisyObjective::name() == "poisson-noise");
}

// --- the loop optimizes -------------------------------------------------------------------------

TEST_CASE("The default GA reaches 85 percent of a unit-like objective's optimum") {
  // UnitLike(32): random N(0, I) codes score ~60 % of the optimum at best (the top w.x of a few
  // thousand draws is ~3.8 at the preferred norm); climbing past 85 % needs selection to work.
  const xdream::UnitLike unit(32, 5);
  for (std::uint64_t seed : {0u, 1u, 2u}) {
    CAPTURE(seed);
    Optimizer<IdentityGenerator, xdream::UnitLike> opt(
        IdentityGenerator(32), unit, Genetic<>(32, GeneticOptions{20, 0, seed, 1}));
    const xdream::Result result = opt.run(budget::generations(300));
    CHECK(result.best.score >= 0.85 * unit.optimum_value());
  }
}

TEST_CASE("The Wang and Ponce lab GA gets within radius 1 of the sphere's optimum") {
  // Sphere(16) from N(0, I): the optimum (all ones) starts ~5.7 away. One mutation step of the
  // preset is ~1.5 long (sqrt(16 * 0.25 * 0.75^2)); within 200 generations the best must be
  // closer to the optimum than that step: radius 1.
  for (std::uint64_t seed : {0u, 1u, 2u}) {
    CAPTURE(seed);
    const Sphere sphere(16);
    Optimizer<IdentityGenerator, Sphere> opt(
        IdentityGenerator(16), sphere,
        xdream::make_genetic(16, xdream::presets::wang_ponce_lab, seed));
    const xdream::Result result = opt.run(budget::generations(200));
    CHECK((result.best.code - sphere.optimum()).norm() < 1.0f);
  }
}

TEST_CASE("Optimizer with the same seed gives the same result and another seed another") {
  auto first = sphere_optimizer(16, 9);
  auto second = sphere_optimizer(16, 9);
  auto other = sphere_optimizer(16, 10);
  const xdream::Result a = first.run(budget::generations(20));
  const xdream::Result b = second.run(budget::generations(20));
  const xdream::Result c = other.run(budget::generations(20));
  CHECK(a.best.code == b.best.code);
  CHECK(a.best.score == b.best.score);
  CHECK(a.best.generation == b.best.generation);
  for (std::size_t g = 0; g < 20; ++g) CHECK(a.history[g].best == b.history[g].best);
  CHECK(a.best.code != c.best.code);
}
}  // namespace
