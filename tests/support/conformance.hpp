#pragma once
// One battery every Algorithm model passes (style: Boost.Random's reused conformance suites): the
// library's algorithms, xdream::Genetic<> and xdream::AnyAlgorithm around any of them.
// Usage in a test file:
//   TEST_CASE("SepCMAES conforms") {
//     xdream_test::check_algorithm_conformance([](std::uint64_t seed) {
//       return xdream::SepCMAES(8, {.population_size = 6, .seed = seed}); });
//   }
// The factory builds the algorithm from a seed; everything else is fixed. What goes beyond the
// Algorithm concept is checked where the type has it: the recommendation (a Code, or
// AnyAlgorithm's std::optional<Code> when the wrapped algorithm has one), `state()` and
// `restore(state)`, and `save`/`load` (Checkpointable; for AnyAlgorithm, when the wrapped
// algorithm is).

#include "algorithm_runs.hpp"

#include <xdream/concepts.hpp>
#include <xdream/io/encoding.hpp>
#include <xdream/objectives/sphere.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>

namespace xdream_test {

namespace conformance_detail {

template <class A>
concept has_state = requires(A& a, const A& c) {
  a.restore(c.state());
};

// The recommendation as an optional code: always one for an algorithm whose recommendation() is
// a Code; none for one without recommendation() (Genetic), or AnyAlgorithm around such a one.
template <class A>
std::optional<xdream::Code> recommendation_of(const A& a) {
  if constexpr (requires { a.recommendation(); }) {
    return std::optional<xdream::Code>(a.recommendation());
  } else {
    return std::nullopt;
  }
}

// Whether a Checkpointable `a` can be saved and loaded: always, but for AnyAlgorithm (whose
// members always exist) only when the wrapped algorithm is Checkpointable.
template <class A>
bool can_save(const A& a) {
  if constexpr (requires { a.checkpointable(); }) {
    return a.checkpointable();
  } else {
    return true;
  }
}

}  // namespace conformance_detail

template <class Factory>
void check_algorithm_conformance(Factory make) {
  using A = decltype(make(std::uint64_t{1}));
  using conformance_detail::recommendation_of;
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
    CHECK(recommendation_of(a) == recommendation_of(b));
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
    if (const auto r = recommendation_of(a)) CHECK(r->allFinite());
  }
  SUBCASE("recommendation is a finite code") {
    A a = make(2);
    for (int g = 0; g < 3; ++g) a.tell(sphere.evaluate(a.ask()));
    if (const auto r = recommendation_of(a)) {
      CHECK(r->size() == a.code_size());
      CHECK(r->allFinite());
    }
  }
  if constexpr (conformance_detail::has_state<A>) {
    SUBCASE("state/restore continues bit-identically") {
      A a = make(5);
      for (int g = 0; g < 3; ++g) a.tell(sphere.evaluate(a.ask()));
      A b = make(5);  // a fresh instance, then the saved state
      b.restore(a.state());
      run_side_by_side(a, b, sphere, 3);
      CHECK(a.ask() == b.ask());
    }
  }
  if constexpr (xdream::Checkpointable<A>) {
    if (conformance_detail::can_save(make(5))) {
      SUBCASE("save/load continues bit-identically") {
        A a = make(5);
        for (int g = 0; g < 3; ++g) a.tell(sphere.evaluate(a.ask()));
        xdream::io::ArchiveWriter out;
        a.save(out);
        A b = make(5);  // a fresh instance, then the saved bytes
        xdream::io::ArchiveReader in(out.bytes());
        b.load(in);
        in.finish();
        run_side_by_side(a, b, sphere, 3);
        CHECK(a.ask() == b.ask());
        CHECK(recommendation_of(a) == recommendation_of(b));
      }
    }
  }
}

}  // namespace xdream_test
