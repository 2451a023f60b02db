#pragma once
/// @file
/// Seeded random directions and subspaces for the synthetic objectives.

#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <boost/random/normal_distribution.hpp>

#include <cstdint>

namespace xdream::detail {

/// A `rows x cols` matrix of i.i.d. N(0, 1), column j drawn from stream (seed, part, j, user), so
/// each part of an objective owns its draws and the matrix does not depend on anything else.
inline Eigen::MatrixXd gaussian_matrix(Index rows, Index cols, std::uint64_t seed,
                                       std::uint64_t part) {
  Eigen::MatrixXd m(rows, cols);
  for (Index j = 0; j < cols; ++j) {
    Engine rng = make_stream(seed, part, static_cast<std::uint64_t>(j), Purpose::user);
    boost::random::normal_distribution<double> normal;
    for (Index i = 0; i < rows; ++i) m(i, j) = normal(rng);
  }
  return m;
}

/// Orthonormalizes the columns of `m` in place (modified Gram-Schmidt, applied twice for
/// orthogonality to rounding error). The columns must be linearly independent, which i.i.d.
/// Gaussian columns are with probability 1 when cols <= rows.
inline void orthonormalize_columns(Eigen::MatrixXd& m) {
  for (int pass = 0; pass < 2; ++pass) {
    for (Index j = 0; j < m.cols(); ++j) {
      for (Index i = 0; i < j; ++i) m.col(j) -= m.col(i).dot(m.col(j)) * m.col(i);
      m.col(j).normalize();
    }
  }
}

}  // namespace xdream::detail
