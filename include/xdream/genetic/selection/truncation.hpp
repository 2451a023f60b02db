#pragma once
/// @file
/// Truncation selection.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <boost/random/uniform_int_distribution.hpp>

#include <algorithm>
#include <cmath>

namespace xdream {

/// Truncation selection (Mühlenbein & Schlierkamp-Voosen 1993): parents are drawn uniformly,
/// with replacement, from the best ceil(fraction * n) individuals (at least one).
///
/// @param fraction share of the population allowed to breed; default 0.5; range (0, 1].
class TruncationSelection {
 public:
  explicit TruncationSelection(double fraction = 0.5) : fraction_(fraction) {
    if (!(fraction > 0.0 && fraction <= 1.0)) {
      detail::invalid("xdream::TruncationSelection", "fraction", detail::to_text(fraction),
                      "(0, 1]");
    }
  }

  void prepare(const Scores& sorted) {
    const auto n = static_cast<double>(sorted.size());
    breeders_ = std::max<Index>(1, static_cast<Index>(std::ceil(fraction_ * n - 1e-9)));
  }

  Index draw(Engine& rng) const {
    return boost::random::uniform_int_distribution<Index>(0, breeders_ - 1)(rng);
  }

  double fraction() const noexcept { return fraction_; }
  /// How many of the best individuals may breed after the last `prepare`.
  Index breeders() const noexcept { return breeders_; }

 private:
  double fraction_;
  Index breeders_ = 1;
};

}  // namespace xdream
