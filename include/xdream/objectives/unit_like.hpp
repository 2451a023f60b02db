#pragma once
/// @file
/// A synthetic "neuron" with a known optimum.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <boost/random/normal_distribution.hpp>

#include <cmath>
#include <cstdint>
#include <optional>

namespace xdream {

/// A unit-like objective: a rectified linear filter (the unit's preferred direction w, |w| = 1)
/// times a tuning to the code's norm, as a CNN unit after contrast normalization would respond:
///
///   f(x) = max(0, w . x) * exp(-(|x| - r0)^2 / (2 s^2))
///
/// Non-negative, flat (zero) over half the space, with a single maximum at x = r* w,
/// r* = (r0 + sqrt(r0^2 + 4 s^2)) / 2, of value r* exp(-(r* - r0)^2 / (2 s^2)).
///
/// @param dimension code length; range [1, inf).
/// @param seed draws w (stream (seed, 0, 0, user)).
/// @param preferred_norm r0; default (nullopt): sqrt(dimension), the typical norm of an
///        N(0, I) code; range (0, inf).
/// @param norm_width s; default (nullopt): r0 / 2; range (0, inf).
class UnitLike {
 public:
  explicit UnitLike(Index dimension, std::uint64_t seed = 0,
                    std::optional<double> preferred_norm = std::nullopt,
                    std::optional<double> norm_width = std::nullopt) {
    detail::require_at_least("xdream::UnitLike", "dimension", dimension, Index{1});
    r0_ = preferred_norm.value_or(std::sqrt(static_cast<double>(dimension)));
    detail::require_positive("xdream::UnitLike", "preferred_norm", r0_);
    width_ = norm_width.value_or(r0_ / 2.0);
    detail::require_positive("xdream::UnitLike", "preferred_norm", r0_);
    detail::require_positive("xdream::UnitLike", "norm_width", width_);
    Engine rng = make_stream(seed, 0, 0, Purpose::user);
    boost::random::normal_distribution<double> normal;
    Eigen::VectorXd w(dimension);
    for (Index i = 0; i < dimension; ++i) w[i] = normal(rng);
    direction_ = w.normalized();
  }

  Scores evaluate(const Population& x) const {
    detail::require_stimulus_rows("xdream::UnitLike::evaluate", x.rows(), dimension());
    const Eigen::MatrixXd xd = x.cast<double>();
    const Eigen::VectorXd drive = (direction_.transpose() * xd).transpose();
    const Eigen::ArrayXd norms = xd.colwise().norm().transpose().array();
    const Eigen::ArrayXd tuning = (-(norms - r0_).square() / (2.0 * width_ * width_)).exp();
    return (drive.array().max(0.0) * tuning).matrix();
  }

  Index dimension() const noexcept { return direction_.size(); }
  /// The preferred direction w (unit norm).
  const Eigen::VectorXd& direction() const noexcept { return direction_; }
  double optimum_norm() const noexcept {
    return (r0_ + std::sqrt(r0_ * r0_ + 4.0 * width_ * width_)) / 2.0;
  }
  Code optimum() const { return (optimum_norm() * direction_).cast<float>(); }
  double optimum_value() const noexcept {
    const double r = optimum_norm();
    return r * std::exp(-(r - r0_) * (r - r0_) / (2.0 * width_ * width_));
  }

 private:
  double r0_ = 0.0;
  double width_ = 0.0;
  Eigen::VectorXd direction_;
};

}  // namespace xdream
