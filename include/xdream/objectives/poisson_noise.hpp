#pragma once
/// @file
/// Poisson spike-count noise around any objective (an in-silico spiking neuron).

#include <xdream/concepts.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/objectives/detail/noise_wrapper.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <boost/random/poisson_distribution.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

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

namespace detail {
/// Spike counts around a clean activation (see PoissonNoise).
struct PoissonSpikes {
  using Options = PoissonNoiseOptions;
  static constexpr const char* name = "poisson-noise";
  double spikes_per_unit = 0.0;
  int reps = 1;

  template <class Stream>
  double operator()(double a, Stream& stream) const {
    const double rate = a * spikes_per_unit;
    if (!std::isfinite(rate)) return a;
    if (rate <= 0.0) return 0.0;  // Poisson(0) = 0 spikes
    boost::random::poisson_distribution<std::int64_t, double> spikes(rate);
    std::int64_t total = 0;
    for (int t = 0; t < reps; ++t) total += spikes(stream());
    // Multiplied by the reciprocal, as it always was: a quotient rounds differently.
    const double scale = 1.0 / (spikes_per_unit * static_cast<double>(reps));
    return static_cast<double>(total) * scale;
  }

  static PoissonSpikes checked(const PoissonNoiseOptions& options) {
    constexpr const char* where = "xdream::PoissonNoise";
    require_positive(where, "expected_spikes", options.expected_spikes);
    require_positive(where, "reference_max", options.reference_max);
    require_at_least(where, "reps", options.reps, 1);
    const double spikes_per_unit = options.expected_spikes / options.reference_max;
    require_positive(where, "expected_spikes / reference_max", spikes_per_unit);
    return {spikes_per_unit, options.reps};
  }
};
}  // namespace detail

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
/// the objective by value; `PoissonNoise<MyObjective&>` refers to one instead. Checkpointable:
/// a checkpoint keeps its stream position (`evaluations()`), so a resumed run draws the same
/// spikes.
///
/// Randomness: the spikes for stimulus i of the e-th call to `evaluate` (counting from 0) come
/// from stream (seed, e, i, Purpose::noise), so a seed reproduces the noise exactly. Give stacked
/// noise wrappers different seeds.
template <class Inner>
class PoissonNoise : public detail::NoiseWrapper<Inner, detail::PoissonSpikes> {
 public:
  using detail::NoiseWrapper<Inner, detail::PoissonSpikes>::NoiseWrapper;

  /// lambda = expected_spikes / reference_max: expected spikes per unit of activation.
  double spikes_per_unit() const noexcept { return this->noise().spikes_per_unit; }
};

template <class Inner>
PoissonNoise(Inner, PoissonNoiseOptions) -> PoissonNoise<Inner>;

}  // namespace xdream
