// Sphere (include/xdream/objectives/sphere.hpp): f(x) = -|x - c|^2, maximal at its centre; and
// its parameter errors.
#include "../support/random_vectors.hpp"

#include <xdream/concepts.hpp>
#include <xdream/objectives/sphere.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

namespace {
using xdream::Code;
using xdream::Population;
using xdream::Scores;
using xdream::Sphere;
using xdream_test::column;
using xdream_test::perturbed;

static_assert(xdream::Objective<Sphere, Population>);

TEST_CASE("Sphere is maximal at its optimum and smaller nearby") {
  const Sphere sphere(10);
  CHECK(sphere.dimension() == 10);
  CHECK(sphere.optimum() == Code::Ones(10));
  CHECK(sphere.evaluate(column(sphere.optimum()))[0] == Sphere::optimum_value());
  // f(x) = -|x - c|^2: at the origin, -10; at distance r, -r^2.
  CHECK(sphere.evaluate(column(Code::Zero(10)))[0] == doctest::Approx(-10.0));
  const Scores near = sphere.evaluate(perturbed(sphere.optimum(), 0.1f, 200, 1));
  CHECK((near.array() < Sphere::optimum_value()).all());
  CHECK(near.maxCoeff() == doctest::Approx(-0.01).epsilon(1e-4));
  CHECK(near.minCoeff() == doctest::Approx(-0.01).epsilon(1e-4));

  Code centre(3);
  centre << 2.0f, -1.0f, 0.5f;
  const Sphere shifted(centre);
  CHECK(shifted.optimum() == centre);
  CHECK(shifted.evaluate(column(centre))[0] == 0.0);
  CHECK((shifted.evaluate(perturbed(centre, 0.05f, 100, 2)).array() < 0.0).all());
}

TEST_CASE(
    "Sphere rejects a bad dimension, a non-finite centre and stimuli of the wrong dimension") {
  CHECK_THROWS_WITH_AS(Sphere(0), doctest::Contains("dimension"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(Sphere{Code{}}, doctest::Contains("dimension"), std::invalid_argument);
  const xdream::Population wrong = xdream::Population::Zero(64, 3);
  CHECK_THROWS_WITH_AS(xdream::Sphere(32).evaluate(wrong), doctest::Contains("dimension 32"),
                       std::invalid_argument);
  CHECK_THROWS_AS(xdream::Sphere(4, std::nanf("")), std::invalid_argument);
}
}  // namespace
