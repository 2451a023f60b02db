#pragma once
/// @file
/// Poisson spike-count noise around any objective (design section 6).

#include <xdream/concepts.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <boost/random/poisson_distribution.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

namespace xdream {

/// Settings of PoissonNoise.
struct PoissonNoiseOptions {
  /// L: expected spike count of the unit's reference max response; default 20 (the paper's
  /// "noisy" condition; it uses 5 ... 250); range (0, inf).
  double expected_spikes = 20.0;
  /// The unit's reference max activation (e.g. its best response to a natural-image set);
  /// required (no default); range (0, inf).
  double reference_max = std::numeric_limits<double>::quiet_NaN();
  /// Repeated presentations averaged per stimulus; default 1; range [1, inf).
  int reps = 1;
  std::uint64_t seed = 0;
};

/// Makes an objective behave like a spiking neuron (Xiao & Kreiman, PLOS Comput Biol 2020): each
/// clean activation a becomes
///
///   score = (1 / reps) sum_{t < reps} Poisson(max(0, a lambda)) / lambda,
///   lambda = expected_spikes / reference_max,
///
/// so the reference max response elicits `expected_spikes` spikes on average, the score's mean is
/// max(0, a) and its variance max(0, a) / (lambda reps). A NaN (or infinite) clean score is passed
/// through unchanged.
///
/// Forwards `evaluate(stimuli)` to the wrapped objective, for any stimuli it accepts, and keeps
/// its scores as `clean_scores()` (so the Optimizer reports clean and noisy scores apart). Holds
/// the objective by value; `PoissonNoise<MyObjective&>` refers to one instead.
///
/// Randomness: the spikes for stimulus i of the e-th call to `evaluate` (counting from 0) come
/// from stream (seed, e, i, Purpose::noise), so a seed reproduces the noise exactly. Give stacked
/// noise wrappers different seeds.
template <class Inner>
class PoissonNoise {
 public:
  PoissonNoise(Inner objective, PoissonNoiseOptions options)
      : objective_(std::forward<Inner>(objective)), options_(options) {
    constexpr const char* where = "xdream::PoissonNoise";
    detail::require_positive(where, "expected_spikes", options_.expected_spikes);
    detail::require_positive(where, "reference_max", options_.reference_max);
    detail::require_at_least(where, "reps", options_.reps, 1);
    spikes_per_unit_ = options_.expected_spikes / options_.reference_max;
    detail::require_positive(where, "expected_spikes / reference_max", spikes_per_unit_);
  }

  /// Scores `stimuli` with the wrapped objective and adds the spike noise.
  template <class Stimuli>
    requires Objective<std::remove_cvref_t<Inner>, Stimuli>
  Scores evaluate(const Stimuli& stimuli) {
    clean_ = objective_.evaluate(stimuli);
    Scores noisy(clean_.size());
    const std::uint64_t call = evaluations_++;
    const double scale = 1.0 / (spikes_per_unit_ * static_cast<double>(options_.reps));
    for (Index i = 0; i < clean_.size(); ++i) {
      const double a = clean_[i];
      const double rate = a * spikes_per_unit_;
      if (!std::isfinite(rate)) {
        noisy[i] = a;
        continue;
      }
      if (rate <= 0.0) {  // Poisson(0) = 0 spikes
        noisy[i] = 0.0;
        continue;
      }
      Engine rng = make_stream(options_.seed, call, static_cast<std::uint64_t>(i), Purpose::noise);
      boost::random::poisson_distribution<std::int64_t, double> spikes(rate);
      std::int64_t total = 0;
      for (int t = 0; t < options_.reps; ++t) total += spikes(rng);
      noisy[i] = static_cast<double>(total) * scale;
    }
    return noisy;
  }

  /// The wrapped objective's scores of the last `evaluate` (empty before the first).
  const Scores& clean_scores() const noexcept { return clean_; }

  /// lambda = expected_spikes / reference_max: expected spikes per unit of activation.
  double spikes_per_unit() const noexcept { return spikes_per_unit_; }
  const PoissonNoiseOptions& options() const noexcept { return options_; }
  std::remove_reference_t<Inner>& objective() noexcept { return objective_; }
  const std::remove_reference_t<Inner>& objective() const noexcept { return objective_; }

  /// Calls to `evaluate` so far: the next call draws from stream coordinate `evaluations()`.
  std::uint64_t evaluations() const noexcept { return evaluations_; }
  /// Sets the call count (to resume a run's noise exactly).
  void set_evaluations(std::uint64_t count) noexcept { evaluations_ = count; }

 private:
  Inner objective_;
  PoissonNoiseOptions options_;
  double spikes_per_unit_ = 0.0;
  std::uint64_t evaluations_ = 0;
  Scores clean_;
};

template <class Inner>
PoissonNoise(Inner, PoissonNoiseOptions) -> PoissonNoise<Inner>;

}  // namespace xdream
