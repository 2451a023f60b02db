#pragma once
/// @file
/// The Naka-Rushton contrast-response function, the saturating norm dependence of the synthetic
/// neuron-like objectives.

#include <xdream/detail/validate.hpp>

#include <cmath>
#include <string_view>

namespace xdream {

/// The Naka-Rushton function (Naka & Rushton 1966; Albrecht & Hamilton 1982), the standard
/// model of how a visual neuron's response grows with stimulus contrast and saturates:
///
///   g(r) = r^q / (r^q + c50^q),   g(0) = 0, g(c50) = 1/2, g(r) -> 1 as r -> inf.
///
/// In a generator's code space the norm of a code plays the part of contrast: a larger code makes
/// a higher-contrast image (DeePSiM fc6), so the objectives apply g to a code norm.
///
/// @param half_saturation c50, the norm at which the response is half its ceiling; default 150
///        (half the typical norm, about 300, of codes evolved in DeePSiM fc6 space, Wang & Ponce
///        2022); range (0, inf).
/// @param exponent q; default 2 (the typical exponent of V1 contrast-response fits); range (0,
/// inf).
struct NakaRushton {
  double half_saturation = 150.0;
  double exponent = 2.0;

  /// g(r) for r >= 0.
  double operator()(double r) const noexcept {
    if (!(r > 0.0)) return 0.0;
    // r^q / (r^q + c^q) = 1 / (1 + (c / r)^q): no overflow for large r.
    return 1.0 / (1.0 + std::pow(half_saturation / r, exponent));
  }

  /// Throws std::invalid_argument naming `where` if a parameter is out of range.
  void validate(std::string_view where) const {
    detail::require_positive(where, "half_saturation_norm", half_saturation);
    detail::require_positive(where, "contrast_exponent", exponent);
  }
};

}  // namespace xdream
