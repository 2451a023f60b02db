#pragma once
/// @file
/// Ranking of scores for the distribution-based algorithms.

#include <xdream/detail/check_scores.hpp>
#include <xdream/population.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string_view>
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

/// The start of a ranked `tell`: checks the scores (`where`: the caller, for messages) and,
/// unless none is valid, ranks them into `order` and counts the generation. Returns false, having
/// changed nothing, when no score is valid (the caller then shows the same samples again).
inline bool rank_new_generation(std::string_view where, const Scores& scores, Index expected,
                                std::vector<Index>& order, std::uint64_t& generation) {
  check_scores(where, scores, expected);
  if (count_valid(scores) == 0) return false;
  rank_descending(scores, order);
  ++generation;
  return true;
}

}  // namespace xdream::detail
