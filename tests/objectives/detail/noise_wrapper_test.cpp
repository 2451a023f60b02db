// What the noise models share (include/xdream/objectives/detail/noise_wrapper.hpp): the Optimizer
// tracks the clean best through either, the docs' example runs, and their checkpoint state is the
// call count (and the wrapped objective's state when it has one), all or nothing.
#include "../../support/probe_objectives.hpp"

#include <xdream/algorithms/fdgd.hpp>
#include <xdream/concepts.hpp>
#include <xdream/generators/identity.hpp>
#include <xdream/io/encoding.hpp>
#include <xdream/io/error.hpp>
#include <xdream/objectives/multiplicative_noise.hpp>
#include <xdream/objectives/poisson_noise.hpp>
#include <xdream/objectives/unit_like.hpp>
#include <xdream/optimizer.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

using xdream::Index;
using xdream::MultiplicativeNoise;
using xdream::PoissonNoise;
using xdream::Population;
using xdream::Scores;

namespace {
// Records every generation's clean scores, as the Optimizer reports them.
struct CleanRecorder {
  std::vector<Scores> clean, noisy;
  std::vector<Population> codes;
  void on_generation(const xdream::GenerationReport& report) {
    clean.push_back(report.clean_scores);
    noisy.push_back(report.scores);
    codes.push_back(report.codes);
  }
};

template <class Noisy>
void check_best_clean(Noisy noisy) {
  const xdream::UnitLike unit(16, 4);
  xdream::Optimizer opt(xdream::IdentityGenerator(16), std::move(noisy),
                        xdream::FDGD(16, {.seed = 1}));
  CleanRecorder recorder;
  const xdream::Result result = opt.run(xdream::budget::generations(30), recorder);
  REQUIRE(recorder.clean.size() == 30);
  double best = -INFINITY, best_noisy = -INFINITY;
  for (std::size_t g = 0; g < recorder.clean.size(); ++g) {
    best_noisy = std::max(best_noisy, recorder.noisy[g].maxCoeff());
    // The reported clean scores are the inner objective's, for this generation's codes.
    CHECK(recorder.clean[g] == unit.evaluate(recorder.codes[g]));
    CHECK(result.history[g].best_clean == recorder.clean[g].maxCoeff());
    best = std::max(best, recorder.clean[g].maxCoeff());
  }
  REQUIRE(result.best_clean.found());
  CHECK(result.best_clean.clean_score == best);
  // (one code alone is scored with other rounding than in its batch)
  CHECK(unit.evaluate(result.best_clean.code)[0] == doctest::Approx(best).epsilon(1e-12));
  // The noisy best is tracked apart, by the noisy score.
  CHECK(result.best.score == best_noisy);
  CHECK(unit.evaluate(result.best.code)[0] ==
        doctest::Approx(result.best.clean_score).epsilon(1e-12));
}
}  // namespace

TEST_CASE("The Optimizer tracks best_clean through a noise wrapper") {
  const xdream::UnitLike unit(16, 4);
  SUBCASE("Poisson") {
    check_best_clean(PoissonNoise(unit, {.expected_spikes = 20.0, .reference_max = 3.0}));
  }
  SUBCASE("multiplicative") { check_best_clean(MultiplicativeNoise(unit, {.noise_level = 0.5})); }
}

TEST_CASE("Noise models: the docs/algorithms.md example compiles and runs at n 64") {
  const Index n = 64;
  // From docs/algorithms.md, with 4096 replaced by n and a smaller budget:
  xdream::UnitLike unit(n);
  xdream::PoissonNoise spiking(unit, {.expected_spikes = 20.0, .reference_max = 40.0, .seed = 7});
  xdream::MultiplicativeNoise gain(unit, {.noise_level = 0.5, .seed = 7});
  xdream::Optimizer opt(xdream::IdentityGenerator(n), spiking);  // the GA, on noisy scores
  xdream::Result result = opt.run(xdream::budget::stimuli(400));
  double best_clean = result.best_clean.clean_score;  // ranked by the clean score

  CHECK(result.stimuli == 400);
  CHECK(std::isfinite(best_clean));
  CHECK(gain.evaluate(Population::Zero(n, 3)) == Scores::Zero(3));
}

TEST_CASE("Noise models save their call count and a Checkpointable inner objective's state") {
  using Inner = PoissonNoise<xdream_test::FirstGene>;
  using Outer = MultiplicativeNoise<Inner>;
  static_assert(xdream::Checkpointable<Inner>);
  static_assert(xdream::Checkpointable<Outer>);
  const auto make = [] {
    return Outer(Inner(xdream_test::FirstGene{}, {.reference_max = 1.0, .seed = 1}),
                 {.noise_level = 0.5, .seed = 2});
  };
  const Population x = xdream_test::constant_stimuli(6, 0.7f);
  Outer saved = make();
  saved.evaluate(x);
  saved.evaluate(x);
  saved.objective().evaluate(x);  // the inner model is one call further
  xdream::io::ArchiveWriter out;
  saved.save(out);
  CHECK(Outer::name() == "multiplicative-noise");

  Outer loaded = make();
  xdream::io::ArchiveReader in(out.bytes());
  loaded.load(in);
  in.finish();
  CHECK(loaded.evaluations() == 2);
  CHECK(loaded.objective().evaluations() == 3);
  CHECK(loaded.evaluate(x) == saved.evaluate(x));  // both streams continue where they were

  // Bytes that hold the outer call count but not the inner one leave both counts as they were.
  Outer untouched = make();
  untouched.evaluate(x);
  xdream::io::ArchiveWriter partial;
  partial.write(std::uint64_t{5});
  std::vector<std::byte> bytes = partial.bytes();
  bytes.resize(bytes.size() + 3);
  xdream::io::ArchiveReader truncated(bytes);
  CHECK_THROWS_AS(untouched.load(truncated), xdream::io::ArchiveError);
  CHECK(untouched.evaluations() == 1);
  CHECK(untouched.objective().evaluations() == 1);
}
