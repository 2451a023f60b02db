// SubspaceUnit: a unit that sees only a k-dimensional subspace of the code space.
#include "../support/random_vectors.hpp"

#include <xdream/concepts.hpp>
#include <xdream/objectives/subspace_unit.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

namespace {
using xdream::Index;
using xdream::Population;
using xdream::SubspaceUnit;

static_assert(xdream::Objective<SubspaceUnit, Population>);

using xdream_test::gaussian;
}  // namespace

TEST_CASE("SubspaceUnit's basis is orthonormal and its quadratic form symmetric") {
  const SubspaceUnit unit(300, 5, {.subspace_dimension = 16});
  const Eigen::MatrixXd& b = unit.basis();
  CHECK(b.rows() == 300);
  CHECK(b.cols() == 16);
  CHECK((b.transpose() * b - Eigen::MatrixXd::Identity(16, 16)).cwiseAbs().maxCoeff() < 1e-12);
  const Eigen::MatrixXd& q = unit.quadratic_form();
  CHECK((q - q.transpose()).cwiseAbs().maxCoeff() == 0.0);
  CHECK(unit.linear_weights().norm() == doctest::Approx(1.0).epsilon(1e-12));
}

TEST_CASE("SubspaceUnit is invariant to changes orthogonal to its subspace") {
  const Index n = 400;
  const SubspaceUnit unit(n, 9, {.subspace_dimension = 20});
  const Eigen::MatrixXd& b = unit.basis();
  Population codes(n, 2 * 30);
  for (Index j = 0; j < 30; ++j) {
    const Eigen::VectorXd x = 40.0 * gaussian(n, 200 + static_cast<std::uint64_t>(j)) +
                              b * (30.0 * gaussian(20, 300 + static_cast<std::uint64_t>(j)));
    Eigen::VectorXd z = 1000.0 * gaussian(n, 400 + static_cast<std::uint64_t>(j));
    z -= b * (b.transpose() * z);  // in the complement
    codes.col(2 * j) = x.cast<float>();
    codes.col(2 * j + 1) = (x + z).cast<float>();
  }
  const xdream::Scores s = unit.evaluate(codes);
  int positive = 0;
  for (Index j = 0; j < 30; ++j) {
    // float codes: the complement's 1000-scale part rounds u by ~1e-4 relative.
    CHECK(s[2 * j + 1] == doctest::Approx(s[2 * j]).epsilon(1e-3));
    positive += s[2 * j] > 0.0;
  }
  CHECK(positive > 5);  // the check above is not vacuous
}

TEST_CASE(
    "SubspaceUnit: response from the subspace coordinates, non-negative, below its supremum") {
  const Index n = 128, k = 8;
  const SubspaceUnit unit(n, 4, {.subspace_dimension = k, .quadratic_strength = 0.7});
  Population codes(n, 300);
  for (Index j = 0; j < codes.cols(); ++j) {
    codes.col(j) =
        (gaussian(n, 700 + static_cast<std::uint64_t>(j)) * (0.5 + 5.0 * j)).cast<float>();
  }
  const xdream::Scores s = unit.evaluate(codes);
  for (Index j = 0; j < s.size(); ++j) {
    const Eigen::VectorXd u = unit.basis().transpose() * codes.col(j).cast<double>();
    const double r = u.norm();
    const double drive = unit.drive(u / r);
    const double expected = 100.0 * std::max(0.0, drive) * r * r / (r * r + 150.0 * 150.0);
    CHECK(s[j] == doctest::Approx(expected).epsilon(1e-9));
    CHECK(s[j] >= 0.0);
    CHECK(s[j] < unit.supremum());
    CHECK(drive <= unit.max_drive() + 1e-12);
  }
  CHECK(unit.evaluate(Population::Zero(n, 1))[0] == 0.0);
}

TEST_CASE("SubspaceUnit's best direction maximizes the drive on the unit sphere") {
  const Index k = 12;
  const SubspaceUnit unit(64, 21, {.subspace_dimension = k});
  const Eigen::VectorXd best = unit.basis().transpose() * unit.best_direction();
  CHECK(best.norm() == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(unit.drive(best) == doctest::Approx(unit.max_drive()).epsilon(1e-12));
  // No random or perturbed unit vector does better.
  for (std::uint64_t t = 0; t < 2000; ++t) {
    const Eigen::VectorXd v = gaussian(k, 5000 + t).normalized();
    CHECK(unit.drive(v) <= unit.max_drive() + 1e-12);
    const Eigen::VectorXd near = (best + 0.05 * v).normalized();
    CHECK(unit.drive(near) <= unit.max_drive() + 1e-12);
  }
  // The linear term alone is beaten when the quadratic form helps, and gamma = 0 gives w.
  CHECK(unit.max_drive() >= unit.drive(unit.linear_weights()));
  const SubspaceUnit linear(64, 21, {.subspace_dimension = k, .quadratic_strength = 0.0});
  CHECK(linear.max_drive() == doctest::Approx(1.0).epsilon(1e-12));
  CHECK((linear.basis().transpose() * linear.best_direction() - linear.linear_weights()).norm() <
        1e-9);
  // Along the best direction the response climbs the contrast function towards the supremum.
  Population along(64, 1);
  along.col(0) = (1e6 * unit.best_direction()).cast<float>();
  CHECK(unit.evaluate(along)[0] == doctest::Approx(unit.supremum()).epsilon(1e-5));
}

TEST_CASE("SubspaceUnit is determined by its seed") {
  const SubspaceUnit a(200, 17), b(200, 17), c(200, 18);
  CHECK(a.basis() == b.basis());
  CHECK(a.quadratic_form() == b.quadratic_form());
  CHECK(a.linear_weights() == b.linear_weights());
  CHECK(a.basis() != c.basis());
  Population codes(200, 3);
  for (Index j = 0; j < 3; ++j)
    codes.col(j) = gaussian(200, 60 + static_cast<std::uint64_t>(j)).cast<float>() * 80.0f;
  CHECK(a.evaluate(codes) == b.evaluate(codes));
}

TEST_CASE("SubspaceUnit rejects bad parameters at construction") {
  CHECK_THROWS_AS(SubspaceUnit(0), std::invalid_argument);
  CHECK_THROWS_AS(SubspaceUnit(16, 0, {.subspace_dimension = 0}), std::invalid_argument);
  CHECK_THROWS_WITH_AS(SubspaceUnit(16, 0, {.subspace_dimension = 17}),
                       doctest::Contains("subspace_dimension = 17"), std::invalid_argument);
  CHECK_THROWS_AS(SubspaceUnit(16, 0, {.subspace_dimension = 4, .quadratic_strength = -0.1}),
                  std::invalid_argument);
  CHECK_THROWS_AS(SubspaceUnit(16, 0, {.subspace_dimension = 4, .amplitude = -1.0}),
                  std::invalid_argument);
  CHECK_THROWS_AS(SubspaceUnit(16, 0, {.subspace_dimension = 4, .half_saturation_norm = 0.0}),
                  std::invalid_argument);
  CHECK_NOTHROW(SubspaceUnit(16, 0, {.subspace_dimension = 16}));
}
