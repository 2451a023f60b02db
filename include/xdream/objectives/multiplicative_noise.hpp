#pragma once
/// @file
/// Multiplicative Gaussian noise around any objective (design section 6).

#include <xdream/concepts.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <boost/random/normal_distribution.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace xdream {

/// Settings of MultiplicativeNoise.
struct MultiplicativeNoiseOptions {
  /// nu, the relative noise level; default 0.2 (Wang & Ponce use 0.2 and 0.5); range [0, inf).
  double noise_level = 0.2;
  std::uint64_t seed = 0;
};

/// The noise model of Wang & Ponce (GECCO 2022): each clean activation a becomes
///
///   score = a * max(0, 1 + nu Z),   Z ~ N(0, 1),
///
/// a gain that is never negative, so the sign of a is kept (a negative a gives a score <= 0).
/// Its mean is a * (Phi(1/nu) + nu phi(1/nu)) (Phi, phi: the standard normal cdf and pdf): the
/// clipping biases it up by a factor 1 + 1e-8 at nu = 0.2 and 1.0042 at nu = 0.5. NaN clean
/// scores stay NaN; nu = 0 gives the clean scores.
///
/// Forwards `evaluate(stimuli)` to the wrapped objective, for any stimuli it accepts, and keeps
/// its scores as `clean_scores()` (so the Optimizer reports clean and noisy scores apart). Holds
/// the objective by value; `MultiplicativeNoise<MyObjective&>` refers to one instead.
///
/// Randomness: Z for stimulus i of the e-th call to `evaluate` (counting from 0) comes from
/// stream (seed, e, i, Purpose::noise), so a seed reproduces the noise exactly. Give stacked
/// noise wrappers different seeds.
template <class Inner>
class MultiplicativeNoise {
 public:
  MultiplicativeNoise(Inner objective, MultiplicativeNoiseOptions options)
      : objective_(std::forward<Inner>(objective)), options_(options) {
    if (!(options_.noise_level >= 0.0 && std::isfinite(options_.noise_level))) {
      detail::invalid("xdream::MultiplicativeNoise", "noise_level",
                      detail::to_text(options_.noise_level), "a finite value >= 0");
    }
  }

  /// Scores `stimuli` with the wrapped objective and multiplies each score by its noisy gain.
  template <class Stimuli>
    requires Objective<std::remove_cvref_t<Inner>, Stimuli>
  Scores evaluate(const Stimuli& stimuli) {
    clean_ = objective_.evaluate(stimuli);
    Scores noisy(clean_.size());
    const std::uint64_t call = evaluations_++;
    for (Index i = 0; i < clean_.size(); ++i) {
      Engine rng = make_stream(options_.seed, call, static_cast<std::uint64_t>(i), Purpose::noise);
      boost::random::normal_distribution<double> normal;
      noisy[i] = clean_[i] * std::max(0.0, 1.0 + options_.noise_level * normal(rng));
    }
    return noisy;
  }

  /// The wrapped objective's scores of the last `evaluate` (empty before the first).
  const Scores& clean_scores() const noexcept { return clean_; }

  const MultiplicativeNoiseOptions& options() const noexcept { return options_; }
  std::remove_reference_t<Inner>& objective() noexcept { return objective_; }
  const std::remove_reference_t<Inner>& objective() const noexcept { return objective_; }

  /// Calls to `evaluate` so far: the next call draws from stream coordinate `evaluations()`.
  std::uint64_t evaluations() const noexcept { return evaluations_; }
  /// Sets the call count (to resume a run's noise exactly).
  void set_evaluations(std::uint64_t count) noexcept { evaluations_ = count; }

 private:
  Inner objective_;
  MultiplicativeNoiseOptions options_;
  std::uint64_t evaluations_ = 0;
  Scores clean_;
};

template <class Inner>
MultiplicativeNoise(Inner, MultiplicativeNoiseOptions) -> MultiplicativeNoise<Inner>;

}  // namespace xdream
