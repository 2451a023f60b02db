#pragma once
/// @file
/// The sphere test function, as a maximization problem.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

#include <utility>

namespace xdream {

/// f(x) = -|x - c|^2: maximum 0 at x = c. The default centre is the all-ones code, so that the
/// N(0, 1) initial population does not start on the optimum.
class Sphere {
 public:
  explicit Sphere(Index dimension, float centre = 1.0f)
      : centre_(Code::Constant(checked(dimension), centre)) {}
  explicit Sphere(Code centre) : centre_(std::move(centre)) { checked(centre_.size()); }

  Scores evaluate(const Population& x) const {
    return -(x.colwise() - centre_).colwise().squaredNorm().transpose().cast<double>();
  }

  Index dimension() const noexcept { return centre_.size(); }
  const Code& optimum() const noexcept { return centre_; }
  static constexpr double optimum_value() noexcept { return 0.0; }

 private:
  static Index checked(Index dimension) {
    detail::require_at_least("xdream::Sphere", "dimension", dimension, Index{1});
    return dimension;
  }
  Code centre_;
};

}  // namespace xdream
