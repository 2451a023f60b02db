#pragma once
/// @file
/// Separable (diagonal) CMA-ES.

#include <xdream/algorithms/detail/cma_parameters.hpp>
#include <xdream/algorithms/detail/mean_search.hpp>
#include <xdream/algorithms/detail/ranking.hpp>
#include <xdream/algorithms/detail/sampling.hpp>
#include <xdream/detail/check_scores.hpp>
#include <xdream/detail/state_checkpoint.hpp>
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
/// `SepCMA` (an oracle in the tests): mu = lambda / 2 log-rank weights ln(mu + 1) - ln i,
/// c_1 = 2 / ((n + 1.3)^2 + mu_eff), c_mu = (n + 2) / 3 * c_mu(full), c_sigma = (mu_eff + 2) /
/// (n + mu_eff + 3), d_sigma = 1 + 2 max(0, sqrt((mu_eff - 1) / (n + 1)) - 1) + c_sigma,
/// c_c = 4 / (n + 4), cumulative step-size adaptation with the h_sigma stall.
///
/// NaN scores rank below every valid score; a generation with no valid score leaves the
/// distribution unchanged and shows the same samples again. The recommendation is the mean.
/// Sample k of generation g is drawn from stream (seed, g, k): a seed gives the same run at any
/// thread count.
class SepCMAES : public detail::StateCheckpoint<SepCMAES>,
                 public detail::MeanSearch<SepCMAES>,
                 public detail::CMAConstants {
 public:
  /// Starts at mean 0.
  explicit SepCMAES(Index code_size, SepCMAESOptions options = {})
      : SepCMAES(Code::Zero(detail::checked_code_size(where, code_size)), options) {}

  /// Starts at the given mean.
  explicit SepCMAES(const Code& initial_mean, SepCMAESOptions options = {}) : options_(options) {
    const Index n = detail::checked_initial_mean(where, initial_mean);
    detail::settle_shared_options(where, options_, n);

    const double dim = static_cast<double>(n);
    detail::CMAParameters& p = parameters_;
    p.mu = options_.population_size / 2;
    p.weights = detail::normalized_log_rank_weights(p.mu, static_cast<double>(p.mu) + 0.5);
    p.mu_eff = detail::normalized_selection_mass(p.weights);
    p.c_1 = detail::hansen_c_1(dim, p.mu_eff);
    const double c_mu_full =
        2.0 / p.mu_eff / ((dim + std::sqrt(2.0)) * (dim + std::sqrt(2.0))) +
        (1.0 - 1.0 / p.mu_eff) *
            std::min(1.0, (2.0 * p.mu_eff - 1.0) / ((dim + 2.0) * (dim + 2.0) + p.mu_eff));
    p.c_mu = (dim + 2.0) / 3.0 * c_mu_full;
    p.c_sigma = (p.mu_eff + 2.0) / (dim + p.mu_eff + 3.0);
    p.d_sigma = detail::hansen_d_sigma(dim, p.mu_eff, p.c_sigma);
    p.c_c = detail::plain_c_c(dim);
    p.chi_n = detail::expected_normal_norm(dim);

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
    if (!detail::rank_new_generation("xdream::SepCMAES::tell", scores, options_.population_size,
                                     order_, state_.generation)) {
      return;  // nothing learned: show the same samples again
    }
    const Index n = code_size();
    const detail::CMAParameters& p = parameters_;
    Eigen::VectorXd& mean = state_.mean;
    const double sigma = state_.sigma;
    const Eigen::ArrayXd std_devs = standard_deviations();

    // y_k = (x_k - m) / sigma for the mu best; y_w their weighted mean.
    selected_.resize(n, p.mu);
    for (Index i = 0; i < p.mu; ++i) {
      selected_.col(i) =
          (samples_.col(order_[static_cast<std::size_t>(i)]).cast<double>() - mean) / sigma;
    }
    const Eigen::VectorXd y_w = selected_ * p.weights;
    mean += sigma * y_w;

    detail::cumulate(state_.path_sigma, p.c_sigma, p.mu_eff, (y_w.array() / std_devs).matrix());
    const double delta_h_sigma = detail::adapt_sigma_and_path_c(p, state_, y_w);

    const Eigen::VectorXd rank_mu = selected_.array().square().matrix() * p.weights;
    state_.variances = detail::covariance_decay(p, delta_h_sigma) * state_.variances.array() +
                       p.c_1 * state_.path_c.array().square() + p.c_mu * rank_mu.array();
    sample();
  }

  /// Diagonal of the covariance matrix C.
  const Eigen::VectorXd& variances() const noexcept { return state_.variances; }
  const SepCMAESOptions& options() const noexcept { return options_; }
  // The strategy constants (mu(), weights(), mu_eff(), c_1(), c_mu(), c_sigma(), d_sigma(),
  // c_c(), chi_n()) come from CMAConstants.

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
  static constexpr const char* where = "xdream::SepCMAES";

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
  Eigen::MatrixXd z_;
  Population samples_;
  Eigen::MatrixXd selected_;
  std::vector<Index> order_;
};

}  // namespace xdream
