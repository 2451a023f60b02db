// Random streams (include/xdream/random.hpp): the properties every reproducibility claim rests on.
#include <xdream/random.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

namespace {
using xdream::Purpose;

TEST_CASE("stream_seed gives distinct seeds to distinct generations") {
  std::set<std::uint64_t> seeds;
  for (std::uint64_t generation = 0; generation < 1000; ++generation) {
    seeds.insert(xdream::stream_seed(7, generation, 0, Purpose::breed));
  }
  CHECK(seeds.size() == 1000);
}

TEST_CASE("stream_seed separates every coordinate") {
  const std::uint64_t base = xdream::stream_seed(7, 3, 5, Purpose::breed);
  CHECK(xdream::stream_seed(8, 3, 5, Purpose::breed) != base);
  CHECK(xdream::stream_seed(7, 4, 5, Purpose::breed) != base);
  CHECK(xdream::stream_seed(7, 3, 6, Purpose::breed) != base);
  CHECK(xdream::stream_seed(7, 3, 5, Purpose::noise) != base);
  // Swapping generation and individual must not give the same stream.
  CHECK(xdream::stream_seed(7, 5, 3, Purpose::breed) != base);
}

TEST_CASE("make_stream with the same coordinates gives identical draws") {
  xdream::Engine first = xdream::make_stream(42, 2, 9, Purpose::sample);
  xdream::Engine second = xdream::make_stream(42, 2, 9, Purpose::sample);
  for (int draw = 0; draw < 100; ++draw) {
    REQUIRE(first() == second());
  }
}

TEST_CASE("make_stream with different generations gives different draws") {
  xdream::Engine first = xdream::make_stream(42, 2, 9, Purpose::sample);
  xdream::Engine second = xdream::make_stream(42, 3, 9, Purpose::sample);
  int equal = 0;
  for (int draw = 0; draw < 100; ++draw) {
    equal += first() == second() ? 1 : 0;
  }
  // Two unrelated 64-bit streams agree on a draw with probability 2^-64.
  CHECK(equal == 0);
}
}  // namespace

TEST_CASE("Threshold32::mask64 gives independent lanes with the threshold's probability") {
  // Each lane is U < threshold for a uniform 32-bit U: frequency p in every lane, and lanes
  // independent (joint frequency p^2 for neighbours and for lanes 0 and 63).
  for (const double p : {0.5, 0.75, 0.3, 0.01, 0.999}) {
    CAPTURE(p);
    const xdream::detail::Threshold32 threshold(p);
    const double exact = static_cast<double>(threshold.value) / 4294967296.0;
    xdream::Engine rng = xdream::make_stream(11, 0, 0, xdream::Purpose::user);
    const int draws = 20000;
    std::vector<int> ones(64, 0);
    int both_neighbours = 0, both_ends = 0;
    for (int k = 0; k < draws; ++k) {
      const std::uint64_t mask = threshold.mask64(rng);
      for (int lane = 0; lane < 64; ++lane) ones[lane] += static_cast<int>((mask >> lane) & 1u);
      both_neighbours += static_cast<int>((mask & (mask >> 1)) & 1u);
      both_ends += static_cast<int>((mask & (mask >> 63)) & 1u);
    }
    // 5 binomial standard errors; the all-lane total uses 64 * draws trials.
    const double se_lane = std::sqrt(exact * (1 - exact) / draws);
    for (int lane = 0; lane < 64; ++lane) {
      CHECK(std::abs(ones[lane] / double(draws) - exact) <= 5 * se_lane + 1e-12);
    }
    const double joint = exact * exact;
    const double se_joint = std::sqrt(joint * (1 - joint) / draws);
    CHECK(std::abs(both_neighbours / double(draws) - joint) <= 5 * se_joint + 1e-12);
    CHECK(std::abs(both_ends / double(draws) - joint) <= 5 * se_joint + 1e-12);
  }
  xdream::Engine rng(1);
  CHECK(xdream::detail::Threshold32(0.0).mask64(rng) == 0);
  CHECK(xdream::detail::Threshold32(1.0).mask64(rng) == ~std::uint64_t{0});
}
