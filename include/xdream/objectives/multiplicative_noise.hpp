#pragma once
/// @file
/// Multiplicative Gaussian noise around any objective (Wang & Ponce's noise model).

#include <xdream/concepts.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/objectives/detail/noise_wrapper.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <boost/random/normal_distribution.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace xdream {

/// Settings of MultiplicativeNoise.
struct MultiplicativeNoiseOptions {
  /// nu, the relative noise level; default 0.2 (Wang & Ponce use 0.2 and 0.5); range [0, inf).
  double noise_level = 0.2;
  std::uint64_t seed = 0;
};

namespace detail {
/// A noisy gain on a clean activation (see MultiplicativeNoise).
struct NoisyGain {
  using Options = MultiplicativeNoiseOptions;
  static constexpr const char* name = "multiplicative-noise";
  double noise_level = 0.0;

  template <class Stream>
  double operator()(double a, Stream& stream) const {
    boost::random::normal_distribution<double> normal;
    return a * std::max(0.0, 1.0 + noise_level * normal(stream()));
  }

  static NoisyGain checked(const MultiplicativeNoiseOptions& options) {
    if (!(options.noise_level >= 0.0 && std::isfinite(options.noise_level))) {
      invalid("xdream::MultiplicativeNoise", "noise_level", to_text(options.noise_level),
              "a finite value >= 0");
    }
    return {options.noise_level};
  }
};
}  // namespace detail

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
/// Checkpointable: a checkpoint keeps its stream position (`evaluations()`).
///
/// Randomness: Z for stimulus i of the e-th call to `evaluate` (counting from 0) comes from
/// stream (seed, e, i, Purpose::noise), so a seed reproduces the noise exactly. Give stacked
/// noise wrappers different seeds.
template <class Inner>
class MultiplicativeNoise : public detail::NoiseWrapper<Inner, detail::NoisyGain> {
 public:
  using detail::NoiseWrapper<Inner, detail::NoisyGain>::NoiseWrapper;
};

template <class Inner>
MultiplicativeNoise(Inner, MultiplicativeNoiseOptions) -> MultiplicativeNoise<Inner>;

}  // namespace xdream
