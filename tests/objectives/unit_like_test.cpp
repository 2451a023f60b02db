// UnitLike (include/xdream/objectives/unit_like.hpp): a rectified linear filter with norm tuning,
// its known optimum, its seed, and its parameter errors.
#include "../support/random_vectors.hpp"

#include <xdream/concepts.hpp>
#include <xdream/objectives/unit_like.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

namespace {
using xdream::Code;
using xdream::Population;
using xdream::Scores;
using xdream::UnitLike;
using xdream_test::column;
using xdream_test::perturbed;

static_assert(xdream::Objective<UnitLike, Population>);

TEST_CASE("UnitLike is maximal at its optimum and smaller nearby") {
  const UnitLike unit(32, 7);
  CHECK(unit.dimension() == 32);
  CHECK(unit.direction().norm() == doctest::Approx(1.0));
  // The code is rounded to float: its value agrees with the double optimum to float precision.
  CHECK(unit.evaluate(column(unit.optimum()))[0] ==
        doctest::Approx(unit.optimum_value()).epsilon(1e-6));
  CHECK(unit.optimum().cast<double>().norm() == doctest::Approx(unit.optimum_norm()).epsilon(1e-6));
  const float r = static_cast<float>(unit.optimum_norm());
  const Scores near = unit.evaluate(perturbed(unit.optimum(), 0.01f * r, 200, 4));
  CHECK((near.array() < unit.optimum_value()).all());
  // Along the preferred direction, at other norms: smaller.
  for (double factor : {0.8, 0.95, 1.05, 1.25}) {
    CAPTURE(factor);
    const Code x = (factor * unit.optimum_norm() * unit.direction()).cast<float>();
    CHECK(unit.evaluate(column(x))[0] < unit.optimum_value());
  }
  // Rectified: nothing against the preferred direction.
  CHECK(unit.evaluate(column(-unit.optimum()))[0] == 0.0);
  // The seed draws the direction.
  CHECK(UnitLike(32, 7).direction() == unit.direction());
  CHECK(UnitLike(32, 8).direction() != unit.direction());
}

TEST_CASE("UnitLike's optimum follows its preferred norm and width") {
  // r* = (r0 + sqrt(r0^2 + 4 s^2)) / 2 maximizes r exp(-(r - r0)^2 / (2 s^2)): r0 = 3, s = 2
  // gives r* = (3 + 5) / 2 = 4.
  const UnitLike unit(5, 1, 3.0, 2.0);
  CHECK(unit.optimum_norm() == doctest::Approx(4.0));
  CHECK(unit.optimum_value() == doctest::Approx(4.0 * std::exp(-1.0 / 8.0)));
}

TEST_CASE("UnitLike rejects a bad dimension, norm parameters and stimuli of the wrong dimension") {
  CHECK_THROWS_WITH_AS(UnitLike(0), doctest::Contains("dimension"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(UnitLike(4, 0, 0.0), doctest::Contains("preferred_norm"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(UnitLike(4, 0, 2.0, 0.0), doctest::Contains("norm_width"),
                       std::invalid_argument);
  const xdream::Population wrong = xdream::Population::Zero(64, 3);
  CHECK_THROWS_WITH_AS(xdream::UnitLike(32).evaluate(wrong), doctest::Contains("dimension 32"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(xdream::UnitLike(8, 0, -5.0), doctest::Contains("preferred_norm"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(xdream::UnitLike(8, 0, 3.0, -3.0), doctest::Contains("norm_width"),
                       std::invalid_argument);
}
}  // namespace
