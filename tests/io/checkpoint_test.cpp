// io/checkpoint: for every algorithm, a run checkpointed after k generations and resumed in a
// fresh optimizer ends bit for bit as the uninterrupted run; a bad checkpoint is a clear error
// that leaves the optimizer as it was.
#include "../support/files.hpp"
#include "../support/same_run.hpp"

#include <xdream/algorithms/cholesky_cmaes.hpp>
#include <xdream/algorithms/cmaes.hpp>
#include <xdream/algorithms/fdgd.hpp>
#include <xdream/algorithms/lm_ma_es.hpp>
#include <xdream/algorithms/nes.hpp>
#include <xdream/algorithms/sep_cmaes.hpp>
#include <xdream/algorithms/sphere_cma.hpp>
#include <xdream/any_algorithm.hpp>
#include <xdream/driver.hpp>
#include <xdream/generators/identity.hpp>
#include <xdream/genetic/genetic.hpp>
#include <xdream/io/checkpoint.hpp>
#include <xdream/objectives/multiplicative_noise.hpp>
#include <xdream/objectives/sphere.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {
constexpr xdream::Index n = 6;

std::filesystem::path temp(const std::string& name) {
  return xdream_test::temp_path("xdream_checkpoint_test", name);
}

using xdream_test::check_same;

using Noisy = xdream::MultiplicativeNoise<xdream::Sphere>;
using Plain = xdream::Optimizer<xdream::IdentityGenerator, xdream::Sphere, xdream::AnyAlgorithm>;
using NoisyOptimizer = xdream::Optimizer<xdream::IdentityGenerator, Noisy, xdream::AnyAlgorithm>;

struct Case {
  std::string name;
  std::function<xdream::AnyAlgorithm()> make;
};

std::vector<Case> every_algorithm() {
  return {
      {"genetic (paper)", [] { return xdream::AnyAlgorithm(xdream::Genetic<>(n, {.seed = 1})); }},
      {"genetic (n_conserve 2, 2 threads)",
       [] {
         return xdream::AnyAlgorithm(xdream::Genetic<>(
             n, {.population_size = 12, .n_conserve = 2, .seed = 9, .threads = 2}));
       }},
      {"cmaes",
       [] {
         return xdream::AnyAlgorithm(
             xdream::CMAES(n, {.population_size = 8, .seed = 2, .decomposition_interval = 3}));
       }},
      {"sep-cmaes",
       [] { return xdream::AnyAlgorithm(xdream::SepCMAES(n, {.population_size = 8, .seed = 3})); }},
      {"cholesky-cmaes",
       [] {
         return xdream::AnyAlgorithm(
             xdream::CholeskyCMAES(n, {.population_size = 10, .update_interval = 2, .seed = 4}));
       }},
      {"sphere-cma",
       [] {
         return xdream::AnyAlgorithm(xdream::SphereCMA(
             n, {.radius = 4.0, .population_size = 8, .schedule_generations = 10, .seed = 5}));
       }},
      {"lm-ma-es",
       [] {
         return xdream::AnyAlgorithm(
             xdream::LMMAES(n, {.population_size = 4, .memory = 3, .seed = 6}));
       }},
      {"fdgd",
       [] {
         return xdream::AnyAlgorithm(xdream::FDGD(
             n, {.population_size = 10, .radius = 0.5, .learning_rate = 0.1, .seed = 7}));
       }},
      {"nes",
       [] {
         return xdream::AnyAlgorithm(xdream::NES(
             n, {.population_size = 10, .radius = 0.5, .learning_rate = 0.05, .seed = 8}));
       }},
  };
}

Plain plain(const Case& c) {
  return Plain(xdream::IdentityGenerator(n), xdream::Sphere(n), c.make());
}
NoisyOptimizer noisy(const Case& c) {
  return NoisyOptimizer(xdream::IdentityGenerator(n),
                        Noisy(xdream::Sphere(n), {.noise_level = 0.3, .seed = 21}), c.make());
}
}  // namespace

TEST_CASE("every algorithm resumes from a checkpoint file bit-identically") {
  constexpr std::uint32_t total = 12;
  for (const Case& c : every_algorithm()) {
    for (const std::uint32_t k : {1u, 5u}) {
      CAPTURE(c.name);
      CAPTURE(k);
      Plain uninterrupted = plain(c);
      const xdream::Result full = uninterrupted.run(xdream::budget::generations(total));

      Plain first = plain(c);
      const xdream::Result part1 = first.run(xdream::budget::generations(k));
      const auto path = temp("plain.ckpt");
      xdream::io::save_checkpoint(path, first, part1.history);

      Plain resumed = plain(c);
      std::vector<xdream::GenerationStats> history;
      xdream::io::load_checkpoint(path, resumed, history);
      const xdream::Result part2 = resumed.run(xdream::budget::generations(total - k));

      CHECK(resumed.algorithm().ask() == uninterrupted.algorithm().ask());
      CHECK(resumed.algorithm().recommendation() == uninterrupted.algorithm().recommendation());
      check_same(part2.best, full.best);
      history.insert(history.end(), part2.history.begin(), part2.history.end());
      REQUIRE(history.size() == full.history.size());
      for (std::size_t g = 0; g < history.size(); ++g) check_same(history[g], full.history[g]);
      CHECK(resumed.state().generation == total);
      CHECK(resumed.state().total_stimuli == uninterrupted.state().total_stimuli);
    }
  }
}

