#pragma once
/// @file
/// The Rastrigin test function, as a maximization problem.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

#include <numbers>

namespace xdream {

/// f(x) = -(10 n + sum_i (y_i^2 - 10 cos(2 pi y_i))), y = x - c: highly multimodal (a local
/// maximum near every integer lattice point of y); global maximum 0 at x = c.
class Rastrigin {
 public:
  explicit Rastrigin(Index dimension, float centre = 1.0f)
      : centre_(Code::Constant(checked(dimension), centre)) {}

  Scores evaluate(const Population& x) const {
    const Eigen::ArrayXXd y = (x.colwise() - centre_).cast<double>().array();
    const Eigen::ArrayXXd terms = y.square() - 10.0 * (2.0 * std::numbers::pi * y).cos();
    return -(terms.colwise().sum().transpose() + 10.0 * static_cast<double>(dimension())).matrix();
  }

  Index dimension() const noexcept { return centre_.size(); }
  const Code& optimum() const noexcept { return centre_; }
  static constexpr double optimum_value() noexcept { return 0.0; }

 private:
  static Index checked(Index dimension) {
    detail::require_at_least("xdream::Rastrigin", "dimension", dimension, Index{1});
    return dimension;
  }
  Code centre_;
};

}  // namespace xdream
