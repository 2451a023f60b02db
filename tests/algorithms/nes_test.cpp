// NES (include/xdream/algorithms/nes.hpp): the Algorithm battery, one step (centre and radius)
// against the rule recomputed here from the samples ask() returned, the r_min floor, the NaN
// rule, convergence and parameter errors.
#include "../support/algorithm_runs.hpp"
#include "../support/conformance.hpp"

#include <xdream/algorithms/nes.hpp>
#include <xdream/objectives/sphere.hpp>
#include <xdream/objectives/unit_like.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>

namespace {
using xdream::Code;
using xdream::Index;
using xdream::NES;
using xdream::NESOptions;
using xdream::Population;
using xdream::Scores;

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

// z_k = (x+_k - x-_k) / (2 r), from the samples as floats: exact up to their rounding.
Eigen::VectorXd direction(const Population& x, Index k, double radius) {
  return (x.col(2 * k).cast<double>() - x.col(2 * k + 1).cast<double>()) / (2.0 * radius);
}

struct Step {
  Eigen::VectorXd centre;
  double radius;
};

// The documented rule over all 2K samples i with directions u_i (+z_k, -z_k), valid pairs only:
//   g = mean_i(f_i u_i) / r,  c' = c + lr g,
//   r' = max(r + rho mean_i(f_i (mean_j u_ij^2 - 1)) / r, r_min).
Step expected_step(const Eigen::VectorXd& centre, double radius, const Population& x,
                   const Scores& f, const NESOptions& o) {
  const Index n = centre.size();
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(n);
  double radius_sum = 0.0;
  int samples = 0;
  for (Index k = 0; k < x.cols() / 2; ++k) {
    if (std::isnan(f[2 * k]) || std::isnan(f[2 * k + 1])) continue;
    const Eigen::VectorXd z = direction(x, k, radius);
    for (const auto& [score, u] :
         {std::pair{f[2 * k], Eigen::VectorXd(z)}, std::pair{f[2 * k + 1], Eigen::VectorXd(-z)}}) {
      ++samples;
      sum += score * u;
      radius_sum += score * (u.array().square().mean() - 1.0);
    }
  }
  const Eigen::VectorXd g = sum / samples / radius;
  double r = radius;
  if (o.radius_learning_rate > 0) {
    r = std::max(radius + o.radius_learning_rate * radius_sum / samples / radius, o.min_radius);
  }
  return {centre + o.learning_rate * g, r};
}

double relative_error(const Eigen::VectorXd& actual, const Eigen::VectorXd& expected,
                      const Eigen::VectorXd& before) {
  const double scale = (expected - before).cwiseAbs().maxCoeff() + before.cwiseAbs().maxCoeff();
  return (actual - expected).cwiseAbs().maxCoeff() / scale;
}

// Scores of no particular structure, positive and negative (the radius rule uses raw scores).
Scores some_scores(Index count) {
  Scores f(count);
  for (Index i = 0; i < count; ++i) f[i] = 3.0 * std::sin(1.7 * static_cast<double>(i) + 0.3);
  return f;
}

Code start_centre(Index n) { return Code::LinSpaced(n, -1.0f, 2.0f); }
}  // namespace

TEST_CASE("NES conforms to the Algorithm battery") {
  xdream_test::check_algorithm_conformance(
      [](std::uint64_t seed) { return NES(8, {.population_size = 6, .seed = seed}); });
}

TEST_CASE("NES conforms to the Algorithm battery without radius learning") {
  xdream_test::check_algorithm_conformance([](std::uint64_t seed) {
    return NES(8, {.population_size = 6, .radius_learning_rate = 0.0, .seed = seed});
  });
}

TEST_CASE("NES defaults are the paper's") {
  const NES nes(16);
  CHECK(nes.population_size() == 20);
  CHECK(nes.radius() == 1.25);
  CHECK(nes.options().learning_rate == 1.75);
  CHECK(nes.options().radius_learning_rate == 0.05);
  CHECK(nes.options().min_radius == 0.01);
  CHECK(nes.centre().isZero());
}

