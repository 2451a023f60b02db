#pragma once
/// @file
/// The sphere test function, as a maximization problem.

#include <xdream/detail/validate.hpp>
#include <xdream/objectives/detail/centred_function.hpp>
#include <xdream/population.hpp>

#include <utility>

namespace xdream {

/// f(x) = -|x - c|^2: maximum 0 at x = c. The default centre is the all-ones code, so that the
/// N(0, 1) initial population does not start on the optimum.
class Sphere : public detail::CentredFunction {
 public:
  explicit Sphere(Index dimension, float centre = 1.0f)
      : CentredFunction("xdream::Sphere", dimension, centre) {}
  explicit Sphere(Code centre) : CentredFunction("xdream::Sphere", std::move(centre)) {}

  Scores evaluate(const Population& x) const {
    detail::require_stimulus_rows("xdream::Sphere::evaluate", x.rows(), dimension());
    return -(x.colwise() - centre()).colwise().squaredNorm().transpose().cast<double>();
  }
};

}  // namespace xdream
