#pragma once
/// @file
/// Ranking of scores for the distribution-based algorithms.

#include <xdream/population.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace xdream::detail {

/// Indices of `scores` from best (highest) to worst. NaN scores ("no response") rank below every
/// valid score; ties keep sample order, so the ranking is a function of the scores alone.
inline void rank_descending(const Scores& scores, std::vector<Index>& order) {
  order.resize(static_cast<std::size_t>(scores.size()));
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) {
    const bool a_valid = !std::isnan(scores[a]), b_valid = !std::isnan(scores[b]);
    if (a_valid != b_valid) return a_valid;
    return a_valid && scores[a] > scores[b];
  });
}

/// Number of non-NaN scores.
inline Index count_valid(const Scores& scores) {
  return static_cast<Index>((scores.array() == scores.array()).count());
}

}  // namespace xdream::detail