TEST_CASE("a noisy run resumes bit-identically with the noise counter as extra payload") {
  constexpr std::uint32_t total = 10, k = 4;
  for (const Case& c : every_algorithm()) {
    CAPTURE(c.name);
    NoisyOptimizer uninterrupted = noisy(c);
    const xdream::Result full = uninterrupted.run(xdream::budget::generations(total));
    REQUIRE(full.best_clean.found());

    NoisyOptimizer first = noisy(c);
    const xdream::Result part1 = first.run(xdream::budget::generations(k));
    const auto path = temp("noisy.ckpt");
    xdream::io::save_checkpoint(path, first, part1.history, first.objective().evaluations(),
                                std::string("run notes"));

    NoisyOptimizer resumed = noisy(c);
    std::vector<xdream::GenerationStats> history;
    std::uint64_t evaluations = 0;
    std::string notes;
    xdream::io::load_checkpoint(path, resumed, history, evaluations, notes);
    CHECK(notes == "run notes");
    CHECK(evaluations == k);
    resumed.objective().set_evaluations(evaluations);
    const xdream::Result part2 = resumed.run(xdream::budget::generations(total - k));

    CHECK(resumed.algorithm().ask() == uninterrupted.algorithm().ask());
    check_same(part2.best, full.best);
    check_same(part2.best_clean, full.best_clean);
    history.insert(history.end(), part2.history.begin(), part2.history.end());
    REQUIRE(history.size() == full.history.size());
    for (std::size_t g = 0; g < history.size(); ++g) check_same(history[g], full.history[g]);
  }
}

TEST_CASE("a bad checkpoint is a clear error and leaves the optimizer as it was") {
  const std::vector<Case> cases = every_algorithm();
  const Case& cmaes = cases[2];
  const Case& genetic = cases[0];
  Plain saved = plain(cmaes);
  saved.run(xdream::budget::generations(3));
  const auto path = temp("cmaes.ckpt");
  xdream::io::save_checkpoint(path, saved, std::uint64_t{42});
  CHECK(xdream::io::archive_file_tag(path) == "xdream.checkpoint/cmaes");

  Plain target = plain(genetic);
  target.run(xdream::budget::generations(2));
  const xdream::Population before = target.algorithm().ask();
  const xdream::OptimizerState state_before = target.state();
  const auto unchanged = [&] {
    CHECK(target.algorithm().ask() == before);
    CHECK(target.state().generation == state_before.generation);
    CHECK(target.state().total_stimuli == state_before.total_stimuli);
    check_same(target.state().best, state_before.best);
  };

  std::uint64_t extra = 0;
  SUBCASE("another algorithm's checkpoint") {
    CHECK_THROWS_WITH_AS(
        xdream::io::load_checkpoint(path, target, extra),
        doctest::Contains("holds 'xdream.checkpoint/cmaes', expected 'xdream.checkpoint/genetic'"),
        xdream::io::ArchiveError);
    unchanged();
  }
  SUBCASE("a truncated file names the file") {
    const auto cut = temp("cut.ckpt");
    const std::vector<std::byte> bytes = xdream::io::read_file(path);
    {
      std::ofstream out(cut, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(bytes.data()),
                static_cast<std::streamsize>(bytes.size() / 2));
    }
    Plain same_kind = plain(cmaes);
    const xdream::Population ask_before = same_kind.algorithm().ask();
    CHECK_THROWS_WITH_AS(xdream::io::load_checkpoint(cut, same_kind, extra),
                         doctest::Contains((cut.string() + ": truncated").c_str()),
                         xdream::io::ArchiveError);
    CHECK(same_kind.algorithm().ask() == ask_before);
    CHECK(same_kind.state().generation == 0);
  }
  SUBCASE("asking for extra payload that was not saved rolls the algorithm back") {
    Plain same_kind = plain(cmaes);
    same_kind.run(xdream::budget::generations(1));
    const xdream::Population ask_before = same_kind.algorithm().ask();
    std::vector<double> missing;
    CHECK_THROWS_AS(xdream::io::load_checkpoint(path, same_kind, extra, missing),
                    xdream::io::ArchiveError);
    CHECK(same_kind.algorithm().ask() == ask_before);
    CHECK(same_kind.state().generation == 1);
    CHECK(extra == 0);
  }
  SUBCASE("a state of another code size") {
    using Bigger =
        xdream::Optimizer<xdream::IdentityGenerator, xdream::Sphere, xdream::AnyAlgorithm>;
    Bigger bigger(xdream::IdentityGenerator(n + 1), xdream::Sphere(n + 1),
                  xdream::AnyAlgorithm(xdream::CMAES(n + 1, {.population_size = 8})));
    CHECK_THROWS_AS(xdream::io::load_checkpoint(path, bigger, extra), std::invalid_argument);
    CHECK(bigger.state().generation == 0);
  }
  SUBCASE("the right one loads") {
    Plain same_kind = plain(cmaes);
    xdream::io::load_checkpoint(path, same_kind, extra);
    CHECK(extra == 42);
    CHECK(same_kind.algorithm().ask() == saved.algorithm().ask());
  }
}

TEST_CASE("Optimizer::restore checks the best codes' length") {
  Plain optimizer = plain(every_algorithm()[3]);
  xdream::OptimizerState state;
  state.generation = 4;
  state.best.code = xdream::Code::Zero(n + 1);
  CHECK_THROWS_WITH_AS(optimizer.restore(state), doctest::Contains("best code has length 7"),
                       std::invalid_argument);
  CHECK(optimizer.state().generation == 0);
  state.best.code = xdream::Code::Zero(n);
  state.best.score = -1.0;
  optimizer.restore(state);
  CHECK(optimizer.state().generation == 4);
  // The next run numbers generations on.
  const xdream::Result result = optimizer.run(xdream::budget::generations(1));
  CHECK(result.history.front().generation == 4);
}
