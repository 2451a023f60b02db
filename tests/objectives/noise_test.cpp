// Noise models (include/xdream/objectives/poisson_noise.hpp, multiplicative_noise.hpp): their
// moments against the closed forms, clipping, NaN, the clean scores they report, their random
// streams, how the Optimizer sees them, and parameter errors.
#include "../support/statistics.hpp"

#include <xdream/algorithms/fdgd.hpp>
#include <xdream/concepts.hpp>
#include <xdream/generators/identity.hpp>
#include <xdream/objectives/multiplicative_noise.hpp>
#include <xdream/objectives/poisson_noise.hpp>
#include <xdream/objectives/unit_like.hpp>
#include <xdream/optimizer.hpp>
#include <xdream/random.hpp>

#include <doctest/doctest.h>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/poisson_distribution.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace {
using xdream::Index;
using xdream::MultiplicativeNoise;
using xdream::PoissonNoise;
using xdream::Population;
using xdream::Scores;
namespace t = xdream_test;

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

// The activation of a stimulus is its first gene: lets a test choose every clean score.
struct FirstGene {
  int calls = 0;
  Scores evaluate(const Population& x) {
    ++calls;
    return x.row(0).transpose().cast<double>();
  }
};

// Another stimuli type than a Population: the wrappers must forward whatever the inner accepts.
struct ListObjective {
  Scores evaluate(const std::vector<double>& stimuli) const {
    return Eigen::Map<const Scores>(stimuli.data(), static_cast<Index>(stimuli.size()));
  }
};

Population constant_stimuli(Index count, float activation) {
  return Population::Constant(2, count, activation);
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }
double normal_pdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi); }

t::RunningMoments moments_of(const Scores& scores) {
  t::RunningMoments m;
  for (Index i = 0; i < scores.size(); ++i) m.add(scores[i]);
  return m;
}
}  // namespace

// --- Poisson --------------------------------------------------------------------------------

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

// --- multiplicative -------------------------------------------------------------------------

TEST_CASE("MultiplicativeNoise: mean = a (Phi(1/nu) + nu phi(1/nu)), with the gain clipped at 0") {
  const Index count = 20000;
  for (const double nu : {0.2, 0.5, 2.0}) {
    for (const float a : {2.0f, -1.5f}) {
      CAPTURE(nu);
      CAPTURE(a);
      MultiplicativeNoise noisy(FirstGene{}, {.noise_level = nu, .seed = 3});
      const Scores s = noisy.evaluate(constant_stimuli(count, a));
      // Gain G = max(0, 1 + nu Z); with t = 1/nu:
      //   E[G] = Phi(t) + nu phi(t),  E[G^2] = (1 + nu^2) Phi(t) + nu phi(t).
      const double tt = 1.0 / nu;
      const double gain_mean = normal_cdf(tt) + nu * normal_pdf(tt);
      const double gain_var =
          (1.0 + nu * nu) * normal_cdf(tt) + nu * normal_pdf(tt) - gain_mean * gain_mean;
      const t::RunningMoments moments = moments_of(s);
      CHECK(std::abs(moments.mean - a * gain_mean) <
            t::z * t::mean_se(std::abs(a) * std::sqrt(gain_var), count));
      // Clipping: the score never crosses 0, and is exactly 0 with probability Phi(-1/nu).
      const Index zeros = (s.array() == 0.0).count();
      const double p_zero = normal_cdf(-tt);
      CHECK(std::abs(static_cast<double>(zeros) / count - p_zero) <
            t::z * t::binomial_se(p_zero, count) + 1e-12);
      if (a > 0) CHECK(s.minCoeff() >= 0.0);
      if (a < 0) CHECK(s.maxCoeff() <= 0.0);
    }
  }
}

TEST_CASE("MultiplicativeNoise: nu = 0 gives the clean scores; NaN stays NaN") {
  const xdream::UnitLike unit(8, 2);
  const Population x = Population::Random(8, 10) * 3.0f;
  MultiplicativeNoise exact(unit, {.noise_level = 0.0});
  CHECK(exact.evaluate(x) == unit.evaluate(x));

  MultiplicativeNoise noisy(FirstGene{}, {.noise_level = 0.5});
  Population y(1, 2);
  y << std::numeric_limits<float>::quiet_NaN(), 1.0f;
  const Scores s = noisy.evaluate(y);
  CHECK(std::isnan(s[0]));
  CHECK(std::isfinite(s[1]));
}

TEST_CASE("MultiplicativeNoise: clean_scores are the inner scores; streams are (seed, call, i)") {
  const xdream::UnitLike unit(8, 1);
  const Population x = Population::Random(8, 12) * 3.0f;
  MultiplicativeNoise noisy(unit, {.noise_level = 0.5, .seed = 9});
  static_assert(std::is_same_v<decltype(noisy), MultiplicativeNoise<xdream::UnitLike>>);
  static_assert(xdream::ReportsCleanScores<decltype(noisy)>);
  const Scores first = noisy.evaluate(x);
  CHECK(noisy.clean_scores() == unit.evaluate(x));
  const Scores second = noisy.evaluate(x);
  CHECK(second != first);
  MultiplicativeNoise same(unit, {.noise_level = 0.5, .seed = 9});
  CHECK(same.evaluate(x) == first);
  MultiplicativeNoise other(unit, {.noise_level = 0.5, .seed = 10});
  CHECK(other.evaluate(x) != first);

  const Scores clean = unit.evaluate(x);
  for (Index i = 0; i < x.cols(); ++i) {
    xdream::Engine rng =
        xdream::make_stream(9, 1, static_cast<std::uint64_t>(i), xdream::Purpose::noise);
    boost::random::normal_distribution<double> normal;
    CHECK(second[i] == clean[i] * std::max(0.0, 1.0 + 0.5 * normal(rng)));
  }

  MultiplicativeNoise list(ListObjective{}, {.noise_level = 0.0});
  CHECK(list.evaluate(std::vector<double>{1.0, -2.0}) == Scores{{1.0, -2.0}});
}

TEST_CASE("MultiplicativeNoise rejects bad parameters, naming them") {
  using doctest::Contains;
  CHECK_THROWS_WITH_AS(MultiplicativeNoise(FirstGene{}, {.noise_level = -0.1}),
                       Contains("noise_level = -0.1"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(MultiplicativeNoise(FirstGene{}, {.noise_level = not_a_number}),
                       Contains("noise_level"), std::invalid_argument);
}

// --- through the Optimizer ------------------------------------------------------------------

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
