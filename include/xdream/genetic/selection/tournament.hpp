#pragma once
/// @file
/// Tournament selection.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <boost/random/uniform_int_distribution.hpp>

#include <algorithm>

namespace xdream {

/// Tournament selection (Goldberg & Deb 1991): draw `size` contestants uniformly with
/// replacement; the best-scoring one is the parent. Rank-based, so insensitive to the scale of
/// the scores. P(rank i) = ((n - i)^k - (n - i - 1)^k) / n^k for ranks i = 0 (best) ... n - 1.
///
/// @param size contestants per tournament; default 2; range [1, inf). 1 = uniform choice.
class TournamentSelection {
 public:
  explicit TournamentSelection(int size = 2) : size_(size) {
    detail::require_at_least("xdream::TournamentSelection", "size", size, 1);
  }

  void prepare(const Scores& sorted) { n_ = sorted.size(); }

  Index draw(Engine& rng) const {
    boost::random::uniform_int_distribution<Index> pick(0, n_ - 1);
    Index best = pick(rng);
    for (int k = 1; k < size_; ++k) best = std::min(best, pick(rng));  // sorted: lower = better
    return best;
  }

  int size() const noexcept { return size_; }

 private:
  int size_;
  Index n_ = 0;
};

}  // namespace xdream
