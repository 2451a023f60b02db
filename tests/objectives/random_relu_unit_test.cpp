// RandomReluUnit: a random two-layer ReLU network read on the direction, times a contrast function.
#include "../support/random_vectors.hpp"

#include <xdream/concepts.hpp>
#include <xdream/objectives/angle_contrast_unit.hpp>
#include <xdream/objectives/random_relu_unit.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

namespace {
using xdream::Index;
using xdream::Population;
using xdream::RandomReluUnit;

static_assert(xdream::Objective<RandomReluUnit, Population>);

using xdream_test::gaussian;

double reference(const RandomReluUnit& unit, const Eigen::VectorXd& x) {
  const double r = x.norm();
  if (r == 0.0) return 0.0;
  double net = 0.0;
  for (Index j = 0; j < unit.filters().cols(); ++j) {
    net += unit.output_weights()[j] * std::max(0.0, unit.filters().col(j).dot(x) / r);
  }
  return 100.0 * std::max(0.0, net) * r * r / (r * r + 150.0 * 150.0);
}
}  // namespace

TEST_CASE("RandomReluUnit computes A relu(a . relu(W x / |x|)) g(|x|), non-negative") {
  const Index n = 96;
  const RandomReluUnit unit(n, 2, {.hidden_units = 10});
  CHECK(unit.filters().cols() == 10);
  CHECK(unit.filters().colwise().norm().minCoeff() == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(unit.output_weights().cwiseMax(0.0).norm() == doctest::Approx(1.0).epsilon(1e-12));
  Population codes(n, 200);
  for (Index j = 0; j < codes.cols(); ++j) {
    codes.col(j) =
        (gaussian(n, 900 + static_cast<std::uint64_t>(j)) * (1.0 + 3.0 * j)).cast<float>();
  }
  const xdream::Scores s = unit.evaluate(codes);
  int positive = 0;
  for (Index j = 0; j < s.size(); ++j) {
    CHECK(s[j] == doctest::Approx(reference(unit, codes.col(j).cast<double>())).epsilon(1e-9));
    CHECK(s[j] >= 0.0);
    positive += s[j] > 0.0;
  }
  CHECK(positive > 10);
  CHECK(positive < 200);  // the output rectification is reached too
  CHECK(unit.evaluate(Population::Zero(n, 1))[0] == 0.0);
}

TEST_CASE(
    "RandomReluUnit: scaling a code changes the response only through the contrast function") {
  const Index n = 80;
  const RandomReluUnit unit(n, 8);
  const xdream::NakaRushton g{150.0, 2.0};
  for (std::uint64_t t = 0; t < 50; ++t) {
    const Eigen::VectorXd x = 50.0 * gaussian(n, 40 + t);
    Population codes(n, 2);
    codes.col(0) = x.cast<float>();
    codes.col(1) = (4.0 * x).cast<float>();
    const xdream::Scores s = unit.evaluate(codes);
    const double r = codes.col(0).cast<double>().norm();
    CHECK(s[1] == doctest::Approx(s[0] * g(4.0 * r) / g(r)).epsilon(1e-5));
  }
}

TEST_CASE("RandomReluUnit with one excitatory hidden unit is an AngleContrastUnit with p = 1") {
  // h = 1 with a positive output weight: f = A max(0, cos(x, w_1)) g(|x|).
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const RandomReluUnit unit(50, seed, {.hidden_units = 1});
    if (unit.output_weights()[0] <= 0.0) continue;
    CHECK(unit.output_weights()[0] == doctest::Approx(1.0));
    const xdream::AngleContrastUnit same(50, 0, {.angle_exponent = 1.0});
    for (std::uint64_t t = 0; t < 10; ++t) {
      const Eigen::VectorXd x = 30.0 * gaussian(50, 70 + t);
      Population codes(50, 1);
      codes.col(0) = x.cast<float>();
      const double cosine = unit.filters().col(0).dot(codes.col(0).cast<double>()) /
                            codes.col(0).cast<double>().norm();
      CHECK(
          unit.evaluate(codes)[0] ==
          doctest::Approx(same.response(cosine, codes.col(0).cast<double>().norm())).epsilon(1e-9));
    }
    return;
  }
  FAIL("no seed in 0..19 gave a positive output weight");
}

TEST_CASE("RandomReluUnit is determined by its seed") {
  const RandomReluUnit a(100, 31), b(100, 31), c(100, 32);
  CHECK(a.filters() == b.filters());
  CHECK(a.output_weights() == b.output_weights());
  CHECK(a.filters() != c.filters());
}

TEST_CASE("RandomReluUnit rejects bad parameters at construction") {
  CHECK_THROWS_AS(RandomReluUnit(0), std::invalid_argument);
  CHECK_THROWS_WITH_AS(RandomReluUnit(8, 0, {.hidden_units = 0}),
                       doctest::Contains("hidden_units = 0"), std::invalid_argument);
  CHECK_THROWS_AS(RandomReluUnit(8, 0, {.amplitude = 0.0}), std::invalid_argument);
  CHECK_THROWS_AS(RandomReluUnit(8, 0, {.half_saturation_norm = -3.0}), std::invalid_argument);
  CHECK_THROWS_AS(RandomReluUnit(8, 0, {.contrast_exponent = 0.0}), std::invalid_argument);
}
