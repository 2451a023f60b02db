// TorchNetworkPattern against the tiny formula-weight network of tests/data/torch: its README
// gives the formulas; the expected scores below were computed from them in float64 (numpy), by
// the definitions of the four measures, independently of the library.
#include <xdream/torch.hpp>

#include <xdream/any_objective.hpp>
#include <xdream/driver.hpp>
#include <xdream/genetic/genetic.hpp>

#include <doctest/doctest.h>

#include "tiny_models.hpp"

#include <cmath>
#include <string>

namespace {

using torch_test::contains;
using torch_test::message_of;
using torch_test::model;

const xdream::TorchNetworkOptions cpu{.device = "cpu"};

xdream::TorchNetwork tiny() { return {model("tiny_network_dict.pt"), {3, 4, 4}, cpu}; }

// Three images: all 0.5, then input[c, y, x] = ((c*16 + y*4 + x)/47)^p for p = 1, 2.
torch::Tensor three_images() {
  torch::Tensor images = torch::full({3, 3, 4, 4}, 0.5);
  for (int p = 1; p <= 2; ++p)
    for (int j = 0; j < 48; ++j) images[p][j / 16][(j / 4) % 4][j % 4] = std::pow(j / 47.0, p);
  return images;
}

xdream::PopulationPattern pattern(xdream::PatternMeasure measure, Eigen::VectorXd target,
                                  std::vector<xdream::Index> mask) {
  xdream::PopulationPattern p;
  p.measure = measure;
  p.target = std::move(target);
  p.mask = std::move(mask);
  return p;
}

// The float32 network agrees with the float64 formulas to ~1e-7; z-scoring divides by spreads
// down to 0.0025, so 1e-5 relative bounds both.
constexpr double tolerance = 1e-5;

}  // namespace

static_assert(xdream::Objective<xdream::TorchNetworkPattern, torch::Tensor>,
              "a pattern over a tap is an Objective the driver runs unchanged");

TEST_CASE("TorchTapArray: every channel of a tap at the unit's position, channels x images") {
  xdream::TorchTapArray fc(tiny(), {.tap = "fc"});
  CHECK(fc.channels() == 5);
  CHECK_FALSE(fc.convolutional());
  const Eigen::MatrixXd r = fc.responses(three_images());
  REQUIRE(r.rows() == 5);
  REQUIRE(r.cols() == 3);
  // The README's values: fc of the all-0.5 image, and of the two ramps.
  CHECK(r(0, 0) == doctest::Approx(-0.2375));
  CHECK(r(4, 0) == doctest::Approx(0.3125));
  CHECK(r(1, 1) == doctest::Approx(-0.09574468).epsilon(1e-6));
  CHECK(r(3, 2) == doctest::Approx(0.01953373).epsilon(1e-6));

  // A convolutional tap: the centre (1, 1) by default, like TorchNetworkUnit; or a position.
  xdream::TorchTapArray centre(tiny(), {.tap = "conv"});
  CHECK(centre.convolutional());
  CHECK(centre.site().y == 1);
  CHECK(centre.site().x == 1);
  const Eigen::MatrixXd c = centre.responses(three_images());
  REQUIRE(c.rows() == 2);
  CHECK(c(0, 0) == doctest::Approx(-0.875));
  CHECK(c(1, 0) == doctest::Approx(0.375));
  CHECK(c(0, 1) == doctest::Approx(-0.7340426).epsilon(1e-6));
  CHECK(c(1, 2) == doctest::Approx(0.1499547).epsilon(1e-6));
  const Eigen::MatrixXd corner =
      xdream::TorchTapArray(tiny(), {.tap = "conv", .y = 0, .x = 2}).responses(three_images());
  CHECK(corner(0, 1) == doctest::Approx(-0.686170212766).epsilon(1e-6));
  CHECK(corner(1, 2) == doctest::Approx(0.157763693979).epsilon(1e-6));
}

