// RawPixelGenerator (include/xdream/generators/raw_pixels.hpp): the code is the image, each
// element squashed to (0, 1) by the logistic function.
#include <xdream/concepts.hpp>
#include <xdream/generators/raw_pixels.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

namespace {
using xdream::Code;
using xdream::Index;
using xdream::Population;
using xdream::RawPixelGenerator;

static_assert(xdream::Generator<RawPixelGenerator>);

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
}  // namespace
