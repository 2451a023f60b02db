#pragma once
/// @file
/// E|N(0, I_n)|, the reference length of the CMA family's step-size control.

#include <cmath>

namespace xdream::detail {

/// Hansen's approximation of the expected norm of an n-dimensional standard normal vector:
/// sqrt(n) (1 - 1 / (4n) + 1 / (21 n^2)).
inline double expected_normal_norm(double n) {
  return std::sqrt(n) * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n));
}

}  // namespace xdream::detail
