// AnyAlgorithm: forwards every call exactly (a run through it is the bare algorithm's run, bit for
// bit), saves and loads the wrapped algorithm's state under its name, and works in the driver.
#include <xdream/algorithms/cholesky_cmaes.hpp>
#include <xdream/algorithms/cmaes.hpp>
#include <xdream/algorithms/fdgd.hpp>
#include <xdream/algorithms/lm_ma_es.hpp>
#include <xdream/algorithms/nes.hpp>
#include <xdream/algorithms/sep_cmaes.hpp>
#include <xdream/algorithms/sphere_cma.hpp>
#include <xdream/any_algorithm.hpp>
#include <xdream/driver.hpp>
#include <xdream/generators/identity.hpp>
#include <xdream/genetic/genetic.hpp>
#include <xdream/objectives/sphere.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

static_assert(xdream::Algorithm<xdream::AnyAlgorithm>);
static_assert(std::is_nothrow_move_constructible_v<xdream::AnyAlgorithm>);
static_assert(!std::is_copy_constructible_v<xdream::AnyAlgorithm>);
static_assert(!std::is_constructible_v<xdream::AnyAlgorithm, xdream::Index>);

namespace {
constexpr xdream::Index n = 6;

// Runs `bare` and the same algorithm through AnyAlgorithm side by side on the sphere.
template <class A>
void check_forwards_exactly(A bare, A copy, const std::string& name) {
  CAPTURE(name);
  const xdream::Sphere sphere(n);
  xdream::AnyAlgorithm any(std::move(copy));
  CHECK(any.name() == name);
  CHECK(any.code_size() == bare.code_size());
  CHECK(any.population_size() == bare.population_size());
  CHECK(any.checkpointable());
  CHECK(any.target_type() == typeid(A));
  REQUIRE(any.template target<A>() != nullptr);
  if constexpr (!std::is_same_v<A, xdream::NES>)
    CHECK(any.template target<xdream::NES>() == nullptr);
  for (int g = 0; g < 6; ++g) {
    REQUIRE(any.ask() == bare.ask());
    const xdream::Scores scores = sphere.evaluate(bare.ask());
    bare.tell(scores);
    any.tell(scores);
  }
  CHECK(any.ask() == bare.ask());
  if constexpr (xdream::detail::has_recommendation<A>) {
    REQUIRE(any.recommendation().has_value());
    CHECK(*any.recommendation() == bare.recommendation());
  } else {
    CHECK_FALSE(any.recommendation().has_value());
  }

  // save / load through a buffer: a fresh instance continues identically.
  const auto bytes = any.save();
  xdream::AnyAlgorithm fresh{A(bare)};  // another instance, then the saved state
  fresh.load(bytes);
  for (int g = 0; g < 3; ++g) {
    REQUIRE(fresh.ask() == any.ask());
    const xdream::Scores scores = sphere.evaluate(any.ask());
    any.tell(scores);
    fresh.tell(scores);
  }
  CHECK(fresh.ask() == any.ask());
}

template <class Make>
void check_all(Make&& check) {
  check(xdream::Genetic<>(n, {.population_size = 20, .seed = 1}), "genetic");
  check(xdream::CMAES(n, {.population_size = 8, .seed = 2, .decomposition_interval = 3}), "cmaes");
  check(xdream::SepCMAES(n, {.population_size = 8, .seed = 3}), "sep-cmaes");
  check(xdream::CholeskyCMAES(n, {.population_size = 10, .update_interval = 2, .seed = 4}),
        "cholesky-cmaes");
  check(xdream::SphereCMA(
            n, {.radius = 4.0, .population_size = 8, .schedule_generations = 10, .seed = 5}),
        "sphere-cma");
  check(xdream::LMMAES(n, {.population_size = 4, .memory = 3, .seed = 6}), "lm-ma-es");
  check(xdream::FDGD(n, {.population_size = 10, .radius = 0.5, .learning_rate = 0.1, .seed = 7}),
        "fdgd");
  check(xdream::NES(n, {.population_size = 10, .radius = 0.5, .learning_rate = 0.05, .seed = 8}),
        "nes");
}

// A user's algorithm without state()/restore(), with a non-const ask().
struct Fixed {
  xdream::Population codes = xdream::Population::Ones(n, 3);
  int told = 0;
  const xdream::Population& ask() { return codes; }
  void tell(const xdream::Scores&) { ++told; }
  xdream::Index code_size() const { return codes.rows(); }
  xdream::Index population_size() const { return codes.cols(); }
};
}  // namespace

TEST_CASE("AnyAlgorithm forwards every algorithm exactly and saves and loads its state") {
  check_all([](auto algorithm, const std::string& name) {
    auto copy = algorithm;
    check_forwards_exactly(std::move(algorithm), std::move(copy), name);
  });
}

TEST_CASE("AnyAlgorithm refuses another algorithm's state") {
  const xdream::AnyAlgorithm cmaes(xdream::CMAES(n, {.population_size = 8}));
  xdream::AnyAlgorithm genetic{xdream::Genetic<>(n)};
  CHECK_THROWS_WITH_AS(genetic.load(cmaes.save()),
                       doctest::Contains("holds 'cmaes', expected "
                                         "'genetic'"),
                       xdream::io::ArchiveError);
  // Another algorithm: its name tags the state, so the frame itself is refused.
  xdream::AnyAlgorithm other(xdream::SepCMAES(n, {.population_size = 8}));
  CHECK_THROWS_WITH_AS(other.load(cmaes.save()), doctest::Contains("expected 'sep-cmaes'"),
                       xdream::io::ArchiveError);
  // Same algorithm, another code size: the algorithm's restore says so.
  xdream::AnyAlgorithm bigger(xdream::CMAES(n + 1, {.population_size = 8}));
  CHECK_THROWS_AS(bigger.load(cmaes.save()), std::invalid_argument);
}

TEST_CASE("AnyAlgorithm wraps a user's algorithm without state; saving it is a logic_error") {
  xdream::AnyAlgorithm any(Fixed{});
  CHECK(any.ask() == xdream::Population::Ones(n, 3));
  any.tell(xdream::Scores::Zero(3));
  REQUIRE(any.target<Fixed>() != nullptr);
  CHECK(any.target<Fixed>()->told == 1);
  CHECK_FALSE(any.checkpointable());
  CHECK(any.name().empty());
  CHECK_FALSE(any.recommendation().has_value());
  CHECK_THROWS_AS(any.save(), std::logic_error);
}

TEST_CASE("Optimizer<G, O, AnyAlgorithm> gives the bare algorithm's result") {
  const auto budget = xdream::budget::generations(8);
  xdream::Optimizer bare{xdream::IdentityGenerator(n), xdream::Sphere(n),
                         xdream::SepCMAES(n, {.population_size = 8, .seed = 11})};
  xdream::Optimizer<xdream::IdentityGenerator, xdream::Sphere, xdream::AnyAlgorithm> any{
      xdream::IdentityGenerator(n), xdream::Sphere(n),
      xdream::AnyAlgorithm(xdream::SepCMAES(n, {.population_size = 8, .seed = 11}))};
  const xdream::Result a = bare.run(budget), b = any.run(budget);
  CHECK(a.best.code == b.best.code);
  CHECK(a.best.score == b.best.score);
  REQUIRE(a.history.size() == b.history.size());
  for (std::size_t g = 0; g < a.history.size(); ++g) CHECK(a.history[g].best == b.history[g].best);
  CHECK(bare.algorithm().ask() == any.algorithm().ask());
  CHECK(*any.algorithm().recommendation() == bare.algorithm().recommendation());
}
