#pragma once
/// @file
/// The Rastrigin test function, as a maximization problem.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

#include <numbers>
#include <stdexcept>

namespace xdream {

/// f(x) = -(10 n + sum_i (y_i^2 - 10 cos(2 pi y_i))), y = x - c: highly multimodal (a local
/// maximum near every integer lattice point of y); global maximum 0 at x = c.
class Rastrigin {
 public:
  explicit Rastrigin(Index dimension, float centre = 1.0f)
      : centre_(Code::Constant(checked(dimension), centre)) {
    check_centre();
  }

  Scores evaluate(const Population& x) const {
    detail::require_stimulus_rows("xdream::Rastrigin::evaluate", x.rows(), dimension());
    const Eigen::ArrayXXd y = (x.colwise() - centre_).cast<double>().array();
    const Eigen::ArrayXXd terms = y.square() - 10.0 * (2.0 * std::numbers::pi * y).cos();
    return -(terms.colwise().sum().transpose() + 10.0 * static_cast<double>(dimension())).matrix();
  }

  Index dimension() const noexcept { return centre_.size(); }
  const Code& optimum() const noexcept { return centre_; }
  static constexpr double optimum_value() noexcept { return 0.0; }

 private:
  void check_centre() const {
    if (!centre_.allFinite()) {
      throw std::invalid_argument("xdream::Rastrigin: the centre (optimum) holds NaN or inf");
    }
  }
  static Index checked(Index dimension) {
    detail::require_at_least("xdream::Rastrigin", "dimension", dimension, Index{1});
    return dimension;
  }
  Code centre_;
};

}  // namespace xdream
