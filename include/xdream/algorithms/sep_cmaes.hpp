#pragma once
/// @file
/// Separable (diagonal) CMA-ES.

#include <xdream/detail/state_checkpoint.hpp>
#include <xdream/algorithms/detail/chi_n.hpp>
#include <xdream/algorithms/detail/ranking.hpp>
#include <xdream/algorithms/detail/sampling.hpp>
#include <xdream/detail/check_scores.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace xdream {

/// Settings of SepCMAES. Defaults: the reference's (Ros & Hansen 2008).
struct SepCMAESOptions {
  /// Samples per generation (lambda); 0 = the reference default 4 + floor(3 ln n); range [2, inf).
  Index population_size = 0;
  /// Initial step size sigma0; default 1; range (0, inf). Wang & Ponce use 3 for fc6 codes.
  double sigma = 1.0;
  std::uint64_t seed = 0;
  /// Threads used for sampling; results do not depend on it; range [1, inf).
  int threads = 1;
};

/// Everything needed to continue a SepCMAES run bit-identically.
struct SepCMAESState {
  Eigen::VectorXd mean, variances, path_sigma, path_c;
  double sigma = 1.0;
  std::uint64_t generation = 0;
  /// All fields, in a fixed order: the checkpoint format (io/archive.hpp).
  auto tie() { return std::tie(mean, variances, path_sigma, path_c, sigma, generation); }
  auto tie() const { return std::tie(mean, variances, path_sigma, path_c, sigma, generation); }
};

/// sep-CMA-ES (Ros & Hansen, PPSN 2008): CMA-ES with a diagonal covariance, O(n) per sample, the
/// best CMA variant under noise in Wang & Ponce (GECCO 2022). Maximizes. The update equations
/// and constants are those of the reference, as implemented by the `cmaes` Python package's
/// `SepCMA` (an oracle in the tests): mu = lambda / 2 log-rank weights, c1 = 2 / ((n + 1.3)^2 +
/// mu_eff), c_mu = (n + 2) / 3 * c_mu(full), c_sigma = (mu_eff + 2) / (n + mu_eff + 3),
/// c_c = 4 / (n + 4), cumulative step-size adaptation with the h_sigma stall.
///
/// NaN scores rank below every valid score; a generation with no valid score leaves the
/// distribution unchanged and shows the same samples again. The recommendation is the mean.
/// Sample k of generation g is drawn from stream (seed, g, k): a seed gives the same run at any
/// thread count.
class SepCMAES : public detail::StateCheckpoint<SepCMAES> {
 public:
  /// Starts at mean 0.
  explicit SepCMAES(Index code_size, SepCMAESOptions options = {})
      : SepCMAES(Code::Zero(checked_size(code_size)), options) {}

  /// Starts at the given mean.
  explicit SepCMAES(const Code& initial_mean, SepCMAESOptions options = {}) : options_(options) {
    constexpr const char* where = "xdream::SepCMAES";
    const Index n = checked_size(initial_mean.size());
    if (!initial_mean.allFinite())
      throw std::invalid_argument("xdream::SepCMAES: the initial mean holds NaN or inf");
    if (options_.population_size == 0) {
      options_.population_size =
          4 + static_cast<Index>(std::floor(3.0 * std::log(static_cast<double>(n))));
    }
    detail::require_at_least(where, "population_size", options_.population_size, Index{2});
    detail::require_positive(where, "sigma", options_.sigma);
    detail::require_at_least(where, "threads", options_.threads, 1);

    const double dim = static_cast<double>(n);
    mu_ = options_.population_size / 2;
    weights_.resize(mu_);
    for (Index i = 0; i < mu_; ++i) {
      weights_[i] =
          std::log(static_cast<double>(mu_) + 1.0) - std::log(static_cast<double>(i) + 1.0);
    }
    weights_ /= weights_.sum();
    mu_eff_ = 1.0 / weights_.squaredNorm();
    c1_ = 2.0 / ((dim + 1.3) * (dim + 1.3) + mu_eff_);
    const double c_mu_full =
        2.0 / mu_eff_ / ((dim + std::sqrt(2.0)) * (dim + std::sqrt(2.0))) +
        (1.0 - 1.0 / mu_eff_) *
            std::min(1.0, (2.0 * mu_eff_ - 1.0) / ((dim + 2.0) * (dim + 2.0) + mu_eff_));
    c_mu_ = (dim + 2.0) / 3.0 * c_mu_full;
    c_sigma_ = (mu_eff_ + 2.0) / (dim + mu_eff_ + 3.0);
    d_sigma_ = 1.0 + 2.0 * std::max(0.0, std::sqrt((mu_eff_ - 1.0) / (dim + 1.0)) - 1.0) + c_sigma_;
    c_c_ = 4.0 / (dim + 4.0);
    chi_n_ = detail::expected_normal_norm(dim);

    state_.mean = initial_mean.cast<double>();
    state_.variances = Eigen::VectorXd::Ones(n);
    state_.path_sigma = Eigen::VectorXd::Zero(n);
    state_.path_c = Eigen::VectorXd::Zero(n);
    state_.sigma = options_.sigma;
    sample();
  }

  /// The codes to present now (`code_size x population_size`).
  const Population& ask() const noexcept { return samples_; }

