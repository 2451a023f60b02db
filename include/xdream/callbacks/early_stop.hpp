#pragma once
/// @file
/// Stopping rules: no progress for a while, or a target reached.

#include <xdream/detail/validate.hpp>
#include <xdream/result.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

namespace xdream::callbacks {

/// Stops when the best score so far has not improved by more than `min_delta` for `patience`
/// consecutive generations.
/// @param patience generations without improvement tolerated; range [1, inf).
/// @param min_delta improvement that counts; default 0; range [0, inf).
class EarlyStop {
 public:
  explicit EarlyStop(std::uint32_t patience, double min_delta = 0.0)
      : patience_(patience), min_delta_(min_delta) {
    detail::require_at_least("xdream::callbacks::EarlyStop", "patience", patience, 1u);
    detail::require_closed("xdream::callbacks::EarlyStop", "min_delta", min_delta, 0.0,
                           std::numeric_limits<double>::infinity());
  }

  bool on_generation(const GenerationReport& report) {
    const double best = report.best.score;
    if (std::isnan(reference_) || best > reference_ + min_delta_) {
      if (!std::isnan(best)) reference_ = best;
      stale_ = 0;
      return false;
    }
    return ++stale_ >= patience_;
  }

 private:
  std::uint32_t patience_;
  double min_delta_;
  double reference_ = not_a_score;
  std::uint32_t stale_ = 0;
};

/// Stops as soon as the best score so far reaches `target` (the clean score when the objective
/// reports one, so noise cannot end a run by luck).
class StopAtScore {
 public:
  explicit StopAtScore(double target) : target_(target) {
    if (std::isnan(target))
      detail::invalid("xdream::callbacks::StopAtScore", "target", "nan", "a number");
  }
  bool on_generation(const GenerationReport& report) const {
    const double value =
        report.clean_scores.size() > 0 ? report.stats.best_clean : report.best.score;
    return value >= target_;
  }

 private:
  double target_;
};

}  // namespace xdream::callbacks
