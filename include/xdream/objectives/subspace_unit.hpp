#pragma once
/// @file
/// A synthetic neuron of low effective dimension: it sees only a random k-dimensional subspace
/// of the code space.

#include <xdream/detail/validate.hpp>
#include <xdream/objectives/detail/contrast_unit.hpp>
#include <xdream/objectives/detail/random_directions.hpp>
#include <xdream/population.hpp>

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace xdream {

/// Settings of SubspaceUnit. Defaults: the DeePSiM fc6 scale (see docs/algorithms.md,
/// "Domain benchmark").
struct SubspaceUnitOptions {
  /// k, the dimension of the subspace the unit sees; default 24; range [1, dimension].
  Index subspace_dimension = 24;
  /// gamma, the weight of the quadratic term against the linear one; default 1; range [0, inf).
  double quadratic_strength = 1.0;
  /// A, the response scale (see `supremum()`); default 100, the order of magnitude of evolved
  /// CaffeNet unit activations; range (0, inf). Rank-based algorithms do not see it; FDGD and
  /// NES, which step by raw scores, do.
  double amplitude = 100.0;
  /// c50 of the contrast function, applied to |u|, in code units; default 150; range (0, inf).
  double half_saturation_norm = 150.0;
  /// q of the contrast function; default 2; range (0, inf).
  double contrast_exponent = 2.0;
};

/// A unit with low effective dimension. Only u = B^T x, the coordinates of the code in a random
/// k-dimensional subspace (B: n x k, orthonormal columns), reaches the unit; within it the unit
/// has a preferred direction and curvature, and |u|, the contrast of the features it sees,
/// saturates:
///
///   f(x) = A * max(0, w . v + (gamma / 2) v^T Q v) * g(|u|),   v = u / |u|,
///   g(r) = r^q / (r^q + c50^q)  (Naka-Rushton),
///
/// w a random unit vector of R^k, Q a random symmetric k x k matrix (Gaussian orthogonal
/// ensemble scaled to spectral radius about 1, eigenvalues of both signs: some feature
/// combinations excite, others suppress). f is invariant to any change of x orthogonal to the
/// subspace; f >= 0; f(x) = 0 when u = 0. sup f = A * h_max, h_max the maximum of
/// w . v + (gamma / 2) v^T Q v over unit v (solved to rounding error at construction), approached
/// along `best_direction()` as the norm grows.
///
/// An N(0, I) code of 4096-d puts only about sqrt(k / n) of its norm in the subspace (|u| ~ 5
/// for k = 24), so the search must find the few directions that matter among thousands that do
/// not, as the low-rank Hessians of DeePSiM fc6 landscapes suggest.
///
/// @param dimension code length n; range [1, inf).
/// @param seed draws B, w and Q (streams (seed, 0..2, column, user)): the same seed gives the
///        same unit.
class SubspaceUnit : public detail::ContrastUnit<SubspaceUnitOptions> {
 public:
  explicit SubspaceUnit(Index dimension, std::uint64_t seed = 0, SubspaceUnitOptions options = {})
      : ContrastUnit(where, dimension, options) {
    const Index k = options_.subspace_dimension;
    if (k < 1 || k > dimension) {
      detail::invalid(where, "subspace_dimension", detail::to_text(k),
                      "[1, dimension] = [1, " + detail::to_text(dimension) + "]");
    }
    if (!(options_.quadratic_strength >= 0.0 && std::isfinite(options_.quadratic_strength))) {
      detail::invalid(where, "quadratic_strength", detail::to_text(options_.quadratic_strength),
                      "a finite value >= 0");
    }
    check_response_scale(where);

    basis_ = detail::gaussian_matrix(dimension, k, seed, 0);
    detail::orthonormalize_columns(basis_);
    linear_ = detail::gaussian_matrix(k, 1, seed, 1).col(0).normalized();
    const Eigen::MatrixXd g = detail::gaussian_matrix(k, k, seed, 2);
    // (G + G^T) / 2 is GOE with off-diagonal variance 1/2, spectral radius ~ sqrt(2k).
    quadratic_ = (g + g.transpose()) / (2.0 * std::sqrt(2.0 * static_cast<double>(k)));
    solve_best_direction();
  }

  Scores evaluate(const Population& x) const {
    detail::require_stimulus_rows("xdream::SubspaceUnit::evaluate", x.rows(), dimension());
    const Eigen::MatrixXd u = basis_.transpose() * x.cast<double>();
    Scores out(x.cols());
    for (Index i = 0; i < x.cols(); ++i) out[i] = response(u.col(i));
    return out;
  }

  /// f as a function of the subspace coordinates u (length k).
  double response(const Eigen::Ref<const Eigen::VectorXd>& u) const {
    const double norm = u.norm();
    if (!(norm > 0.0)) return 0.0;
    return scaled(std::max(0.0, drive(u / norm)), norm);
  }

  /// w . v + (gamma / 2) v^T Q v for a unit vector v of the subspace.
  double drive(const Eigen::Ref<const Eigen::VectorXd>& v) const {
    return linear_.dot(v) + 0.5 * options_.quadratic_strength * v.dot(quadratic_ * v);
  }

  Index dimension() const noexcept { return basis_.rows(); }
  Index subspace_dimension() const noexcept { return basis_.cols(); }
  /// B (n x k, orthonormal columns): the subspace the unit sees.
  const Eigen::MatrixXd& basis() const noexcept { return basis_; }
  /// w (unit norm, length k).
  const Eigen::VectorXd& linear_weights() const noexcept { return linear_; }
  /// Q (k x k, symmetric).
  const Eigen::MatrixXd& quadratic_form() const noexcept { return quadratic_; }
  /// The unit code direction B v* along which f approaches its supremum.
  Eigen::VectorXd best_direction() const { return basis_ * best_; }
  /// h_max = max over unit v of drive(v).
  double max_drive() const noexcept { return max_drive_; }
  /// sup f = A * h_max (approached, never attained).
  double supremum() const noexcept { return options_.amplitude * max_drive_; }

 private:
  static constexpr const char* where = "xdream::SubspaceUnit";

  // Maximizes h(v) = w . v + (gamma / 2) v^T Q v on the unit sphere (the trust-region
  // subproblem): v = (lambda I - gamma Q)^-1 w with lambda > gamma mu_max (mu_max: Q's largest
  // eigenvalue) chosen so that |v| = 1. For such lambda |v(lambda)| falls with lambda, from
  // infinity to below 1 at lambda = gamma mu_max + 1 (|w| = 1); lambda <= gamma mu_max shows
  // itself by (lambda I - gamma Q) not being positive definite. Bisection between
  // -gamma |Q|_F - 1 and gamma |Q|_F + 1 (|mu_i| <= |Q|_F) finds it with Cholesky
  // factorizations only.
  void solve_best_direction() {
    const double gamma = options_.quadratic_strength;
    const Index k = quadratic_.rows();
    const double bound = gamma * quadratic_.norm() + 1.0;
    const Eigen::MatrixXd identity = Eigen::MatrixXd::Identity(k, k);
    double lo = -bound, hi = bound;
    Eigen::LLT<Eigen::MatrixXd> llt;
    for (int it = 0; it < 200; ++it) {
      const double mid = 0.5 * (lo + hi);
      if (!(mid > lo && mid < hi)) break;  // the bracket is as tight as doubles allow
      llt.compute(mid * identity - gamma * quadratic_);
      const bool above = llt.info() == Eigen::Success && llt.solve(linear_).squaredNorm() <= 1.0;
      (above ? hi : lo) = mid;
    }
    llt.compute(hi * identity - gamma * quadratic_);
    best_ = llt.solve(linear_);
    best_.normalize();  // removes the bisection's last rounding of |v| = 1
    max_drive_ = drive(best_);
  }

  Eigen::MatrixXd basis_;
  Eigen::VectorXd linear_;
  Eigen::MatrixXd quadratic_;
  Eigen::VectorXd best_;
  double max_drive_ = 0.0;
};

}  // namespace xdream
