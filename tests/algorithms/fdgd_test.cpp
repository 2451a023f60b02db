// FDGD (include/xdream/algorithms/fdgd.hpp): the Algorithm battery, one step against the paper's
// formula recomputed here from the samples ask() returned, the NaN rule, sampling, convergence
// and parameter errors.
#include "../support/algorithm_runs.hpp"
#include "../support/conformance.hpp"
#include "../support/statistics.hpp"

#include <xdream/algorithms/fdgd.hpp>
#include <xdream/objectives/sphere.hpp>
#include <xdream/objectives/unit_like.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace {
using xdream::Code;
using xdream::FDGD;
using xdream::FDGDOptions;
using xdream::Index;
using xdream::Population;
using xdream::Scores;

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

// d_k = (x+_k - x-_k) / 2, from the samples as floats: exact up to float rounding of the samples.
Eigen::VectorXd probe(const Population& x, Index k) {
  return (x.col(2 * k).cast<double>() - x.col(2 * k + 1).cast<double>()) / 2.0;
}

// The paper's update, computed from the samples and scores alone. `mean_abs` selects a_k: the
// mean absolute element (the paper) or, to show the test would catch it, the L2 norm.
Eigen::VectorXd expected_centre(const Eigen::VectorXd& centre, const Population& x, const Scores& f,
                                double learning_rate, bool mean_abs = true) {
  Eigen::VectorXd g = Eigen::VectorXd::Zero(centre.size());
  int valid = 0;
  for (Index k = 0; k < x.cols() / 2; ++k) {
    if (std::isnan(f[2 * k]) || std::isnan(f[2 * k + 1])) continue;
    ++valid;
    const Eigen::VectorXd d = probe(x, k);
    const double a = mean_abs ? d.cwiseAbs().mean() : d.norm();
    g += (f[2 * k] - f[2 * k + 1]) / 2.0 * d / (a * a);
  }
  return centre + learning_rate * g / valid;
}

// Max |a - b|, relative to the size of the step plus the centre (float rounding of the samples
// is ~6e-8 relative; 1e-5 leaves room for the sums).
double relative_error(const Eigen::VectorXd& actual, const Eigen::VectorXd& expected,
                      const Eigen::VectorXd& before) {
  const double scale = (expected - before).cwiseAbs().maxCoeff() + before.cwiseAbs().maxCoeff();
  return (actual - expected).cwiseAbs().maxCoeff() / scale;
}

Code start_centre(Index n) { return Code::LinSpaced(n, -1.0f, 2.0f); }
}  // namespace

TEST_CASE("FDGD conforms to the Algorithm battery") {
  xdream_test::check_algorithm_conformance(
      [](std::uint64_t seed) { return FDGD(8, {.population_size = 6, .seed = seed}); });
}

TEST_CASE("FDGD defaults are the paper's") {
  const FDGD fdgd(16);
  CHECK(fdgd.population_size() == 20);
  CHECK(fdgd.options().radius == 1.25);
  CHECK(fdgd.options().learning_rate == 1.25);
  CHECK(fdgd.ask().cols() == 20);
  CHECK(fdgd.centre().isZero());
  CHECK(fdgd.recommendation().isZero());
}

TEST_CASE("FDGD samples antithetic pairs c +/- d_k with d_k ~ N(0, r^2 I)") {
  const Index n = 500;
  const double r = 0.7;
  const Code c = start_centre(n);
  const FDGD fdgd(c, {.population_size = 20, .radius = r, .seed = 4});
  const Population& x = fdgd.ask();
  xdream_test::RunningMoments moments;
  for (Index k = 0; k < 10; ++k) {
    const Eigen::VectorXd mid = (x.col(2 * k).cast<double>() + x.col(2 * k + 1).cast<double>()) / 2;
    CHECK((mid - c.cast<double>()).cwiseAbs().maxCoeff() < 1e-6);
    const Eigen::VectorXd d = probe(x, k);
    for (Index j = 0; j < n; ++j) moments.add(d[j]);
  }
  // 5000 draws of N(0, r^2): mean 0, variance r^2.
  CHECK(std::abs(moments.mean) < xdream_test::z * xdream_test::mean_se(r, moments.n));
  CHECK(std::abs(moments.variance() - r * r) <
        xdream_test::z * xdream_test::normal_variance_se(r, moments.n));
}

TEST_CASE("FDGD: one step is the paper's formula, with a_k the mean absolute element") {
  const Index n = 16;
  const double lr = 0.3;
  const Code c = start_centre(n);
  FDGD fdgd(c, {.population_size = 10, .radius = 0.9, .learning_rate = lr, .seed = 11});
  const Population x = fdgd.ask();
  const Scores f = xdream::Sphere(n).evaluate(x);
  const Eigen::VectorXd before = c.cast<double>();
  fdgd.tell(f);

  const Eigen::VectorXd expected = expected_centre(before, x, f, lr);
  CHECK(relative_error(fdgd.centre(), expected, before) < 1e-5);
  CHECK(fdgd.recommendation() == fdgd.centre().cast<float>());
  CHECK(fdgd.generation() == 1);
  // Had a_k been the L2 norm (~ r sqrt(n) instead of ~ r sqrt(2/pi)), the step would be ~25 times
  // smaller here: far out of tolerance.
  const Eigen::VectorXd l2 = expected_centre(before, x, f, lr, /*mean_abs=*/false);
  CHECK(relative_error(fdgd.centre(), l2, before) > 0.5);

  // The next generation is sampled around the new centre.
  const Population& next = fdgd.ask();
  const Eigen::VectorXd mid = (next.col(0).cast<double>() + next.col(1).cast<double>()) / 2;
  CHECK((mid - fdgd.centre()).cwiseAbs().maxCoeff() < 1e-5);
}

