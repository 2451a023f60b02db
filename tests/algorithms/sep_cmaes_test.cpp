#include "conformance.hpp"

#include <xdream/algorithms/sep_cmaes.hpp>

TEST_CASE("SepCMAES conforms to the Algorithm battery") {
  xdream_test::check_algorithm_conformance(
      [](std::uint64_t seed) { return xdream::SepCMAES(8, {.population_size = 6, .seed = seed}); });
}
