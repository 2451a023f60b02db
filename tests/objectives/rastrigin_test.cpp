// Rastrigin (include/xdream/objectives/rastrigin.hpp): the maximization form, optimum 0 at its
// centre and a lattice of local optima around it; and its parameter errors.
#include "../support/random_vectors.hpp"

#include <xdream/concepts.hpp>
#include <xdream/objectives/rastrigin.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

namespace {
using xdream::Code;
using xdream::Population;
using xdream::Rastrigin;
using xdream::Scores;
using xdream_test::column;
using xdream_test::perturbed;

static_assert(xdream::Objective<Rastrigin, Population>);

TEST_CASE("Rastrigin is maximal at its optimum and smaller nearby") {
  const Rastrigin rastrigin(12);
  CHECK(rastrigin.dimension() == 12);
  CHECK(rastrigin.evaluate(column(rastrigin.optimum()))[0] ==
        doctest::Approx(Rastrigin::optimum_value()));
  for (float radius : {0.01f, 0.3f, 2.0f}) {
    CAPTURE(radius);
    const Scores near = rastrigin.evaluate(perturbed(rastrigin.optimum(), radius, 200, 3));
    CHECK((near.array() < Rastrigin::optimum_value()).all());
  }
  // One coordinate half-way between lattice points: y = 0.5 gives 0.25 + 10, the others 0 - 10:
  // f = -(10 n + 10.25 - 10 (n - 1)) = -20.25.
  Code x = rastrigin.optimum();
  x[4] += 0.5f;
  CHECK(rastrigin.evaluate(column(x))[0] == doctest::Approx(-20.25));
}

TEST_CASE(
    "Rastrigin rejects a bad dimension, a non-finite centre and stimuli of the wrong dimension") {
  CHECK_THROWS_WITH_AS(Rastrigin(0), doctest::Contains("dimension"), std::invalid_argument);
  const xdream::Population wrong = xdream::Population::Zero(64, 3);
  CHECK_THROWS_WITH_AS(xdream::Rastrigin(32).evaluate(wrong), doctest::Contains("dimension 32"),
                       std::invalid_argument);
  CHECK_THROWS_AS(xdream::Rastrigin(4, INFINITY), std::invalid_argument);
}
}  // namespace
