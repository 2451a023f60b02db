// MultiplicativeNoise (include/xdream/objectives/multiplicative_noise.hpp): its mean against the
// closed form with the gain clipped at 0, nu = 0, NaN, the clean scores it reports, its random
// streams, and parameter errors.
#include "../support/probe_objectives.hpp"
#include "../support/statistics.hpp"

#include <xdream/concepts.hpp>
#include <xdream/objectives/multiplicative_noise.hpp>
#include <xdream/objectives/unit_like.hpp>
#include <xdream/random.hpp>

#include <doctest/doctest.h>
#include <boost/random/normal_distribution.hpp>

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
using xdream::Population;
using xdream::Scores;
using xdream_test::constant_stimuli;
using xdream_test::FirstGene;
using xdream_test::ListObjective;
using xdream_test::moments_of;
namespace t = xdream_test;

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }
double normal_pdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi); }
}  // namespace

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
