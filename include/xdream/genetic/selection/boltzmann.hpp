#pragma once
/// @file
/// XDream's fitness-proportionate (roulette) selection on Boltzmann fitness.

#include <xdream/detail/percentile.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace xdream {

/// What a fitness that underflows to 0 means to BoltzmannSelection: `never_pick` (the default),
/// the individual is never a parent; `smallest_positive` (XDream's published code), its fitness
/// becomes the smallest positive fitness of the generation, so it can still be picked, rarely.
enum class FitnessUnderflow { never_pick, smallest_positive };

/// Roulette-wheel selection on exponential fitness, exactly as XDream's genetic algorithm
/// (Xiao & Kreiman 2020, published code: the selection step of its generation):
///
/// - kT = max(std(s) / selectivity, 1e-8), population std (ddof 0) of the valid scores,
///   taken **before** clipping;
/// - the sorted scores are clipped from above at their 95th percentile (linear interpolation);
/// - fitness F_i = exp((s_i - s_max) / kT) on the clipped scores;
/// - each parent is drawn independently, with replacement, with probability F_i / sum(F).
///
/// A score far below the best can get a fitness that underflows to 0 (exp of less than -745):
/// `underflow` says whether it may still be picked (FitnessUnderflow).
///
/// @param selectivity how strongly fitness favours high scores; default 2 (paper, fc6);
///        range (0, inf). Wang & Ponce's lab GA uses 0.5 (kT = 2 std).
/// @param underflow what a fitness of 0 means (see above); default never_pick.
class BoltzmannSelection {
 public:
  explicit BoltzmannSelection(double selectivity = 2.0,
                              FitnessUnderflow underflow = FitnessUnderflow::never_pick)
      : selectivity_(selectivity), underflow_(underflow) {
    detail::require_positive("xdream::BoltzmannSelection", "selectivity", selectivity);
  }

  /// Builds the roulette wheel from the valid scores sorted from high to low.
  void prepare(const Scores& sorted) {
    const auto n = static_cast<std::size_t>(sorted.size());
    cumulative_.resize(n);
    probabilities_.resize(n);
    if (n == 0) return;
    const double mean = sorted.mean();
    const double std_dev = std::sqrt((sorted.array() - mean).square().mean());
    kT_ = std::max(std_dev / selectivity_, 1e-8);
    // Sorted from high to low: the 95th percentile of the ascending order.
    const double ceiling = detail::percentile_of_descending(sorted, 95.0);
    const double top = std::min(sorted[0], ceiling);
    // The fitness of each individual first (in probabilities_), then their running sum.
    double smallest_positive = INFINITY;
    for (std::size_t i = 0; i < n; ++i) {
      const double clipped = std::min(sorted[static_cast<Index>(i)], ceiling);
      probabilities_[i] = std::exp((clipped - top) / kT_);
      if (probabilities_[i] > 0.0)
        smallest_positive = std::min(smallest_positive, probabilities_[i]);
    }
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      if (probabilities_[i] == 0.0 && underflow_ == FitnessUnderflow::smallest_positive) {
        probabilities_[i] = smallest_positive;
      }
      total += probabilities_[i];
      cumulative_[i] = total;
    }
    for (std::size_t i = 0; i < n; ++i) {
      probabilities_[i] = (cumulative_[i] - (i ? cumulative_[i - 1] : 0.0)) / total;
    }
  }

  /// Draws one parent: index into the sorted scores with probability F_i / sum(F).
  Index draw(Engine& rng) const {
    const double u = detail::uniform01(rng) * cumulative_.back();
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
    const auto i = static_cast<Index>(it - cumulative_.begin());
    return std::min(i, static_cast<Index>(cumulative_.size()) - 1);
  }

  double selectivity() const noexcept { return selectivity_; }
  FitnessUnderflow underflow() const noexcept { return underflow_; }
  /// kT of the last `prepare` (the temperature of the Boltzmann fitness).
  double temperature() const noexcept { return kT_; }
  /// Selection probability of each sorted individual after the last `prepare`.
  const std::vector<double>& probabilities() const noexcept { return probabilities_; }

 private:
  double selectivity_;
  FitnessUnderflow underflow_;
  double kT_ = 1.0;
  std::vector<double> cumulative_;
  std::vector<double> probabilities_;
};

}  // namespace xdream
