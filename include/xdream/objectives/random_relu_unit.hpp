#pragma once
/// @file
/// A synthetic neuron computed by a small random two-layer ReLU network.

#include <xdream/detail/validate.hpp>
#include <xdream/objectives/detail/contrast_unit.hpp>
#include <xdream/objectives/detail/random_directions.hpp>
#include <xdream/population.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace xdream {

/// Settings of RandomReluUnit. Defaults: the DeePSiM fc6 scale (see docs/algorithms.md,
/// "Domain benchmark").
struct RandomReluUnitOptions {
  /// h, the number of hidden units; default 32; range [1, inf).
  Index hidden_units = 32;
  /// A, the response scale; default 100, the order of magnitude of evolved CaffeNet unit
  /// activations; range (0, inf). Rank-based algorithms do not see it; FDGD and NES do.
  double amplitude = 100.0;
  /// c50 of the contrast function, in code units; default 150; range (0, inf).
  double half_saturation_norm = 150.0;
  /// q of the contrast function; default 2; range (0, inf).
  double contrast_exponent = 2.0;
};

/// A synthetic unit: the output of a random two-layer ReLU network without biases, read on the
/// direction of the code, times a saturating response to its norm:
///
///   f(x) = A * max(0, sum_j a_j max(0, w_j . x / |x|)) * g(|x|),
///   g(r) = r^q / (r^q + c50^q)  (Naka-Rushton),
///
/// w_j random unit vectors (hidden units' filters), a_j ~ N(0, 1) of both signs (excitatory and
/// inhibitory inputs) scaled so that sqrt(sum over a_j > 0 of a_j^2) = 1. A ReLU network without
/// biases is positively homogeneous, net(x) = |x| net(x / |x|), so it would grow without bound
/// with the norm; the contrast function replaces that linear growth by saturation, as in
/// AngleContrastUnit (which is the case h = 1). f >= 0; f(0) = 0. With orthogonal filters the
/// supremum would be exactly A (along sum over a_j > 0 of a_j w_j); random filters in high
/// dimension are nearly orthogonal, so sup f is close to A.
///
/// @param dimension code length; range [1, inf).
/// @param seed draws the filters and the output weights (streams (seed, 0..1, column, user)):
///        the same seed gives the same unit.
class RandomReluUnit : public detail::ContrastUnit<RandomReluUnitOptions> {
 public:
  explicit RandomReluUnit(Index dimension, std::uint64_t seed = 0,
                          RandomReluUnitOptions options = {})
      : ContrastUnit(where, dimension, options) {
    detail::require_at_least(where, "hidden_units", options_.hidden_units, Index{1});
    check_response_scale(where);

    filters_ = detail::gaussian_matrix(dimension, options_.hidden_units, seed, 0);
    filters_.colwise().normalize();
    output_ = detail::gaussian_matrix(options_.hidden_units, 1, seed, 1).col(0);
    const double excitatory = output_.cwiseMax(0.0).norm();
    // With no excitatory input the unit never responds; keep it well defined anyway.
    if (excitatory > 0.0) output_ /= excitatory;
  }

  Scores evaluate(const Population& x) const {
    detail::require_stimulus_rows("xdream::RandomReluUnit::evaluate", x.rows(), dimension());
    const Eigen::MatrixXd xd = x.cast<double>();
    const Eigen::MatrixXd hidden = filters_.transpose() * xd;  // h x N, w_j . x
    Scores out(x.cols());
    for (Index i = 0; i < x.cols(); ++i) {
      const double norm = xd.col(i).norm();
      if (!(norm > 0.0)) {
        out[i] = 0.0;
        continue;
      }
      const double net = output_.dot((hidden.col(i) / norm).cwiseMax(0.0));
      out[i] = scaled(std::max(0.0, net), norm);
    }
    return out;
  }

  Index dimension() const noexcept { return filters_.rows(); }
  /// The hidden units' filters w_j, one unit vector per column (n x h).
  const Eigen::MatrixXd& filters() const noexcept { return filters_; }
  /// The output weights a_j (length h).
  const Eigen::VectorXd& output_weights() const noexcept { return output_; }

 private:
  static constexpr const char* where = "xdream::RandomReluUnit";

  Eigen::MatrixXd filters_;
  Eigen::VectorXd output_;
};

}  // namespace xdream
