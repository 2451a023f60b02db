#pragma once
/// @file
/// A synthetic neuron tuned to the direction of a code, with a saturating response to its norm.

#include <xdream/detail/validate.hpp>
#include <xdream/objectives/detail/contrast_unit.hpp>
#include <xdream/objectives/detail/random_directions.hpp>
#include <xdream/population.hpp>

#include <cmath>
#include <cstdint>

namespace xdream {

/// Settings of AngleContrastUnit. Defaults: the DeePSiM fc6 scale (see docs/algorithms.md,
/// "Domain benchmark").
struct AngleContrastUnitOptions {
  /// A, the response ceiling (approached along w as the norm grows); default 100, the order of
  /// magnitude of evolved CaffeNet unit activations; range (0, inf). Rank-based algorithms do not
  /// see it; FDGD and NES, which step by raw scores, do.
  double amplitude = 100.0;
  /// p, the exponent of the rectified cosine; default 2 (half response at 45 degrees from w);
  /// range (0, inf).
  double angle_exponent = 2.0;
  /// c50 of the contrast function, in code units; default 150; range (0, inf).
  double half_saturation_norm = 150.0;
  /// q of the contrast function; default 2; range (0, inf).
  double contrast_exponent = 2.0;
};

/// A unit with angle/contrast structure: what it responds to is the direction of the code; the
/// norm of the code acts as image contrast and saturates:
///
///   f(x) = A * max(0, cos(x, w))^p * g(|x|),   g(r) = r^q / (r^q + c50^q)  (Naka-Rushton),
///
/// w a random unit vector (the preferred direction). f depends on x only through its angle to w
/// and its norm; f >= 0, f = 0 on the half-space w . x <= 0 and at x = 0; sup f = A, approached
/// along w as |x| -> inf (never attained: there is no finite optimum, as for a real unit whose
/// contrast response saturates). At |x| = 300, the norm of typical evolved fc6 codes, g = 0.8
/// with the defaults; at |x| = 64, the norm of an N(0, I) code in 4096-d, g = 0.15.
///
/// @param dimension code length; range [1, inf).
/// @param seed draws w (stream (seed, 0, 0, user)): the same seed gives the same unit.
class AngleContrastUnit : public detail::ContrastUnit<AngleContrastUnitOptions> {
 public:
  explicit AngleContrastUnit(Index dimension, std::uint64_t seed = 0,
                             AngleContrastUnitOptions options = {})
      : ContrastUnit(where, dimension, options) {
    detail::require_positive(where, "amplitude", options_.amplitude);
    detail::require_positive(where, "angle_exponent", options_.angle_exponent);
    contrast_.validate(where);
    direction_ = detail::gaussian_matrix(dimension, 1, seed, 0).col(0).normalized();
  }

  Scores evaluate(const Population& x) const {
    detail::require_stimulus_rows("xdream::AngleContrastUnit::evaluate", x.rows(), dimension());
    Scores out(x.cols());
    for (Index i = 0; i < x.cols(); ++i) {
      const Eigen::VectorXd xi = x.col(i).cast<double>();
      const double norm = xi.norm();
      out[i] = norm > 0.0 ? response(direction_.dot(xi) / norm, norm) : 0.0;
    }
    return out;
  }

  /// f for a code at angle arccos(cosine) from w with norm `norm`.
  double response(double cosine, double norm) const noexcept {
    if (!(cosine > 0.0)) return 0.0;
    return scaled(std::pow(cosine, options_.angle_exponent), norm);
  }

  Index dimension() const noexcept { return direction_.size(); }
  /// The preferred direction w (unit norm).
  const Eigen::VectorXd& direction() const noexcept { return direction_; }
  /// sup f = A (approached, never attained).
  double supremum() const noexcept { return options_.amplitude; }

 private:
  static constexpr const char* where = "xdream::AngleContrastUnit";

  Eigen::VectorXd direction_;
};

}  // namespace xdream
