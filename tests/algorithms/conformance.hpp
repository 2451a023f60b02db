#pragma once
// One battery every Algorithm model passes (style: Boost.Random's reused conformance suites).
// Usage in a test file:
//   TEST_CASE("SepCMAES conforms") {
//     xdream_test::check_algorithm_conformance([](std::uint64_t seed) {
//       return xdream::SepCMAES(8, {.population_size = 6, .seed = seed}); });
//   }
// The factory builds the algorithm from a seed; everything else is fixed.

#include <xdream/concepts.hpp>
#include <xdream/objectives/sphere.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace xdream_test {

template <class Factory>
void check_algorithm_conformance(Factory make) {
  using A = decltype(make(std::uint64_t{1}));
  static_assert(xdream::Algorithm<A>);
  const xdream::Sphere sphere(make(1).code_size());

  SUBCASE("ask has code_size rows and population_size finite columns") {
    A a = make(1);
    CHECK(a.ask().rows() == a.code_size());
    CHECK(a.ask().cols() == a.population_size());
    CHECK(a.ask().allFinite());
  }
  SUBCASE("tell rejects a wrong count and infinite scores") {
    A a = make(1);
    const xdream::Index n = a.population_size();
    CHECK_THROWS_AS(a.tell(xdream::Scores::Zero(n + 1)), std::invalid_argument);
    xdream::Scores s = sphere.evaluate(a.ask());
    s[0] = std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(a.tell(s), std::invalid_argument);
    s[0] = -std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(a.tell(s), std::invalid_argument);
  }
  SUBCASE("same seed gives the same run, another seed another run") {
    A a = make(7), b = make(7), c = make(8);
    for (int g = 0; g < 5; ++g) {
      REQUIRE(a.ask() == b.ask());
      a.tell(sphere.evaluate(a.ask()));
      b.tell(sphere.evaluate(b.ask()));
      c.tell(sphere.evaluate(c.ask()));
    }
    CHECK(a.ask() == b.ask());
    CHECK(a.recommendation() == b.recommendation());
    CHECK(a.ask() != c.ask());
  }
  SUBCASE("NaN scores are handled: some NaN, and all NaN") {
    A a = make(3);
    xdream::Scores s = sphere.evaluate(a.ask());
    s[0] = std::numeric_limits<double>::quiet_NaN();
    a.tell(s);
    CHECK(a.ask().allFinite());
    const xdream::Scores all_nan =
        xdream::Scores::Constant(a.population_size(), std::numeric_limits<double>::quiet_NaN());
    a.tell(all_nan);
    CHECK(a.ask().allFinite());
    CHECK(a.recommendation().allFinite());
  }
  SUBCASE("recommendation is a finite code") {
    A a = make(2);
    for (int g = 0; g < 3; ++g) a.tell(sphere.evaluate(a.ask()));
    CHECK(a.recommendation().size() == a.code_size());
    CHECK(a.recommendation().allFinite());
  }
  SUBCASE("state/restore continues bit-identically") {
    A a = make(5);
    for (int g = 0; g < 3; ++g) a.tell(sphere.evaluate(a.ask()));
    A b = make(5);  // a fresh instance, then the saved state
    b.restore(a.state());
    for (int g = 0; g < 3; ++g) {
      REQUIRE(a.ask() == b.ask());
      a.tell(sphere.evaluate(a.ask()));
      b.tell(sphere.evaluate(b.ask()));
    }
    CHECK(a.ask() == b.ask());
  }
}

}  // namespace xdream_test
