#pragma once
/// @file
/// The Rastrigin test function, as a maximization problem.

#include <xdream/detail/validate.hpp>
#include <xdream/objectives/detail/centred_function.hpp>
#include <xdream/population.hpp>

#include <numbers>

namespace xdream {

/// f(x) = -(10 n + sum_i (y_i^2 - 10 cos(2 pi y_i))), y = x - c: highly multimodal (a local
/// maximum near every integer lattice point of y); global maximum 0 at x = c.
class Rastrigin : public detail::CentredFunction {
 public:
  explicit Rastrigin(Index dimension, float centre = 1.0f)
      : CentredFunction("xdream::Rastrigin", dimension, centre) {}

  Scores evaluate(const Population& x) const {
    detail::require_stimulus_rows("xdream::Rastrigin::evaluate", x.rows(), dimension());
    const Eigen::ArrayXXd y = (x.colwise() - centre()).cast<double>().array();
    const Eigen::ArrayXXd terms = y.square() - 10.0 * (2.0 * std::numbers::pi * y).cos();
    return -(terms.colwise().sum().transpose() + 10.0 * static_cast<double>(dimension())).matrix();
  }
};

}  // namespace xdream
