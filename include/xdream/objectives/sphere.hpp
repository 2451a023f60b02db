#pragma once
/// @file
/// The sphere test function, as a maximization problem.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

#include <stdexcept>
#include <utility>

namespace xdream {

/// f(x) = -|x - c|^2: maximum 0 at x = c. The default centre is the all-ones code, so that the
/// N(0, 1) initial population does not start on the optimum.
class Sphere {
 public:
  explicit Sphere(Index dimension, float centre = 1.0f)
      : centre_(Code::Constant(checked(dimension), centre)) {
    check_centre();
  }
  explicit Sphere(Code centre) : centre_(std::move(centre)) {
    checked(centre_.size());
    check_centre();
  }

  Scores evaluate(const Population& x) const {
    detail::require_stimulus_rows("xdream::Sphere::evaluate", x.rows(), dimension());
    return -(x.colwise() - centre_).colwise().squaredNorm().transpose().cast<double>();
  }

  Index dimension() const noexcept { return centre_.size(); }
  const Code& optimum() const noexcept { return centre_; }
  static constexpr double optimum_value() noexcept { return 0.0; }

 private:
  void check_centre() const {
    if (!centre_.allFinite()) {
      throw std::invalid_argument("xdream::Sphere: the centre (optimum) holds NaN or inf");
    }
  }
  static Index checked(Index dimension) {
    detail::require_at_least("xdream::Sphere", "dimension", dimension, Index{1});
    return dimension;
  }
  Code centre_;
};

}  // namespace xdream
