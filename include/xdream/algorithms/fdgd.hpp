#pragma once
/// @file
/// Finite-difference gradient ascent with antithetic Gaussian probes (XDream's FDGD).

#include <xdream/algorithms/detail/antithetic.hpp>
#include <xdream/detail/check_scores.hpp>
#include <xdream/detail/state_checkpoint.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

#include <cstdint>
#include <string>
#include <tuple>

namespace xdream {

/// Settings of FDGD. Defaults: the paper's (Xiao & Kreiman 2020).
struct FDGDOptions {
  /// Samples per generation, 2K for K antithetic pairs; default 20; range: even, [2, inf).
  Index population_size = 20;
  /// Probe radius r: each probe is d_k ~ N(0, r^2 I); default 1.25; range (0, inf).
  double radius = 1.25;
  /// Step size lr of `c <- c + lr g`; default 1.25; range (0, inf).
  double learning_rate = 1.25;
  std::uint64_t seed = 0;
  /// Threads used for sampling; results do not depend on it; range [1, inf).
  int threads = 1;
};

/// Everything needed to continue an FDGD run bit-identically.
struct FDGDState {
  Eigen::VectorXd centre;
  std::uint64_t generation = 0;
  /// All fields, in a fixed order: the checkpoint format (io/archive.hpp).
  auto tie() { return std::tie(centre, generation); }
  auto tie() const { return std::tie(centre, generation); }
};

/// Finite-difference gradient ascent (FDGD), the gradient-estimation baseline of XDream
/// (Xiao & Kreiman, PLOS Comput Biol 2020). Maximizes.
///
/// Each generation shows K = population_size / 2 antithetic pairs around the centre c and no
/// centre: column 2k is c + d_k, column 2k + 1 is c - d_k, with d_k ~ N(0, r^2 I). Given their
/// scores f+_k and f-_k,
///
///   g = (1/K) sum_k ((f+_k - f-_k) / 2) d_k / a_k^2,   a_k = mean_j |d_kj|,
///   c <- c + lr g.
///
/// a_k is the mean absolute element of d_k (as in the paper), not its L2 norm: for large n,
/// a_k ~ r sqrt(2/pi), so g estimates (pi/2) times the gradient of f along the probes.
///
/// A pair with a NaN score contributes nothing and K counts the valid pairs; a generation with no
/// valid pair leaves the centre unchanged and shows the same samples again. The recommendation is
/// the centre (never the luckiest sample). Pair k of generation g is drawn from stream
/// (seed, g, k): a seed gives the same run at any thread count.
class FDGD : public detail::AntitheticSearch<FDGD, FDGDOptions, FDGDState> {
  using Base = detail::AntitheticSearch<FDGD, FDGDOptions, FDGDState>;
  friend Base;

 public:
  /// Starts at centre 0.
  explicit FDGD(Index code_size, FDGDOptions options = {})
      : FDGD(Code::Zero(checked_size(code_size)), options) {}

  /// Starts at the given centre.
  explicit FDGD(const Code& initial_centre, FDGDOptions options = {})
      : Base(initial_centre, options) {
    sample();
  }

  /// Takes one score per column of `ask()` (larger is better, NaN = no response), moves the
  /// centre along the estimated gradient and samples the next generation.
  void tell(const Scores& scores) {
    detail::check_scores("xdream::FDGD::tell", scores, options_.population_size);
    const Index valid = weigh_pairs(scores, [&](Index k, double plus, double minus) {
      const double mean_abs = options_.radius * z_.col(k).cwiseAbs().mean();  // a_k
      return (plus - minus) / 2.0 / (mean_abs * mean_abs);
    });
    if (valid == 0) return;  // nothing learned: show the same samples again
    // d_k = r z_k, so sum_k w_k d_k = r Z w.
    advance(options_.learning_rate * options_.radius / static_cast<double>(valid));
  }

  /// The stable name that tags this algorithm's checkpoints.
  static std::string name() { return "fdgd"; }

 private:
  static constexpr const char* where = "xdream::FDGD";
  static constexpr const char* state_rule = " (or its centre holds NaN or inf)";
  static void check_own_options(const FDGDOptions&) {}
  static bool own_state_fits(const FDGDState&) { return true; }
  // The probes d_k = r z_k are drawn at the fixed radius.
  double probe_scale() const noexcept { return options_.radius; }
};

}  // namespace xdream