TEST_CASE("NES: one step of the centre and the radius is the documented rule") {
  const Index n = 16;
  const NESOptions options{.population_size = 10,
                           .radius = 0.9,
                           .learning_rate = 0.4,
                           .radius_learning_rate = 0.3,
                           .seed = 21};
  const Code c = start_centre(n);
  NES nes(c, options);
  for (int generation = 0; generation < 3; ++generation) {
    CAPTURE(generation);
    const Population x = nes.ask();
    const Eigen::VectorXd centre = nes.centre();
    const double radius = nes.radius();
    const Scores f = some_scores(10);
    nes.tell(f);
    const Step expected = expected_step(centre, radius, x, f, options);
    CHECK(relative_error(nes.centre(), expected.centre, centre) < 1e-5);
    CHECK(nes.radius() == doctest::Approx(expected.radius).epsilon(1e-6));
    CHECK(nes.radius() != radius);  // the radius did move
  }
  CHECK(nes.generation() == 3);
  CHECK((nes.recommendation().cast<double>() - nes.centre()).cwiseAbs().maxCoeff() < 1e-5);
}

TEST_CASE("NES: the sample spread follows the radius, floored at r_min") {
  const Index n = 32;
  const NESOptions options{.population_size = 8,
                           .radius = 0.5,
                           .learning_rate = 0.1,
                           .radius_learning_rate = 100.0,
                           .min_radius = 0.02,
                           .seed = 3};
  NES nes(n, options);
  const Population x = nes.ask();
  // f = -(mean_j z^2 - 1) * 1000 per pair: the radius step is large and negative.
  Scores f(8);
  for (Index k = 0; k < 4; ++k) {
    const double q = direction(x, k, 0.5).array().square().mean() - 1.0;
    f[2 * k] = f[2 * k + 1] = -1000.0 * q;
  }
  nes.tell(f);
  CHECK(nes.radius() == options.min_radius);
  // The next samples are c +/- r_min z_k.
  const Population& next = nes.ask();
  for (Index k = 0; k < 4; ++k) {
    const Eigen::VectorXd d =
        (next.col(2 * k).cast<double>() - next.col(2 * k + 1).cast<double>()) / 2;
    const double rms = std::sqrt(d.array().square().mean());
    CHECK(rms > 0.3 * options.min_radius);  // rms of 32 N(0, r^2) draws: r (1 +- 0.5) at 4 sigma
    CHECK(rms < 1.7 * options.min_radius);
  }

  SUBCASE("rho = 0 keeps the radius, even below r_min") {
    NES fixed(n, {.radius = 0.005, .radius_learning_rate = 0.0, .min_radius = 0.01});
    fixed.tell(some_scores(20));
    CHECK(fixed.radius() == 0.005);
  }
}

TEST_CASE("NES: a pair with a NaN score contributes nothing; all NaN changes nothing") {
  const Index n = 12;
  const NESOptions options{.population_size = 8,
                           .radius = 1.1,
                           .learning_rate = 0.5,
                           .radius_learning_rate = 0.2,
                           .seed = 8};
  NES nes(start_centre(n), options);
  const Population x = nes.ask();
  const Eigen::VectorXd centre = nes.centre();
  Scores f = some_scores(8);
  f[0] = not_a_number;  // pair 0
  f[5] = not_a_number;  // pair 2
  nes.tell(f);
  const Step expected = expected_step(centre, 1.1, x, f, options);
  CHECK(relative_error(nes.centre(), expected.centre, centre) < 1e-5);
  CHECK(nes.radius() == doctest::Approx(expected.radius).epsilon(1e-6));

  const Population shown = nes.ask();
  const Eigen::VectorXd kept = nes.centre();
  const double radius = nes.radius();
  nes.tell(Scores::Constant(8, not_a_number));
  CHECK(nes.ask() == shown);
  CHECK(nes.centre() == kept);
  CHECK(nes.radius() == radius);
  CHECK(nes.generation() == 1);
}

