// NakaRushton (include/xdream/objectives/naka_rushton.hpp): the contrast-response function
// g(r) = r^q / (r^q + c50^q) of the neuron-like objectives, and its parameter checks.
#include <xdream/objectives/naka_rushton.hpp>

#include <doctest/doctest.h>

#include <stdexcept>

TEST_CASE("NakaRushton: g(0) = 0, g(c50) = 1/2, monotone, saturates at 1") {
  const xdream::NakaRushton g{150.0, 2.0};
  CHECK(g(0.0) == 0.0);
  CHECK(g(-1.0) == 0.0);
  CHECK(g(150.0) == doctest::Approx(0.5).epsilon(1e-15));
  CHECK(g(300.0) == doctest::Approx(0.8).epsilon(1e-15));
  CHECK(g(64.0) == doctest::Approx(64.0 * 64.0 / (64.0 * 64.0 + 150.0 * 150.0)).epsilon(1e-15));
  CHECK(g(1e300) == 1.0);
  double previous = 0.0;
  for (double r = 1.0; r < 1e4; r *= 1.5) {
    CHECK(g(r) > previous);
    previous = g(r);
  }
  CHECK_THROWS_AS(xdream::NakaRushton({0.0, 2.0}).validate("t"), std::invalid_argument);
  CHECK_THROWS_AS(xdream::NakaRushton({150.0, -1.0}).validate("t"), std::invalid_argument);
}