  /// Takes one score per column of `ask()` (larger is better, NaN = no response) and updates the
  /// distribution; then samples the next generation.
  void tell(const Scores& scores) {
    const Index lambda = options_.population_size;
    detail::check_scores("xdream::SepCMAES::tell", scores, lambda);
    if (detail::count_valid(scores) == 0) return;  // nothing learned: show the same samples again
    detail::rank_descending(scores, order_);
    ++state_.generation;
    const Index n = code_size();
    Eigen::VectorXd& mean = state_.mean;
    const double sigma = state_.sigma;
    const Eigen::ArrayXd std_devs = standard_deviations();

    // y_k = (x_k - m) / sigma for the mu best; y_w their weighted mean.
    selected_.resize(n, mu_);
    for (Index i = 0; i < mu_; ++i) {
      selected_.col(i) =
          (samples_.col(order_[static_cast<std::size_t>(i)]).cast<double>() - mean) / sigma;
    }
    const Eigen::VectorXd y_w = selected_ * weights_;
    mean += sigma * y_w;

    state_.path_sigma =
        (1.0 - c_sigma_) * state_.path_sigma +
        std::sqrt(c_sigma_ * (2.0 - c_sigma_) * mu_eff_) * (y_w.array() / std_devs).matrix();
    const double norm_p_sigma = state_.path_sigma.norm();
    state_.sigma =
        std::min(sigma * std::exp(c_sigma_ / d_sigma_ * (norm_p_sigma / chi_n_ - 1.0)), 1e32);

    const double stall =
        norm_p_sigma /
        std::sqrt(1.0 -
                  std::pow(1.0 - c_sigma_, 2.0 * (static_cast<double>(state_.generation) + 1.0)));
    const double h_sigma =
        stall < (1.4 + 2.0 / (static_cast<double>(n) + 1.0)) * chi_n_ ? 1.0 : 0.0;
    state_.path_c =
        (1.0 - c_c_) * state_.path_c + h_sigma * std::sqrt(c_c_ * (2.0 - c_c_) * mu_eff_) * y_w;
    const double delta_h_sigma = (1.0 - h_sigma) * c_c_ * (2.0 - c_c_);

    const Eigen::VectorXd rank_mu = selected_.array().square().matrix() * weights_;
    state_.variances =
        (1.0 + c1_ * delta_h_sigma - c1_ - c_mu_ * weights_.sum()) * state_.variances.array() +
        c1_ * state_.path_c.array().square() + c_mu_ * rank_mu.array();
    sample();
  }

  /// The mean of the search distribution (never the luckiest sample).
  Code recommendation() const { return state_.mean.cast<float>(); }

  Index code_size() const noexcept { return state_.mean.size(); }
  Index population_size() const noexcept { return options_.population_size; }
  std::uint64_t generation() const noexcept { return state_.generation; }
  double sigma() const noexcept { return state_.sigma; }
  const Eigen::VectorXd& mean() const noexcept { return state_.mean; }
  /// Diagonal of the covariance matrix C.
  const Eigen::VectorXd& variances() const noexcept { return state_.variances; }
  const SepCMAESOptions& options() const noexcept { return options_; }

  /// Strategy constants (for tests and reports).
  Index mu() const noexcept { return mu_; }
  double mu_eff() const noexcept { return mu_eff_; }
  const Eigen::VectorXd& weights() const noexcept { return weights_; }

  /// The stable name that tags this algorithm's checkpoints.
  static std::string name() { return "sep-cmaes"; }

  const SepCMAESState& state() const noexcept { return state_; }
  /// Continues from a saved state (same options); resamples the current generation exactly.
  void restore(SepCMAESState state) {
    const Index n = code_size();
    if (state.mean.size() != n || state.variances.size() != n || state.path_sigma.size() != n ||
        state.path_c.size() != n || !(state.sigma > 0.0)) {
      throw std::invalid_argument(
          "xdream::SepCMAES::restore: the state does not fit a code size of " + std::to_string(n));
    }
    state_ = std::move(state);
    sample();
  }

 private:
  static Index checked_size(Index n) {
    detail::require_at_least("xdream::SepCMAES", "code_size", n, Index{2});
    return n;
  }

  // sqrt(C), with negative variances (numerical accidents) replaced by 1e-8 as the reference does.
  Eigen::ArrayXd standard_deviations() const {
    return (state_.variances.array() < 0.0).select(1e-8, state_.variances.array()).sqrt();
  }

  void sample() {
    const Index n = code_size(), lambda = options_.population_size;
    z_.resize(n, lambda);
    detail::fill_standard_normal(z_, options_.seed, state_.generation, options_.threads);
    const Eigen::ArrayXd scale = state_.sigma * standard_deviations();
    samples_.resize(n, lambda);
    for (Index k = 0; k < lambda; ++k) {
      samples_.col(k) = (state_.mean.array() + scale * z_.col(k).array()).cast<float>().matrix();
    }
  }

  SepCMAESOptions options_;
  SepCMAESState state_;
  Index mu_ = 0;
  Eigen::VectorXd weights_;
  double mu_eff_ = 0, c1_ = 0, c_mu_ = 0, c_sigma_ = 0, d_sigma_ = 0, c_c_ = 0, chi_n_ = 0;
  Eigen::MatrixXd z_;
  Population samples_;
  Eigen::MatrixXd selected_;
  std::vector<Index> order_;
};

}  // namespace xdream
