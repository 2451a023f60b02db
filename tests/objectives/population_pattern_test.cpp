// Population objectives (include/xdream/objectives/population_pattern.hpp): each measure against
// values computed by hand, the mask and z-scoring, and every refusal.
#include <xdream/objectives/population_pattern.hpp>

#include <doctest/doctest.h>

#include <cmath>

namespace {
using xdream::PatternMeasure;
using xdream::PopulationPattern;
Eigen::VectorXd v(std::initializer_list<double> values) {
  Eigen::VectorXd out(static_cast<Eigen::Index>(values.size()));
  Eigen::Index i = 0;
  for (double x : values) out[i++] = x;
  return out;
}
}  // namespace

TEST_CASE("population patterns: the four measures, by hand") {
  // r = (1, 2, 3), t = (2, 0, 1)
  const Eigen::VectorXd r = v({1, 2, 3});
  PopulationPattern p{PatternMeasure::dot, v({2, 0, 1}), {}, {}};
  CHECK(p.score(r) == doctest::Approx(5.0));  // 2 + 0 + 3
  p.measure = PatternMeasure::cosine;
  CHECK(p.score(r) == doctest::Approx(5.0 / (std::sqrt(14.0) * std::sqrt(5.0))));
  p.measure = PatternMeasure::negative_mse;
  CHECK(p.score(r) == doctest::Approx(-(1.0 + 4.0 + 4.0) / 3.0));
  p.measure = PatternMeasure::correlation;
  // r - 2 = (-1, 0, 1); t - 1 = (1, -1, 0): dot -1, norms sqrt 2 and sqrt 2
  CHECK(p.score(r) == doctest::Approx(-0.5));
}

TEST_CASE("population patterns: the mask picks channels in the target's order") {
  const Eigen::VectorXd r = v({10, 1, 20, 2});
  const PopulationPattern p{PatternMeasure::dot, v({3, 4}), {3, 1}, {}};
  p.validate(4);
  CHECK(p.score(r) == doctest::Approx(3.0 * 2 + 4.0 * 1));
  CHECK(std::isnan(p.score(v({10, NAN, 20, 2}))));               // a masked NaN: no score
  CHECK(p.score(v({NAN, 1, NAN, 2})) == doctest::Approx(10.0));  // unmasked NaN: ignored
}

TEST_CASE("population patterns: z-scoring against the reference images' responses") {
  // Two channels, three reference images: channel 0 = (1, 2, 3): mean 2, std sqrt(2/3);
  // channel 1 = (5, 5, 5): no spread, std 1.
  Eigen::MatrixXd refs(2, 3);
  refs << 1, 2, 3, 5, 5, 5;
  const xdream::ZScore z = xdream::ZScore::of(refs);
  CHECK(z.mean[0] == doctest::Approx(2.0));
  CHECK(z.std[0] == doctest::Approx(std::sqrt(2.0 / 3.0)));
  CHECK(z.std[1] == doctest::Approx(1.0));
  // Target: reference image 2's response (3, 5) -> z (sqrt(1.5), 0); response (2, 7) -> (0, 2).
  PopulationPattern p{PatternMeasure::dot, v({3, 5}), {}, z};
  p.validate(2);
  CHECK(p.score(v({2, 7})) == doctest::Approx(0.0));
  CHECK(p.score(v({3, 5})) == doctest::Approx(1.5));
  p.measure = PatternMeasure::negative_mse;
  CHECK(p.score(v({2, 7})) == doctest::Approx(-(1.5 + 4.0) / 2.0));
  const xdream::Scores all = p.scores(refs);
  CHECK(all[2] == doctest::Approx(0.0));  // the target scores itself best
  CHECK(all[0] < all[2]);
}

TEST_CASE("population patterns: what cannot score is refused") {
  const auto refused = [](PopulationPattern p, xdream::Index channels, const char* text) {
    CHECK_THROWS_WITH_AS(p.validate(channels), doctest::Contains(text), std::invalid_argument);
  };
  refused({PatternMeasure::dot, v({1, 2}), {0, 5}, {}}, 4, "mask");
  refused({PatternMeasure::dot, v({1, 2}), {1, 1}, {}}, 4, "mask");
  refused({PatternMeasure::dot, v({1, 2, 3}), {}, {}}, 4, "target");
  refused({PatternMeasure::dot, v({1, NAN}), {0, 1}, {}}, 4, "finite");
  refused({PatternMeasure::cosine, v({0, 0}), {0, 1}, {}}, 4, "zero vector");
  refused({PatternMeasure::correlation, v({2, 2}), {0, 1}, {}}, 4, "constant");
  refused({PatternMeasure::correlation, v({2}), {0}, {}}, 4, ">= 2");
  refused({PatternMeasure::dot, v({1, 2}), {0, 1}, xdream::ZScore{v({0, 0}), v({1, 0})}}, 2,
          "zscore");
}
