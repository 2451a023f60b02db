// AnyObjective (include/xdream/any_objective.hpp): forwards evaluate; reports clean scores (the
// wrapped objective's, or its scores themselves when it has none); forwards save/load to a
// Checkpointable objective (a noise model's stream position) and writes nothing for another;
// gives the wrapped objective back by type; and a run through it is the bare objective's run.
#include "support/files.hpp"
#include "support/runs.hpp"

#include <xdream/any_objective.hpp>
#include <xdream/generators/identity.hpp>
#include <xdream/io/checkpoint.hpp>
#include <xdream/objectives/multiplicative_noise.hpp>
#include <xdream/objectives/poisson_noise.hpp>
#include <xdream/objectives/sphere.hpp>
#include <xdream/objectives/unit_like.hpp>
#include <xdream/optimizer.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <type_traits>
#include <vector>

namespace {
using xdream::Index;
using xdream::Population;
using xdream::Scores;
using Any = xdream::AnyObjective<Population>;
using Noisy = xdream::PoissonNoise<xdream::UnitLike>;

static_assert(xdream::Objective<Any, Population>);
static_assert(xdream::ReportsCleanScores<Any>);
static_assert(xdream::Checkpointable<Any>);
static_assert(std::is_nothrow_move_constructible_v<Any>);
static_assert(!std::is_copy_constructible_v<Any>);
static_assert(!std::is_constructible_v<Any, int>);

constexpr Index n = 8;

Noisy poisson(std::uint64_t seed) {
  return Noisy(xdream::UnitLike(n, 3),
               {.expected_spikes = 20.0, .reference_max = 2.0, .seed = seed});
}

Population stimuli(std::uint64_t seed) {
  xdream::Engine rng(seed);
  Population x(n, 10);
  for (Index k = 0; k < x.size(); ++k)
    x.data()[k] = static_cast<float>(static_cast<double>(rng() % 2001) / 500.0 - 2.0);
  return x;
}
}  // namespace

TEST_CASE("AnyObjective forwards evaluate and reports the scores as clean without clean scores") {
  const xdream::Sphere sphere(n);
  Any any(sphere);
  CHECK(any.clean_scores().size() == 0);
  const Population x = stimuli(1);
  const Scores scores = any.evaluate(x);
  CHECK(scores == sphere.evaluate(x));
  CHECK(any.clean_scores() == scores);
  const Population y = stimuli(2);
  CHECK(any.evaluate(y) == sphere.evaluate(y));
  CHECK(any.clean_scores() == sphere.evaluate(y));  // the last evaluation's
  CHECK(any.name().empty());
}

TEST_CASE("AnyObjective reports a noise model's clean scores") {
  Any any(poisson(5));
  Noisy bare = poisson(5);
  const Population x = stimuli(3);
  const Scores noisy = any.evaluate(x);
  CHECK(noisy == bare.evaluate(x));
  CHECK(any.clean_scores() == bare.clean_scores());
  CHECK(any.clean_scores() == xdream::UnitLike(n, 3).evaluate(x));
  CHECK(any.clean_scores() != noisy);
  CHECK(any.name() == "poisson-noise");
  Any gain(xdream::MultiplicativeNoise(xdream::UnitLike(n, 3), {.noise_level = 0.5}));
  CHECK(gain.name() == "multiplicative-noise");
}

TEST_CASE("AnyObjective forwards save and load to a Checkpointable objective") {
  Any any(poisson(7));
  const Population x = stimuli(4);
  any.evaluate(x);
  any.evaluate(x);
  xdream::io::ArchiveWriter out;
  any.save(out);
  const Scores third = any.evaluate(x);

  Any fresh(poisson(7));
  xdream::io::ArchiveReader in(out.bytes());
  fresh.load(in);
  in.finish();
  REQUIRE(fresh.target<Noisy>() != nullptr);
  CHECK(fresh.target<Noisy>()->evaluations() == 2);
  CHECK(fresh.evaluate(x) == third);  // the noise stream continues where it was saved

  // An objective without state writes nothing and reads nothing.
  Any plain{xdream::Sphere(n)};
  xdream::io::ArchiveWriter nothing;
  plain.save(nothing);
  CHECK(nothing.bytes().empty());
  xdream::io::ArchiveReader empty(nothing.bytes());
  plain.load(empty);
  CHECK(empty.remaining() == 0);
}

TEST_CASE("AnyObjective::target gives the wrapped objective when it has the type asked for") {
  Any any(poisson(1));
  REQUIRE(any.target<Noisy>() != nullptr);
  CHECK(any.target<xdream::Sphere>() == nullptr);
  CHECK(any.target<xdream::UnitLike>() == nullptr);  // the wrapped one is the noise model
  any.target<Noisy>()->set_evaluations(5);
  const Any& constant = any;
  REQUIRE(constant.target<Noisy>() != nullptr);
  CHECK(constant.target<Noisy>()->evaluations() == 5);
  CHECK(constant.target<xdream::Sphere>() == nullptr);
  CHECK(&constant.target<Noisy>()->objective() == &any.target<Noisy>()->objective());
}

TEST_CASE("Optimizer<G, AnyObjective, A> gives the bare objective's run and resumes from a file") {
  const auto budget = xdream::budget::generations(6);
  using Bare = xdream::Optimizer<xdream::IdentityGenerator, Noisy, xdream::SepCMAES>;
  using Erased = xdream::Optimizer<xdream::IdentityGenerator, Any, xdream::SepCMAES>;
  const auto algorithm = [] { return xdream::SepCMAES(n, {.population_size = 6, .seed = 2}); };
  Bare bare(xdream::IdentityGenerator(n), poisson(11), algorithm());
  Erased erased(xdream::IdentityGenerator(n), Any(poisson(11)), algorithm());
  const xdream::Result a = bare.run(budget), b = erased.run(budget);
  CHECK(a.best.code == b.best.code);
  CHECK(a.best.score == b.best.score);
  REQUIRE(b.best_clean.found());
  CHECK(a.best_clean.code == b.best_clean.code);
  CHECK(a.best_clean.clean_score == b.best_clean.clean_score);
  REQUIRE(a.history.size() == b.history.size());
  for (std::size_t g = 0; g < a.history.size(); ++g) {
    CHECK(a.history[g].best == b.history[g].best);
    CHECK(a.history[g].best_clean == b.history[g].best_clean);
  }

  // A checkpoint of the erased run holds the noise model's stream position.
  const auto path = xdream_test::temp_path("xdream_any_objective_test", "erased.ckpt");
  xdream::io::save_checkpoint(path, erased);
  Erased resumed(xdream::IdentityGenerator(n), Any(poisson(11)), algorithm());
  xdream::io::load_checkpoint(path, resumed);
  CHECK(resumed.objective().target<Noisy>()->evaluations() == 6);
  bare.run(budget);
  resumed.run(budget);
  CHECK(resumed.state().best.code == bare.state().best.code);
  CHECK(resumed.history().back().best == bare.history().back().best);
}