TEST_CASE("TorchNetworkPattern: each measure against hand-computed values") {
  using M = xdream::PatternMeasure;
  const Eigen::Vector3d target(1.0, 0.0, -1.0);
  const auto scores = [&](M measure) {
    xdream::TorchNetworkPattern objective(tiny(), {.tap = "fc"},
                                          pattern(measure, target, {0, 2, 4}));
    return objective.evaluate(three_images());
  };
  const xdream::Scores cosine = scores(M::cosine);
  CHECK(cosine[0] == doctest::Approx(-0.9863388472568848).epsilon(tolerance));
  CHECK(cosine[1] == doctest::Approx(-0.9974708773305039).epsilon(tolerance));
  CHECK(cosine[2] == doctest::Approx(-0.9954677735857127).epsilon(tolerance));
  const xdream::Scores correlation = scores(M::correlation);
  CHECK(correlation[0] == doctest::Approx(-1.0).epsilon(tolerance));
  CHECK(correlation[1] == doctest::Approx(-0.9999900728681861).epsilon(tolerance));
  CHECK(correlation[2] == doctest::Approx(-0.9999978259384092).epsilon(tolerance));
  const xdream::Scores dot = scores(M::dot);
  CHECK(dot[0] == doctest::Approx(-0.55).epsilon(tolerance));
  CHECK(dot[1] == doctest::Approx(-0.48244680851063837).epsilon(tolerance));
  CHECK(dot[2] == doctest::Approx(-0.46062698053417844).epsilon(tolerance));
  const xdream::Scores mse = scores(M::negative_mse);
  CHECK(mse[0] == doctest::Approx(-1.08515625).epsilon(tolerance));
  CHECK(mse[1] == doctest::Approx(-1.0272873283537045).epsilon(tolerance));
  CHECK(mse[2] == doctest::Approx(-1.0094369270330719).epsilon(tolerance));

  SUBCASE("on a convolutional tap: the channels at the centre") {
    xdream::TorchNetworkPattern conv(tiny(), {.tap = "conv"},
                                     pattern(M::negative_mse, Eigen::Vector2d(-0.8, 0.2), {}));
    const xdream::Scores s = conv.evaluate(three_images());
    CHECK(s[0] == doctest::Approx(-0.018125).epsilon(tolerance));
    CHECK(s[1] == doctest::Approx(-0.002180285196921687).epsilon(tolerance));
    CHECK(s[2] == doctest::Approx(-0.008788560409994024).epsilon(tolerance));
  }
}