TEST_CASE("FDGD: a pair with a NaN score contributes nothing; all NaN changes nothing") {
  const Index n = 12;
  const double lr = 0.5;
  const Code c = start_centre(n);
  FDGD fdgd(c, {.population_size = 8, .radius = 1.0, .learning_rate = lr, .seed = 2});
  const Population x = fdgd.ask();
  Scores f = xdream::Sphere(n).evaluate(x);
  f[3] = not_a_number;  // pair 1 (its minus sample)
  f[4] = not_a_number;  // pair 2 (its plus sample)
  const Eigen::VectorXd before = c.cast<double>();
  fdgd.tell(f);
  // K = 2: pairs 0 and 3 only.
  CHECK(relative_error(fdgd.centre(), expected_centre(before, x, f, lr), before) < 1e-5);

  const Population shown = fdgd.ask();
  const Eigen::VectorXd centre = fdgd.centre();
  fdgd.tell(Scores::Constant(8, not_a_number));
  CHECK(fdgd.ask() == shown);
  CHECK(fdgd.centre() == centre);
  CHECK(fdgd.generation() == 1);
}

TEST_CASE("FDGD: results do not depend on the thread count") {
  FDGD one(64, {.seed = 9, .threads = 1}), three(64, {.seed = 9, .threads = 3});
  xdream_test::run_side_by_side(one, three, xdream::Sphere(64), 4);
  CHECK(one.centre() == three.centre());
}

TEST_CASE("FDGD climbs a unit-like objective with the paper's settings and a sphere") {
  SUBCASE("UnitLike(64), paper settings, 100 generations (2000 stimuli), from 0") {
    // Seen: 0.78-0.79 of the optimum for seeds 0-2; the test asks for 0.6.
    const xdream::UnitLike unit(64, 3);
    for (std::uint64_t seed : {0u, 1u, 2u}) {
      CHECK(xdream_test::score_after(FDGD(64, {.seed = seed}), unit, 100) >
            0.6 * unit.optimum_value());
    }
  }
  SUBCASE("Sphere(32), r 0.1, lr 0.05, 100 generations: from -32 to above -0.01") {
    // lr 1.25 would overshoot: g estimates (pi/2) grad f = -pi (c - 1) on the sphere.
    const FDGD fdgd(32, {.radius = 0.1, .learning_rate = 0.05, .seed = 5});
    CHECK(xdream_test::score_after(fdgd, xdream::Sphere(32), 100) > -0.01);
  }
}

TEST_CASE("FDGD rejects bad parameters, naming them") {
  using doctest::Contains;
  const auto make = [](FDGDOptions options) { return FDGD(8, options); };
  CHECK_THROWS_WITH_AS(
      make({.population_size = 7}),
      Contains("population_size = 7 is out of range; allowed: an even number >= 2"),
      std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.population_size = 0}), Contains("population_size"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.radius = 0.0}), Contains("radius = 0"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.radius = -1.0}), Contains("radius"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.radius = not_a_number}), Contains("radius"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.learning_rate = 0.0}), Contains("learning_rate = 0"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.learning_rate = -0.5}), Contains("learning_rate"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.threads = 0}), Contains("threads"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(FDGD(0), Contains("code_size"), std::invalid_argument);
  Code bad = Code::Zero(4);
  bad[2] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(FDGD{bad}, std::invalid_argument);

  FDGD fdgd(8);
  CHECK_THROWS_AS(fdgd.restore({.centre = Eigen::VectorXd::Zero(7)}), std::invalid_argument);
  CHECK_THROWS_WITH_AS(fdgd.tell(Scores::Zero(19)), Contains("19 scores"), std::invalid_argument);
}

TEST_CASE("FDGD: the docs/algorithms.md example compiles and runs at n 64") {
  const Index n = 64;
  const xdream::UnitLike unit(n, 3);
  const auto score = [&](const Population& codes) { return unit.evaluate(codes); };
  // From docs/algorithms.md, with 4096 replaced by n:
  xdream::FDGD fdgd(n);  // paper: 10 pairs, r 1.25, lr 1.25, from 0
  for (int g = 0; g < 500; ++g) {
    const xdream::Population& codes = fdgd.ask();  // n x 20: c + d_0, c - d_0, c + d_1, ...
    fdgd.tell(score(codes));                       // larger is better, NaN = no response
  }
  xdream::Code best_guess = fdgd.recommendation();  // the centre
  // From a given centre, with a step for a steeper objective:
  xdream::FDGD small(xdream::Code::Ones(64), {.radius = 0.1, .learning_rate = 0.05, .seed = 7});

  CHECK(unit.evaluate(Population(best_guess))[0] > 0.6 * unit.optimum_value());
  CHECK(small.recommendation() == xdream::Code::Ones(64));
}
