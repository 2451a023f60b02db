// Generators (include/xdream/generators/) and test objectives (include/xdream/objectives/): the
// maps they compute, their optima, and their parameter errors.
#include <xdream/concepts.hpp>
#include <xdream/generators/identity.hpp>
#include <xdream/generators/raw_pixels.hpp>
#include <xdream/objectives/rastrigin.hpp>
#include <xdream/objectives/sphere.hpp>
#include <xdream/objectives/unit_like.hpp>

#include <boost/random/normal_distribution.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>

namespace {
using xdream::Code;
using xdream::Engine;
using xdream::IdentityGenerator;
using xdream::Index;
using xdream::Population;
using xdream::Rastrigin;
using xdream::RawPixelGenerator;
using xdream::Scores;
using xdream::Sphere;
using xdream::UnitLike;

static_assert(xdream::Generator<IdentityGenerator>);
static_assert(xdream::Generator<RawPixelGenerator>);
static_assert(xdream::Objective<Sphere, Population>);
static_assert(xdream::Objective<Rastrigin, Population>);
static_assert(xdream::Objective<UnitLike, Population>);

// `count` codes around `centre`, each displaced by a random direction of length `radius`.
Population perturbed(const Code& centre, float radius, Index count, std::uint64_t seed) {
  Engine rng(seed);
  boost::random::normal_distribution<float> normal;
  Population codes(centre.size(), count);
  for (Index j = 0; j < count; ++j) {
    Code direction(centre.size());
    for (Index i = 0; i < centre.size(); ++i) direction[i] = normal(rng);
    codes.col(j) = centre + radius * direction.normalized();
  }
  return codes;
}

Population column(const Code& code) { return code; }

// --- generators ---------------------------------------------------------------------------------

TEST_CASE("IdentityGenerator returns the codes themselves") {
  IdentityGenerator generator(6);
  CHECK(generator.code_size() == 6);
  const Population codes = Population::Random(6, 4);
  const Population& stimuli = generator.generate(codes);
  CHECK(&stimuli == &codes);  // no copy
  CHECK_THROWS_WITH_AS(IdentityGenerator(0), doctest::Contains("code_size"), std::invalid_argument);
}

TEST_CASE("RawPixelGenerator maps each code element through the logistic function") {
  RawPixelGenerator generator(3, 4, 2);
  CHECK(generator.code_size() == 24);
  CHECK(generator.height() == 3);
  CHECK(generator.width() == 4);
  CHECK(generator.channels() == 2);
  Population codes(24, 3);
  codes.col(0) = Code::LinSpaced(24, -8.0f, 8.0f);
  codes.col(1) = Code::Zero(24);
  codes.col(2) = Code::LinSpaced(24, -100.0f, 100.0f);
  const Population images = generator.generate(codes);
  REQUIRE(images.rows() == 24);
  REQUIRE(images.cols() == 3);
  for (Index j = 0; j < 3; ++j) {
    for (Index i = 0; i < 24; ++i) {
      CAPTURE(codes(i, j));
      const double expected = 1.0 / (1.0 + std::exp(-static_cast<double>(codes(i, j))));
      CHECK(images(i, j) == doctest::Approx(expected).epsilon(1e-6));
      CHECK(images(i, j) >= 0.0f);
      CHECK(images(i, j) <= 1.0f);
      if (i > 0) CHECK(images(i, j) >= images(i - 1, j));  // monotone in the code
    }
  }
  CHECK((images.col(1).array() == 0.5f).all());
  // Moderate codes stay strictly inside (0, 1): a valid image never saturates by accident.
  CHECK((images.col(0).array() > 0.0f).all());
  CHECK((images.col(0).array() < 1.0f).all());
}

TEST_CASE("RawPixelGenerator rejects an empty image shape") {
  CHECK_THROWS_WITH_AS(RawPixelGenerator(0, 4), doctest::Contains("height"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(RawPixelGenerator(4, 0), doctest::Contains("width"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(RawPixelGenerator(4, 4, 0), doctest::Contains("channels"),
                       std::invalid_argument);
}

// --- objectives ---------------------------------------------------------------------------------

TEST_CASE("Sphere is maximal at its optimum and smaller nearby") {
  const Sphere sphere(10);
  CHECK(sphere.dimension() == 10);
  CHECK(sphere.optimum() == Code::Ones(10));
  CHECK(sphere.evaluate(column(sphere.optimum()))[0] == Sphere::optimum_value());
  // f(x) = -|x - c|^2: at the origin, -10; at distance r, -r^2.
  CHECK(sphere.evaluate(column(Code::Zero(10)))[0] == doctest::Approx(-10.0));
  const Scores near = sphere.evaluate(perturbed(sphere.optimum(), 0.1f, 200, 1));
  CHECK((near.array() < Sphere::optimum_value()).all());
  CHECK(near.maxCoeff() == doctest::Approx(-0.01).epsilon(1e-4));
  CHECK(near.minCoeff() == doctest::Approx(-0.01).epsilon(1e-4));

  Code centre(3);
  centre << 2.0f, -1.0f, 0.5f;
  const Sphere shifted(centre);
  CHECK(shifted.optimum() == centre);
  CHECK(shifted.evaluate(column(centre))[0] == 0.0);
  CHECK((shifted.evaluate(perturbed(centre, 0.05f, 100, 2)).array() < 0.0).all());
}

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

TEST_CASE("UnitLike is maximal at its optimum and smaller nearby") {
  const UnitLike unit(32, 7);
  CHECK(unit.dimension() == 32);
  CHECK(unit.direction().norm() == doctest::Approx(1.0));
  // The code is rounded to float: its value agrees with the double optimum to float precision.
  CHECK(unit.evaluate(column(unit.optimum()))[0] ==
        doctest::Approx(unit.optimum_value()).epsilon(1e-6));
  CHECK(unit.optimum().cast<double>().norm() == doctest::Approx(unit.optimum_norm()).epsilon(1e-6));
  const float r = static_cast<float>(unit.optimum_norm());
  const Scores near = unit.evaluate(perturbed(unit.optimum(), 0.01f * r, 200, 4));
  CHECK((near.array() < unit.optimum_value()).all());
  // Along the preferred direction, at other norms: smaller.
  for (double factor : {0.8, 0.95, 1.05, 1.25}) {
    CAPTURE(factor);
    const Code x = (factor * unit.optimum_norm() * unit.direction()).cast<float>();
    CHECK(unit.evaluate(column(x))[0] < unit.optimum_value());
  }
  // Rectified: nothing against the preferred direction.
  CHECK(unit.evaluate(column(-unit.optimum()))[0] == 0.0);
  // The seed draws the direction.
  CHECK(UnitLike(32, 7).direction() == unit.direction());
  CHECK(UnitLike(32, 8).direction() != unit.direction());
}

TEST_CASE("UnitLike's optimum follows its preferred norm and width") {
  // r* = (r0 + sqrt(r0^2 + 4 s^2)) / 2 maximizes r exp(-(r - r0)^2 / (2 s^2)): r0 = 3, s = 2
  // gives r* = (3 + 5) / 2 = 4.
  const UnitLike unit(5, 1, 3.0, 2.0);
  CHECK(unit.optimum_norm() == doctest::Approx(4.0));
  CHECK(unit.optimum_value() == doctest::Approx(4.0 * std::exp(-1.0 / 8.0)));
}

TEST_CASE("Test objectives reject bad dimensions and parameters") {
  CHECK_THROWS_WITH_AS(Sphere(0), doctest::Contains("dimension"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(Sphere{Code{}}, doctest::Contains("dimension"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(Rastrigin(0), doctest::Contains("dimension"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(UnitLike(0), doctest::Contains("dimension"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(UnitLike(4, 0, 0.0), doctest::Contains("preferred_norm"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(UnitLike(4, 0, 2.0, 0.0), doctest::Contains("norm_width"),
                       std::invalid_argument);
}
}  // namespace

TEST_CASE("objectives reject stimuli of the wrong dimension and non-finite centres") {
  const xdream::Population wrong = xdream::Population::Zero(64, 3);
  CHECK_THROWS_WITH_AS(xdream::Sphere(32).evaluate(wrong), doctest::Contains("dimension 32"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(xdream::Rastrigin(32).evaluate(wrong), doctest::Contains("dimension 32"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(xdream::UnitLike(32).evaluate(wrong), doctest::Contains("dimension 32"),
                       std::invalid_argument);
  CHECK_THROWS_AS(xdream::Sphere(4, std::nanf("")), std::invalid_argument);
  CHECK_THROWS_AS(xdream::Rastrigin(4, INFINITY), std::invalid_argument);
  CHECK_THROWS_WITH_AS(xdream::UnitLike(8, 0, -5.0), doctest::Contains("preferred_norm"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(xdream::UnitLike(8, 0, 3.0, -3.0), doctest::Contains("norm_width"),
                       std::invalid_argument);
}