TEST_CASE("TorchNetworkPattern: z-scored against reference images' responses") {
  using M = xdream::PatternMeasure;
  const torch::Tensor images = three_images();
  // The three images are the reference set: per-channel mean and std (ddof 0) of their fc.
  xdream::TorchTapArray array(tiny(), {.tap = "fc"});
  const Eigen::MatrixXd reference = array.responses(images);
  const xdream::ZScore z = xdream::ZScore::of(reference);
  CHECK(z.mean[0] == doctest::Approx(-0.225575298023).epsilon(1e-6));
  CHECK(z.std[3] == doctest::Approx(0.048280266956).epsilon(1e-5));

  SUBCASE("a given target, z-scored with the responses") {
    const auto scores = [&](M measure) {
      xdream::PopulationPattern p = pattern(measure, Eigen::Vector3d(1.0, 0.0, -1.0), {0, 2, 4});
      p.zscore = z;
      return xdream::TorchNetworkPattern(array, p).evaluate(images);
    };
    const xdream::Scores cosine = scores(M::cosine), correlation = scores(M::correlation),
                         dot = scores(M::dot), mse = scores(M::negative_mse);
    CHECK(cosine[0] == doctest::Approx(-0.7017004983553828).epsilon(tolerance));
    CHECK(cosine[2] == doctest::Approx(0.9431717775433033).epsilon(tolerance));
    CHECK(correlation[1] == doctest::Approx(0.7484506937671895).epsilon(tolerance));
    CHECK(dot[1] == doctest::Approx(15.0726514540022).epsilon(tolerance));
    CHECK(dot[2] == doctest::Approx(191.19533054597636).epsilon(tolerance));
    CHECK(mse[0] == doctest::Approx(-5626.655134896751).epsilon(tolerance));
  }

  SUBCASE("the target is a reference image's response: that image scores the maximum") {
    const Eigen::VectorXd target = reference.col(2);  // every channel (empty mask)
    const auto scores = [&](M measure) {
      xdream::PopulationPattern p = pattern(measure, target, {});
      p.zscore = z;
      return xdream::TorchNetworkPattern(array, p).evaluate(images);
    };
    const xdream::Scores cosine = scores(M::cosine), correlation = scores(M::correlation),
                         mse = scores(M::negative_mse), dot = scores(M::dot);
    CHECK(cosine[2] == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(correlation[2] == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(mse[2] == doctest::Approx(0.0).epsilon(1e-12));
    CHECK(cosine[0] == doctest::Approx(-0.7287016880807994).epsilon(tolerance));
    CHECK(correlation[1] == doctest::Approx(-0.03919782893692693).epsilon(tolerance));
    CHECK(mse[1] == doctest::Approx(-1.5975153093635197).epsilon(tolerance));
    CHECK(dot[2] == doctest::Approx(4.215028356061059).epsilon(tolerance));
    for (int k = 0; k < 2; ++k) {
      CHECK(cosine[k] < cosine[2]);
      CHECK(correlation[k] < correlation[2]);
      CHECK(mse[k] < mse[2]);
    }
  }
}

TEST_CASE("TorchNetworkPattern: a pattern or a site that cannot score is refused") {
  using M = xdream::PatternMeasure;
  const auto refused = [](xdream::TorchArraySite site, xdream::PopulationPattern p) {
    return message_of<std::invalid_argument>(
        [&] { xdream::TorchNetworkPattern(tiny(), std::move(site), std::move(p)); });
  };
  const Eigen::Vector2d two(1.0, 2.0);
  CHECK(contains(refused({.tap = "fc"}, pattern(M::cosine, two, {0, 5})),
                 "mask = 5 is out of range; allowed: distinct channel indices in [0, 4]"));
  CHECK(contains(refused({.tap = "fc"}, pattern(M::cosine, two, {3, 3})), "mask = 3"));
  CHECK(contains(refused({.tap = "fc"}, pattern(M::cosine, Eigen::Vector3d(1, 2, 3), {0, 1})),
                 "target = 3 values"));
  CHECK(contains(refused({.tap = "fc"}, pattern(M::cosine, Eigen::Vector2d(0, 0), {0, 1})),
                 "a zero vector"));
  CHECK(contains(refused({.tap = "fc"}, pattern(M::correlation, Eigen::Vector2d(4, 4), {0, 1})),
                 "a constant vector"));
  CHECK(contains(refused({.tap = "fc"}, pattern(M::correlation, Eigen::VectorXd::Ones(1), {2})),
                 ">= 2 for a correlation"));
  CHECK(contains(refused({.tap = "fc"}, pattern(M::dot, Eigen::Vector2d(NAN, 1), {0, 1})),
                 "non-finite values"));
  CHECK(contains(refused({.tap = "fc", .y = 0}, pattern(M::dot, two, {0, 1})),
                 "a fully connected tap has no position"));
  CHECK(contains(refused({.tap = "conv", .y = 3}, pattern(M::dot, two, {})),
                 "y = 3 is out of range; allowed: [0, 2]"));
  CHECK(contains(refused({.tap = "conv9"}, pattern(M::dot, two, {})), "has no tap 'conv9'"));
  xdream::PopulationPattern other_size = pattern(M::dot, two, {0, 1});
  other_size.zscore = xdream::ZScore::of(Eigen::MatrixXd::Ones(3, 4));
  CHECK(contains(refused({.tap = "fc"}, other_size), "statistics of 3 channels"));
}

TEST_CASE("TorchNetworkPattern in the Optimizer, through AnyObjective: the score improves") {
  xdream::TorchGenerator generator(model("tiny_generator.pt"), {.code_size = 8, .device = "cpu"});
  xdream::AnyObjective<torch::Tensor> objective(xdream::TorchNetworkPattern(
      tiny(), {.tap = "fc"},
      pattern(xdream::PatternMeasure::correlation, Eigen::Vector3d(1.0, 0.0, -1.0), {0, 2, 4})));
  xdream::Optimizer optimizer(std::move(generator), std::move(objective),
                              xdream::Genetic<>(8, {.population_size = 10, .seed = 3}));
  const xdream::Result result = optimizer.run(xdream::budget::generations(15));
  CHECK(result.history.back().best > result.history.front().best);
  CHECK(result.best.score <= 1.0);
}
