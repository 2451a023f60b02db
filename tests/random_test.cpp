// Random streams (include/xdream/random.hpp): the properties every reproducibility claim rests on.
#include <xdream/random.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <set>

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
