#pragma once
/// @file
/// Antithetic natural evolution strategies with an isotropic Gaussian (Ilyas-style NES).

#include <xdream/algorithms/detail/antithetic.hpp>
#include <xdream/detail/check_scores.hpp>
#include <xdream/detail/state_checkpoint.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>

namespace xdream {

/// Settings of NES. Defaults: the XDream paper's (Xiao & Kreiman 2020).
struct NESOptions {
  /// Samples per generation, 2K for K antithetic pairs; default 20; range: even, [2, inf).
  Index population_size = 20;
  /// Initial search radius r (std of the samples around the centre); default 1.25; range (0, inf);
  /// with radius learning on, [min_radius, inf).
  double radius = 1.25;
  /// Step size lr of `c <- c + lr g`; default 1.75; range (0, inf).
  double learning_rate = 1.75;
  /// Radius learning rate rho; default 0.05; range [0, inf); 0 keeps the radius fixed.
  double radius_learning_rate = 0.05;
  /// Floor r_min of the learned radius; default 0.01; range (0, inf).
  double min_radius = 0.01;
  std::uint64_t seed = 0;
  /// Threads used for sampling; results do not depend on it; range [1, inf).
  int threads = 1;
};

/// Everything needed to continue an NES run bit-identically.
struct NESState {
  Eigen::VectorXd centre;
  double radius = 1.25;
  std::uint64_t generation = 0;
  /// All fields, in a fixed order: the checkpoint format (io/archive.hpp).
  auto tie() { return std::tie(centre, radius, generation); }
  auto tie() const { return std::tie(centre, radius, generation); }
};

/// Natural evolution strategies with antithetic sampling (Ilyas et al., ICML 2018), the NES
/// baseline of XDream (Xiao & Kreiman, PLOS Comput Biol 2020). Maximizes.
///
/// Each generation shows K = population_size / 2 antithetic pairs around the centre c: column 2k
/// is c + r z_k, column 2k + 1 is c - r z_k, z_k ~ N(0, I) (the minus sample's direction is
/// -z_k). On the raw scores f_i of all 2K samples, with u_i their directions (+-z_k):
///
///   g = mean_i(f_i u_i) / r                               (the search gradient of E[f] in c)
///   c <- c + lr g
///   r <- max(r + rho * mean_i(f_i (mean_j(u_ij^2) - 1)) / r, r_min)      (when rho > 0)
///
/// Reading of the radius rule: (z^2 - 1) / r is the score function of r for one coordinate,
/// d/dr log N(x; c, r^2) = (z^2 - 1) / r. Summed over the n coordinates it would scale the step
/// with n (and make rho = 0.05 unstable at n = 4096), so the rule averages it over coordinates:
/// mean_j(z_kj^2 - 1) = |z_k|^2 / n - 1, a dimension-free step. Both samples of a pair share it,
/// so the step is mean_k(((f+_k + f-_k) / 2) (|z_k|^2 / n - 1)) / r. The centre and the radius
/// are both updated from the same samples with the old radius; the floor applies only when the
/// radius is learned.
///
/// A pair with a NaN score contributes nothing and the means run over the valid pairs; a
/// generation with no valid pair changes nothing and shows the same samples again. The
/// recommendation is the centre. Pair k of generation g is drawn from stream (seed, g, k): a
/// seed gives the same run at any thread count.
class NES : public detail::AntitheticSearch<NES, NESOptions, NESState> {
  using Base = detail::AntitheticSearch<NES, NESOptions, NESState>;
  friend Base;

 public:
  /// Starts at centre 0.
  explicit NES(Index code_size, NESOptions options = {})
      : NES(Code::Zero(checked_size(code_size)), options) {}

  /// Starts at the given centre.
  explicit NES(const Code& initial_centre, NESOptions options = {})
      : Base(initial_centre, options) {
    state_.radius = options_.radius;
    sample();
  }

  /// Takes one score per column of `ask()` (larger is better, NaN = no response), moves the
  /// centre (and the radius) and samples the next generation.
  void tell(const Scores& scores) {
    detail::check_scores("xdream::NES::tell", scores, options_.population_size);
    const double dimension = static_cast<double>(code_size());
    const bool learn_radius = options_.radius_learning_rate > 0.0;
    double radius_step = 0.0;
    const Index valid = weigh_pairs(scores, [&](Index k, double plus, double minus) {
      if (learn_radius) {
        radius_step += (plus + minus) / 2.0 * (z_.col(k).squaredNorm() / dimension - 1.0);
      }
      // Over the pair, f+ z_k + f- (-z_k) = 2 ((f+ - f-) / 2) z_k.
      return (plus - minus) / 2.0;
    });
    if (valid == 0) return;  // nothing learned: show the same samples again
    const double radius = state_.radius, count = static_cast<double>(valid);
    // Both steps use the old radius; the centre moves in `advance`.
    if (learn_radius) {
      state_.radius =
          std::max(radius + options_.radius_learning_rate * (radius_step / count) / radius,
                   options_.min_radius);
    }
    advance(options_.learning_rate / (count * radius));
  }

  /// The current search radius r.
  double radius() const noexcept { return state_.radius; }

  /// The stable name that tags this algorithm's checkpoints.
  static std::string name() { return "nes"; }

 private:
  static constexpr const char* where = "xdream::NES";
  static constexpr const char* state_rule =
      " (or its centre or radius is not finite, or radius <= 0)";

  static void check_own_options(const NESOptions& options) {
    if (!(options.radius_learning_rate >= 0.0 && std::isfinite(options.radius_learning_rate))) {
      detail::invalid(where, "radius_learning_rate", detail::to_text(options.radius_learning_rate),
                      "a finite value >= 0");
    }
    detail::require_positive(where, "min_radius", options.min_radius);
    if (options.radius_learning_rate > 0.0 && options.radius < options.min_radius) {
      detail::invalid(where, "radius", detail::to_text(options.radius),
                      ">= min_radius = " + detail::to_text(options.min_radius) +
                          " while radius_learning_rate > 0");
    }
  }
  static bool own_state_fits(const NESState& state) {
    return state.radius > 0.0 && std::isfinite(state.radius);
  }
  // The pairs are drawn at the learned radius.
  double probe_scale() const noexcept { return state_.radius; }
};

}  // namespace xdream
