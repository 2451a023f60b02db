// The Algorithm battery (tests/support/conformance.hpp) on the algorithms not tested beside it:
// XDream's genetic algorithm, and AnyAlgorithm around each algorithm of the library (its runs are
// the wrapped algorithm's; it saves and loads through the wrapped algorithm's checkpoints).
#include "../support/conformance.hpp"

#include <xdream/algorithms/cholesky_cmaes.hpp>
#include <xdream/algorithms/cmaes.hpp>
#include <xdream/algorithms/fdgd.hpp>
#include <xdream/algorithms/lm_ma_es.hpp>
#include <xdream/algorithms/nes.hpp>
#include <xdream/algorithms/sep_cmaes.hpp>
#include <xdream/algorithms/sphere_cma.hpp>
#include <xdream/any_algorithm.hpp>
#include <xdream/genetic/genetic.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <type_traits>

namespace {
using xdream::AnyAlgorithm;

static_assert(!std::is_copy_constructible_v<AnyAlgorithm>);
static_assert(std::is_nothrow_move_constructible_v<AnyAlgorithm>);
static_assert(xdream::Checkpointable<AnyAlgorithm>);

// The library's algorithms at code size 8, the population they are tested with beside them.
xdream::Genetic<> genetic(std::uint64_t seed) {
  return xdream::Genetic<>(8, {.population_size = 6, .seed = seed});
}
}  // namespace

TEST_CASE("Genetic<> conforms to the Algorithm battery") {
  xdream_test::check_algorithm_conformance(genetic);
}

TEST_CASE("AnyAlgorithm conforms to the Algorithm battery around every algorithm") {
  using xdream_test::check_algorithm_conformance;
  SUBCASE("Genetic<> (no recommendation)") {
    check_algorithm_conformance([](std::uint64_t seed) { return AnyAlgorithm(genetic(seed)); });
  }
  SUBCASE("CMAES") {
    check_algorithm_conformance([](std::uint64_t seed) {
      return AnyAlgorithm(
          xdream::CMAES(8, {.population_size = 6, .seed = seed, .decomposition_interval = 2}));
    });
  }
  SUBCASE("SepCMAES") {
    check_algorithm_conformance([](std::uint64_t seed) {
      return AnyAlgorithm(xdream::SepCMAES(8, {.population_size = 6, .seed = seed}));
    });
  }
  SUBCASE("CholeskyCMAES") {
    check_algorithm_conformance([](std::uint64_t seed) {
      return AnyAlgorithm(
          xdream::CholeskyCMAES(8, {.population_size = 6, .update_interval = 2, .seed = seed}));
    });
  }
  SUBCASE("LMMAES") {
    check_algorithm_conformance([](std::uint64_t seed) {
      return AnyAlgorithm(xdream::LMMAES(8, {.population_size = 6, .memory = 3, .seed = seed}));
    });
  }
  SUBCASE("SphereCMA") {
    check_algorithm_conformance([](std::uint64_t seed) {
      return AnyAlgorithm(
          xdream::SphereCMA(8, {.radius = 5.0, .population_size = 6, .seed = seed}));
    });
  }
  SUBCASE("FDGD") {
    check_algorithm_conformance([](std::uint64_t seed) {
      return AnyAlgorithm(xdream::FDGD(8, {.population_size = 6, .seed = seed}));
    });
  }
  SUBCASE("NES") {
    check_algorithm_conformance([](std::uint64_t seed) {
      return AnyAlgorithm(xdream::NES(8, {.population_size = 6, .seed = seed}));
    });
  }
}

TEST_CASE("AnyAlgorithm: the battery's optional parts follow the wrapped algorithm") {
  const AnyAlgorithm ga(genetic(1));
  CHECK_FALSE(ga.recommendation().has_value());
  CHECK(ga.checkpointable());
  const AnyAlgorithm cma(xdream::SepCMAES(8, {.population_size = 6, .seed = 1}));
  REQUIRE(cma.recommendation().has_value());
  CHECK(cma.recommendation()->size() == 8);
  CHECK(cma.checkpointable());
}
