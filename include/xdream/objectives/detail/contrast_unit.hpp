#pragma once
/// @file
/// What the synthetic neuron-like units share: their settings, the Naka-Rushton contrast
/// function made from them, the checks of the code length and of the response scale, and the
/// response A * drive * g(|x|).

#include <xdream/detail/validate.hpp>
#include <xdream/objectives/naka_rushton.hpp>
#include <xdream/population.hpp>

#include <string_view>

namespace xdream::detail {

/// The base of AngleContrastUnit, RandomReluUnit and SubspaceUnit. `Options` holds at least
/// `amplitude` (A), `half_saturation_norm` and `contrast_exponent` (the contrast function's c50
/// and q).
template <class Options>
class ContrastUnit {
 public:
  const Options& options() const noexcept { return options_; }

 protected:
  /// Keeps `options` and checks `dimension` (range [1, inf)), naming `where` when it is out of
  /// range. The unit's other settings are checked by the unit, in the order it documents.
  ContrastUnit(std::string_view where, Index dimension, const Options& options)
      : options_(options), contrast_{options.half_saturation_norm, options.contrast_exponent} {
    require_at_least(where, "dimension", dimension, Index{1});
  }

  /// Checks the amplitude, then the contrast function's settings.
  void check_response_scale(std::string_view where) const {
    require_positive(where, "amplitude", options_.amplitude);
    contrast_.validate(where);
  }

  /// A * drive * g(norm), multiplied in that order.
  double scaled(double drive, double norm) const noexcept {
    return options_.amplitude * drive * contrast_(norm);
  }

  Options options_;
  NakaRushton contrast_;
};

}  // namespace xdream::detail
