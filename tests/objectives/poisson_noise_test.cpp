// PoissonNoise (include/xdream/objectives/poisson_noise.hpp): its moments against the closed
// forms, clipping at 0, NaN, the clean scores it reports, its random streams, and parameter errors.
#include "../support/probe_objectives.hpp"
#include "../support/statistics.hpp"

#include <xdream/concepts.hpp>
#include <xdream/objectives/poisson_noise.hpp>
#include <xdream/objectives/unit_like.hpp>
#include <xdream/random.hpp>

#include <doctest/doctest.h>
#include <boost/random/poisson_distribution.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace {
using xdream::Index;
using xdream::PoissonNoise;
using xdream::Population;
using xdream::Scores;
using xdream_test::constant_stimuli;
using xdream_test::FirstGene;
using xdream_test::ListObjective;
using xdream_test::moments_of;
namespace t = xdream_test;
}  // namespace

TEST_CASE("PoissonNoise: mean = activation, variance = activation / (lambda reps)") {
  // lambda = 20 / 4 = 5 spikes per unit: a = 4 (the reference max) gives 20 expected spikes.
  // a = 0.3 (1.5 spikes, Boost's inversion branch) and a = 4 (20 spikes, its PTRD branch).
  const Index count = 20000;
  for (const double a : {0.3, 4.0}) {
    for (const int reps : {1, 4}) {
      CAPTURE(a);
      CAPTURE(reps);
      PoissonNoise noisy(FirstGene{},
                         {.expected_spikes = 20.0, .reference_max = 4.0, .reps = reps, .seed = 17});
      const Scores s = noisy.evaluate(constant_stimuli(count, static_cast<float>(a)));
      const double lambda = 5.0, c = lambda * reps;  // score = Poisson(m) / c, m = a c
      const double m = static_cast<double>(static_cast<float>(a)) * c;
      const double variance = m / (c * c), mu4 = (m + 3.0 * m * m) / (c * c * c * c);
      const t::RunningMoments moments = moments_of(s);
      CHECK(std::abs(moments.mean - m / c) < t::z * t::mean_se(std::sqrt(variance), count));
      CHECK(std::abs(moments.variance() - variance) < t::z * t::variance_se(variance, mu4, count));
      // Every score is a spike count over lambda reps.
      const Scores spikes = s * c;
      CHECK((spikes.array() - spikes.array().round()).abs().maxCoeff() < 1e-9);
    }
  }
}

TEST_CASE("PoissonNoise: negative and zero activations give 0; NaN stays NaN") {
  PoissonNoise noisy(FirstGene{}, {.reference_max = 1.0});
  Population x(1, 5);
  x << -3.0f, 0.0f, -0.001f, std::numeric_limits<float>::quiet_NaN(), 2.0f;
  const Scores s = noisy.evaluate(x);
  CHECK(s[0] == 0.0);
  CHECK(s[1] == 0.0);
  CHECK(s[2] == 0.0);
  CHECK(std::isnan(s[3]));
  CHECK(s[4] >= 0.0);
  CHECK(std::isnan(noisy.clean_scores()[3]));
}

TEST_CASE("PoissonNoise: clean_scores are the inner scores; streams are (seed, call, stimulus)") {
  const xdream::UnitLike unit(8, 1);
  Population x = Population::Random(8, 12) * 3.0f;
  PoissonNoise noisy(unit, {.expected_spikes = 30.0, .reference_max = 2.5, .reps = 2, .seed = 5});
  static_assert(std::is_same_v<decltype(noisy), PoissonNoise<xdream::UnitLike>>);
  static_assert(xdream::ReportsCleanScores<decltype(noisy)>);
  static_assert(xdream::Objective<decltype(noisy), Population>);
  CHECK(noisy.clean_scores().size() == 0);

  const Scores first = noisy.evaluate(x);
  CHECK(noisy.clean_scores() == unit.evaluate(x));
  CHECK(noisy.evaluations() == 1);
  const Scores second = noisy.evaluate(x);
  CHECK(second != first);  // another call, other noise

  PoissonNoise same(unit, {.expected_spikes = 30.0, .reference_max = 2.5, .reps = 2, .seed = 5});
  CHECK(same.evaluate(x) == first);
  CHECK(same.evaluate(x) == second);
  PoissonNoise other(unit, {.expected_spikes = 30.0, .reference_max = 2.5, .reps = 2, .seed = 6});
  CHECK(other.evaluate(x) != first);
  same.set_evaluations(1);  // resume: call 1 again
  CHECK(same.evaluate(x) == second);

  // The documented stream, drawn by hand for call 1.
  const double lambda = 30.0 / 2.5;
  const Scores clean = unit.evaluate(x);
  for (Index i = 0; i < x.cols(); ++i) {
    CAPTURE(i);
    if (clean[i] <= 0.0) {
      CHECK(second[i] == 0.0);
      continue;
    }
    xdream::Engine rng =
        xdream::make_stream(5, 1, static_cast<std::uint64_t>(i), xdream::Purpose::noise);
    boost::random::poisson_distribution<std::int64_t, double> spikes(clean[i] * lambda);
    const std::int64_t total = spikes(rng) + spikes(rng);
    CHECK(second[i] == doctest::Approx(static_cast<double>(total) / (2.0 * lambda)));
  }
}

TEST_CASE("PoissonNoise forwards any stimuli type and can refer to its objective") {
  PoissonNoise list(ListObjective{}, {.expected_spikes = 1e6, .reference_max = 1.0});
  const Scores s = list.evaluate(std::vector<double>{1.0, 2.0, -1.0});
  CHECK(s[0] == doctest::Approx(1.0).epsilon(0.01));  // 1e6 spikes: sd 1e-3
  CHECK(s[1] == doctest::Approx(2.0).epsilon(0.01));
  CHECK(s[2] == 0.0);

  FirstGene inner;
  PoissonNoise<FirstGene&> referring(inner, {.reference_max = 1.0});
  referring.evaluate(constant_stimuli(3, 1.0f));
  CHECK(inner.calls == 1);
  CHECK(&referring.objective() == &inner);
}

TEST_CASE("PoissonNoise rejects bad parameters, naming them") {
  using doctest::Contains;
  const auto make = [](xdream::PoissonNoiseOptions o) { return PoissonNoise(FirstGene{}, o); };
  CHECK_THROWS_WITH_AS(make({}), Contains("reference_max = nan"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.reference_max = 0.0}), Contains("reference_max = 0"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.reference_max = -1.0}), Contains("reference_max"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.expected_spikes = 0.0, .reference_max = 1.0}),
                       Contains("expected_spikes = 0"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.expected_spikes = -5.0, .reference_max = 1.0}),
                       Contains("expected_spikes"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.reference_max = 1.0, .reps = 0}), Contains("reps = 0"),
                       std::invalid_argument);
}