TEST_CASE("NES: results do not depend on the thread count") {
  NES one(64, {.seed = 9, .threads = 1}), three(64, {.seed = 9, .threads = 3});
  xdream_test::run_side_by_side(one, three, xdream::UnitLike(64, 1), 4);
  CHECK(one.centre() == three.centre());
  CHECK(one.radius() == three.radius());
}

TEST_CASE("NES climbs a unit-like objective with the paper's settings and a sphere") {
  SUBCASE("UnitLike(64), paper settings, 100 generations (2000 stimuli), from 0") {
    // Seen: 0.88-0.91 of the optimum for seeds 0-2; the test asks for 0.75.
    const xdream::UnitLike unit(64, 3);
    for (std::uint64_t seed : {0u, 1u, 2u}) {
      CHECK(xdream_test::score_after(NES(64, {.seed = seed}), unit, 100) >
            0.75 * unit.optimum_value());
    }
  }
  SUBCASE("Sphere(32), r 0.1, lr 0.1, 100 generations: from -32 to above -0.01") {
    // lr 1.75 would overshoot: g estimates grad f = -2 (c - 1) on the sphere.
    const NES nes(32, {.radius = 0.1, .learning_rate = 0.1, .seed = 5});
    CHECK(xdream_test::score_after(nes, xdream::Sphere(32), 100) > -0.01);
  }
}

TEST_CASE("NES rejects bad parameters, naming them") {
  using doctest::Contains;
  const auto make = [](NESOptions options) { return NES(8, options); };
  CHECK_THROWS_WITH_AS(
      make({.population_size = 5}),
      Contains("population_size = 5 is out of range; allowed: an even number >= 2"),
      std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.radius = 0.0}), Contains("radius = 0"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.radius = -2.0}), Contains("radius"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.learning_rate = 0.0}), Contains("learning_rate = 0"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.radius_learning_rate = -0.1}),
                       Contains("radius_learning_rate = -0.1"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.radius_learning_rate = not_a_number}),
                       Contains("radius_learning_rate"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.min_radius = 0.0}), Contains("min_radius = 0"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.min_radius = -1.0}), Contains("min_radius"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(make({.radius = 0.005}), Contains(">= min_radius"), std::invalid_argument);
  CHECK_NOTHROW(make({.radius = 0.005, .radius_learning_rate = 0.0}));
  CHECK_THROWS_WITH_AS(make({.threads = 0}), Contains("threads"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(NES(0), Contains("code_size"), std::invalid_argument);

  NES nes(8);
  CHECK_THROWS_AS(nes.restore({.centre = Eigen::VectorXd::Zero(8), .radius = 0.0}),
                  std::invalid_argument);
  CHECK_THROWS_AS(nes.restore({.centre = Eigen::VectorXd::Zero(9)}), std::invalid_argument);
}

TEST_CASE("NES: the docs/algorithms.md example compiles and runs at n 64") {
  const Index n = 64;
  const xdream::UnitLike unit(n, 3);
  const auto score = [&](const Population& codes) { return unit.evaluate(codes); };
  // From docs/algorithms.md, with 4096 replaced by n:
  xdream::NES nes(n);  // paper: 10 pairs, r 1.25, lr 1.75, rho 0.05
  for (int g = 0; g < 500; ++g) {
    const xdream::Population& codes = nes.ask();  // n x 20: c + r z_0, c - r z_0, ...
    nes.tell(score(codes));
  }
  xdream::Code best_guess = nes.recommendation();  // the centre
  double radius = nes.radius();                    // the learned r
  // A fixed radius, from a given centre:
  xdream::NES fixed(xdream::Code::Ones(64),
                    {.radius = 0.1, .learning_rate = 0.1, .radius_learning_rate = 0.0, .seed = 7});

  // Seen: 0.59 of the optimum after 500 generations (0.97 at 200: the learned radius swings on
  // raw scores; docs/algorithms.md, NES, "What to expect").
  CHECK(unit.evaluate(Population(best_guess))[0] > 0.5 * unit.optimum_value());
  CHECK(radius >= nes.options().min_radius);
  CHECK(fixed.radius() == 0.1);
}
