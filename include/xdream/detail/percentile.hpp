#pragma once
/// @file
/// Percentile with linear interpolation (NumPy's default method).

#include <xdream/population.hpp>

#include <cmath>

namespace xdream::detail {

/// The q-th percentile (0..100) of values given sorted from high to low, interpolating linearly
/// between closest ranks as `numpy.percentile(..., method='linear')` does.
inline double percentile_of_descending(const Scores& descending, double q) {
  const Index n = descending.size();
  if (n == 1) return descending[0];
  const double rank = q / 100.0 * static_cast<double>(n - 1);  // position in ascending order
  const auto lo = static_cast<Index>(std::floor(rank));
  const Index hi = lo + 1 < n ? lo + 1 : lo;
  const double frac = rank - static_cast<double>(lo);
  const double a = descending[n - 1 - lo];
  const double b = descending[n - 1 - hi];
  return a + (b - a) * frac;
}

}  // namespace xdream::detail
