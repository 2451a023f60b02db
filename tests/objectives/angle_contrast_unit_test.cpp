// AngleContrastUnit: f(x) = A max(0, cos(x, w))^p g(|x|) depends only on the angle and the norm.
#include "../support/random_vectors.hpp"

#include <xdream/algorithms/sep_cmaes.hpp>
#include <xdream/concepts.hpp>
#include <xdream/generators/identity.hpp>
#include <xdream/objectives/angle_contrast_unit.hpp>
#include <xdream/objectives/multiplicative_noise.hpp>
#include <xdream/objectives/random_relu_unit.hpp>
#include <xdream/objectives/subspace_unit.hpp>
#include <xdream/optimizer.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

namespace {
using xdream::AngleContrastUnit;
using xdream::Index;
using xdream::Population;

static_assert(xdream::Objective<AngleContrastUnit, Population>);

using xdream_test::gaussian;

// A unit vector orthogonal to w.
Eigen::VectorXd orthogonal_to(const Eigen::VectorXd& w, std::uint64_t seed) {
  Eigen::VectorXd v = gaussian(w.size(), seed);
  v -= w.dot(v) * w;
  return v.normalized();
}
}  // namespace

TEST_CASE("AngleContrastUnit depends on a code only through its angle to w and its norm") {
  const Index n = 256;
  const AngleContrastUnit unit(n, 7);
  const Eigen::VectorXd& w = unit.direction();
  CHECK(w.norm() == doctest::Approx(1.0).epsilon(1e-12));

  // Codes with the same cosine to w and the same norm, built from different orthogonal parts.
  for (const double cosine : {0.9, 0.5, 0.1}) {
    for (const double norm : {20.0, 150.0, 600.0}) {
      Population codes(n, 3);
      for (Index j = 0; j < 3; ++j) {
        const Eigen::VectorXd u = orthogonal_to(w, 100 + static_cast<std::uint64_t>(j));
        codes.col(j) = (norm * (cosine * w + std::sqrt(1 - cosine * cosine) * u)).cast<float>();
      }
      const xdream::Scores s = unit.evaluate(codes);
      const double expected = 100.0 * cosine * cosine * norm * norm / (norm * norm + 150.0 * 150.0);
      for (Index j = 0; j < 3; ++j) CHECK(s[j] == doctest::Approx(expected).epsilon(1e-5));
    }
  }
}

TEST_CASE("AngleContrastUnit is non-negative, zero on the far half-space and at 0, below A") {
  const Index n = 64;
  const AngleContrastUnit unit(n, 3);
  Population codes(n, 200);
  for (Index j = 0; j < codes.cols(); ++j) {
    codes.col(j) =
        (gaussian(n, 1000 + static_cast<std::uint64_t>(j)) * (1.0 + 10.0 * j)).cast<float>();
  }
  const xdream::Scores s = unit.evaluate(codes);
  for (Index j = 0; j < s.size(); ++j) {
    CHECK(s[j] >= 0.0);
    CHECK(s[j] < unit.supremum());
    const double drive = unit.direction().dot(codes.col(j).cast<double>());
    if (drive <= 0.0) CHECK(s[j] == 0.0);
    if (drive > 0.0) CHECK(s[j] > 0.0);
  }
  CHECK(unit.evaluate(Population::Zero(n, 1))[0] == 0.0);
  // Along w the response climbs the contrast function towards A.
  Population along(n, 1);
  along.col(0) = (1e6 * unit.direction()).cast<float>();
  CHECK(unit.evaluate(along)[0] == doctest::Approx(100.0).epsilon(1e-6));
}

TEST_CASE("AngleContrastUnit is determined by its seed") {
  const AngleContrastUnit a(128, 11), b(128, 11), c(128, 12);
  CHECK(a.direction() == b.direction());
  CHECK(a.direction() != c.direction());
  Population codes(128, 4);
  for (Index j = 0; j < 4; ++j)
    codes.col(j) = gaussian(128, 50 + static_cast<std::uint64_t>(j)).cast<float>() * 100.0f;
  CHECK(a.evaluate(codes) == b.evaluate(codes));
}

TEST_CASE("AngleContrastUnit rejects bad parameters at construction") {
  CHECK_THROWS_AS(AngleContrastUnit(0), std::invalid_argument);
  CHECK_THROWS_AS(AngleContrastUnit(8, 0, {.amplitude = 0.0}), std::invalid_argument);
  CHECK_THROWS_AS(AngleContrastUnit(8, 0, {.angle_exponent = -1.0}), std::invalid_argument);
  CHECK_THROWS_AS(AngleContrastUnit(8, 0, {.half_saturation_norm = 0.0}), std::invalid_argument);
  CHECK_THROWS_AS(AngleContrastUnit(8, 0, {.contrast_exponent = NAN}), std::invalid_argument);
  CHECK_THROWS_WITH_AS(AngleContrastUnit(8, 0, {.angle_exponent = 0.0}),
                       doctest::Contains("angle_exponent = 0"), std::invalid_argument);
}

TEST_CASE("The docs/algorithms.md Domain benchmark example compiles and runs at n 256") {
  const Index n = 256;
  // From docs/algorithms.md, with 4096 replaced by n and a shorter budget:
  xdream::SubspaceUnit low_dimensional(n, /*seed=*/1, {.subspace_dimension = 16});
  xdream::AngleContrastUnit tuned(n, /*seed=*/2, {.angle_exponent = 1.0});
  xdream::RandomReluUnit network(n, /*seed=*/3);
  xdream::MultiplicativeNoise noisy(tuned, {.noise_level = 0.5, .seed = 7});
  xdream::Optimizer opt(xdream::IdentityGenerator(n), noisy,
                        xdream::SepCMAES(n, {.population_size = 40, .sigma = 3.0, .seed = 7}));
  xdream::Result result = opt.run(xdream::budget::stimuli(800));
  double normalized = result.best_clean.clean_score / tuned.supremum();
  CHECK(normalized > 0.0);
  CHECK(normalized < 1.0);
  CHECK(result.stimuli == 800);
  CHECK(low_dimensional.subspace_dimension() == 16);
  CHECK(network.filters().cols() == 32);
}
