#pragma once
/// @file
/// Full-covariance CMA-ES with lazy eigendecomposition.

#include <xdream/algorithms/detail/cma_parameters.hpp>
#include <xdream/algorithms/detail/mean_search.hpp>
#include <xdream/algorithms/detail/ranking.hpp>
#include <xdream/algorithms/detail/sampling.hpp>
#include <xdream/algorithms/detail/symmetric_eigen.hpp>
#include <xdream/detail/check_scores.hpp>
#include <xdream/detail/state_checkpoint.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace xdream {

/// Settings of CMAES. Defaults: the reference's (Hansen's tutorial, arXiv 1604.00772).
struct CMAESOptions {
  /// Samples per generation (lambda); 0 = the reference default 4 + floor(3 ln n); range [2, inf).
  Index population_size = 0;
  /// Initial step size sigma0; default 1; range (0, inf). Wang & Ponce use 3 for fc6 codes.
  double sigma = 1.0;
  std::uint64_t seed = 0;
  /// Threads used for drawing the normal deviates; results do not depend on it; range [1, inf).
  int threads = 1;
  /// Generations between two eigendecompositions of C; 0 = Hansen's lazy schedule
  /// max(1, floor(1 / (10 n (c_1 + c_mu)))) (19 at n = 4096, lambda = 40); 1 = every generation,
  /// as the `cmaes` Python package does; range [0, inf).
  Index decomposition_interval = 0;
};

/// Everything needed to continue a CMAES run bit-identically: the distribution (mean, sigma, C),
/// the evolution paths, and the possibly stale eigendecomposition C = B diag(D^2) B^T that
/// sampling uses, with the generation it was computed at.
struct CMAESState {
  Eigen::VectorXd mean;
  /// C, symmetric (both triangles stored).
  Eigen::MatrixXd covariance;
  Eigen::VectorXd path_sigma, path_c;
  double sigma = 1.0;
  std::uint64_t generation = 0;
  /// B: orthonormal eigenvectors of C as of `decomposition_generation`, one per column.
  Eigen::MatrixXd eigenvectors;
  /// D: square roots of the matching eigenvalues (all > 0).
  Eigen::VectorXd sqrt_eigenvalues;
  std::uint64_t decomposition_generation = 0;
  /// All fields, in a fixed order: the checkpoint format (io/archive.hpp).
  auto tie() {
    return std::tie(mean, covariance, path_sigma, path_c, sigma, generation, eigenvectors,
                    sqrt_eigenvalues, decomposition_generation);
  }
  auto tie() const {
    return std::tie(mean, covariance, path_sigma, path_c, sigma, generation, eigenvectors,
                    sqrt_eigenvalues, decomposition_generation);
  }
};

/// CMA-ES with a full covariance matrix (Hansen, "The CMA Evolution Strategy: A Tutorial",
/// arXiv 1604.00772), with weighted recombination, cumulative step-size adaptation and the active
/// (negative-weight) covariance update. Maximizes. The constants and update equations are those
/// of the `cmaes` Python package's `CMA` class (an oracle in the tests): lambda log-rank weights,
/// the last lambda - mu negative and scaled by min(alpha_mu, alpha_mu_eff, alpha_pos_def);
/// c_1 = 2 / ((n + 1.3)^2 + mu_eff); c_mu = min(1 - c_1, 2 (mu_eff - 2 + 1/mu_eff) / ((n + 2)^2 +
/// mu_eff)); c_sigma = (mu_eff + 2) / (n + mu_eff + 5); c_c = (4 + mu_eff/n) / (n + 4 +
/// 2 mu_eff/n); the h_sigma stall; negative weights rescaled by n / |C^-1/2 y|^2; sigma capped at
/// 1e32; eigenvalues <= 0 replaced by 1e-8.
///
/// Cost at large n: B D is never formed. A generation samples all lambda codes as one matrix
/// product B (D Z), whitens them with one product B^T Y, and updates one triangle of C with one
/// rank-(lambda + 1) product: O(n^2 lambda). The eigendecomposition (O(n^3); blocked
/// tridiagonalization and divide and conquer, detail/symmetric_eigen.hpp, ~3x faster than Eigen's
/// SelfAdjointEigenSolver at n = 2048) is recomputed only every `decomposition_interval`
/// generations (Hansen's lazy update); in between, the stale B and D sample and whiten, as the
/// tutorial prescribes. While C is diagonal (a run's start) the
/// decomposition and the products with B are skipped: B = I exactly. While C = alpha I + a
/// rank-k update with k < n (k <= lambda generations: the first n / lambda generations), the
/// tridiagonalization stops after about k columns, the rest being alpha I to rounding, and the
/// back-transformation applies only those k reflectors: at n = 4096 the decompositions at
/// generations 19, 38 and 57 cost about 8, 13 and 18 s instead of 22-25 s each.
///
/// NaN scores rank below every valid score, so NaN samples take the lowest (negative) weights; a
/// generation with no valid score leaves the distribution unchanged and shows the same samples
/// again. The recommendation is the mean. Sample k of generation g is drawn from stream
/// (seed, g, k): a seed gives the same run at any thread count.
class CMAES : public detail::StateCheckpoint<CMAES>,
              public detail::MeanSearch<CMAES>,
              public detail::CMAConstants {
 public:
  /// Starts at mean 0.
  explicit CMAES(Index code_size, CMAESOptions options = {})
      : CMAES(Code::Zero(detail::checked_code_size(where, code_size)), options) {}

  /// Starts at the given mean, with C = I.
  explicit CMAES(const Code& initial_mean, CMAESOptions options = {}) : options_(options) {
    const Index n = detail::checked_initial_mean(where, initial_mean);
    detail::settle_shared_options(where, options_, n);
    detail::require_at_least(where, "decomposition_interval", options_.decomposition_interval,
                             Index{0});
    set_constants(n);

    state_.mean = initial_mean.cast<double>();
    state_.covariance = Eigen::MatrixXd::Identity(n, n);
    state_.path_sigma = Eigen::VectorXd::Zero(n);
    state_.path_c = Eigen::VectorXd::Zero(n);
    state_.sigma = options_.sigma;
    decompose();
    sample();
  }

  /// The codes to present now (`code_size x population_size`).
  const Population& ask() const noexcept { return samples_; }

  /// Takes one score per column of `ask()` (larger is better, NaN = no response) and updates the
  /// distribution; decomposes C when the decomposition is `decomposition_interval` generations
  /// old; then samples the next generation.
  void tell(const Scores& scores) {
    const Index lambda = options_.population_size;
    if (!detail::rank_new_generation("xdream::CMAES::tell", scores, lambda, order_,
                                     state_.generation)) {
      return;  // nothing learned: show the same samples again
    }
    const Index n = code_size();
    const double dim = static_cast<double>(n);
    const double sigma = state_.sigma;
    const detail::CMAParameters& p = parameters_;
    Eigen::VectorXd& mean = state_.mean;
    const Eigen::MatrixXd& b = state_.eigenvectors;
    const Eigen::VectorXd& d = state_.sqrt_eigenvalues;

    // y_k = (x_k - m) / sigma, best first, from the codes as presented (floats).
    y_.resize(n, lambda);
    for (Index i = 0; i < lambda; ++i) {
      y_.col(i) = (samples_.col(order_[static_cast<std::size_t>(i)]).cast<double>() - mean) / sigma;
    }
    const Eigen::VectorXd y_w = y_.leftCols(p.mu) * p.weights.head(p.mu);
    mean += sigma * y_w;

    // B^T y_k for every sample at once; C^-1/2 y = B D^-1 B^T y with the stale B and D.
    if (identity_axes_) {
      rotated_ = y_;
    } else {
      rotated_.noalias() = b.transpose() * y_;
    }
    const Eigen::VectorXd whitened_w =
        (rotated_.leftCols(p.mu) * p.weights.head(p.mu)).cwiseQuotient(d);
    if (identity_axes_) {
      detail::cumulate(state_.path_sigma, p.c_sigma, p.mu_eff, whitened_w);
    } else {
      detail::cumulate(state_.path_sigma, p.c_sigma, p.mu_eff, b * whitened_w);
    }
    const double delta_h_sigma = detail::adapt_sigma_and_path_c(p, state_, y_w);

    // C <- decay C + c_1 p_c p_c^T + c_mu sum_k w_k^o y_k y_k^T, as one rank-(lambda + 1) product
    // on the lower triangle. Negative weights are rescaled by n / |C^-1/2 y_k|^2 so that the
    // active update cannot make C indefinite (tutorial eq. 46).
    factors_.resize(n, lambda + 1);
    factors_.col(0) = state_.path_c;
    factors_.rightCols(lambda) = y_;
    coefficients_.resize(lambda + 1);
    coefficients_[0] = p.c_1;
    for (Index k = 0; k < lambda; ++k) {
      double w = p.weights[k];
      if (w < 0.0) w *= dim / (rotated_.col(k).cwiseQuotient(d).squaredNorm() + 1e-8);
      coefficients_[k + 1] = p.c_mu * w;
    }
    const double decay = detail::covariance_decay(p, delta_h_sigma);
    Eigen::MatrixXd& c = state_.covariance;
    c.triangularView<Eigen::Lower>() *= decay;
    weighted_factors_.noalias() = factors_ * coefficients_.asDiagonal();
    c.triangularView<Eigen::Lower>() += weighted_factors_ * factors_.transpose();
    mirror_lower(c);

    const Index interval = decomposition_interval();
    if (state_.generation - state_.decomposition_generation >=
        static_cast<std::uint64_t>(interval)) {
      decompose();
    }
    sample();
  }

  /// The covariance matrix C (symmetric), current as of the last tell.
  const Eigen::MatrixXd& covariance() const noexcept { return state_.covariance; }
  /// B: eigenvectors of C as of the last decomposition (possibly stale), one per column.
  const Eigen::MatrixXd& eigenvectors() const noexcept { return state_.eigenvectors; }
  /// D: square roots of C's eigenvalues as of the last decomposition (possibly stale).
  const Eigen::VectorXd& sqrt_eigenvalues() const noexcept { return state_.sqrt_eigenvalues; }
  /// Generations since B and D were computed from C (0 right after a decomposition).
  std::uint64_t decomposition_age() const noexcept {
    return state_.generation - state_.decomposition_generation;
  }
  /// The generations between two decompositions in force (the option, or the lazy default).
  Index decomposition_interval() const noexcept {
    return options_.decomposition_interval > 0 ? options_.decomposition_interval : lazy_interval_;
  }
  const CMAESOptions& options() const noexcept { return options_; }
  // The strategy constants (mu(), weights(): all lambda of them, the last lambda - mu negative;
  // mu_eff(), c_1(), c_mu(), c_sigma(), d_sigma(), c_c(), chi_n()) come from CMAConstants.

  /// The stable name that tags this algorithm's checkpoints.
  static std::string name() { return "cmaes"; }

  const CMAESState& state() const noexcept { return state_; }
  /// Continues from a saved state (same options); resamples the current generation exactly.
  void restore(CMAESState state) {
    const Index n = code_size();
    const bool fits = state.mean.size() == n && state.covariance.rows() == n &&
                      state.covariance.cols() == n && state.path_sigma.size() == n &&
                      state.path_c.size() == n && state.eigenvectors.rows() == n &&
                      state.eigenvectors.cols() == n && state.sqrt_eigenvalues.size() == n &&
                      state.sigma > 0.0 && std::isfinite(state.sigma) &&
                      (state.sqrt_eigenvalues.array() > 0.0).all() &&
                      state.decomposition_generation <= state.generation;
    if (!fits) {
      throw std::invalid_argument("xdream::CMAES::restore: the state does not fit a code size of " +
                                  std::to_string(n) +
                                  " (sizes, sigma > 0, D > 0, decomposition_generation <= "
                                  "generation)");
    }
    state_ = std::move(state);
    identity_axes_ = state_.eigenvectors.isIdentity(0.0);
    sample();
  }

 private:
  static constexpr double min_eigenvalue = 1e-8;  // replaces eigenvalues <= 0, as the reference

  static constexpr const char* where = "xdream::CMAES";

  void set_constants(Index n) {
    const double dim = static_cast<double>(n);
    const Index lambda = options_.population_size;
    detail::CMAParameters& p = parameters_;
    p.mu = lambda / 2;
    // All lambda log-rank weights ln((lambda + 1) / 2) - ln i: mu positive, the rest negative.
    const Eigen::VectorXd raw = detail::log_rank_weights(lambda, static_cast<double>(lambda) / 2.0);
    const Eigen::VectorXd positive = raw.head(p.mu), rest = raw.tail(lambda - p.mu);
    p.mu_eff = detail::selection_mass(positive);
    const double mu_eff_minus = detail::selection_mass(rest);

    constexpr double alpha_cov = 2.0;
    p.c_1 = detail::hansen_c_1(dim, p.mu_eff);
    p.c_mu =
        std::min(1.0 - p.c_1 - 1e-8, alpha_cov * (p.mu_eff - 2.0 + 1.0 / p.mu_eff) /
                                         ((dim + 2.0) * (dim + 2.0) + alpha_cov * p.mu_eff / 2.0));
    // With c_mu = 0 (lambda < 4) the first and last bounds are +inf and the middle one holds.
    const double min_alpha =
        std::min({1.0 + p.c_1 / p.c_mu, 1.0 + 2.0 * mu_eff_minus / (p.mu_eff + 2.0),
                  (1.0 - p.c_1 - p.c_mu) / (dim * p.c_mu)});
    double positive_sum = 0.0, negative_sum = 0.0;
    for (Index i = 0; i < lambda; ++i) {
      if (raw[i] > 0.0) positive_sum += raw[i];
      if (raw[i] < 0.0) negative_sum -= raw[i];
    }
    p.weights.resize(lambda);
    for (Index i = 0; i < lambda; ++i) {
      p.weights[i] = raw[i] >= 0.0 ? raw[i] / positive_sum : min_alpha / negative_sum * raw[i];
    }

    p.c_sigma = (p.mu_eff + 2.0) / (dim + p.mu_eff + 5.0);
    p.d_sigma = detail::hansen_d_sigma(dim, p.mu_eff, p.c_sigma);
    p.c_c = (4.0 + p.mu_eff / dim) / (dim + 4.0 + 2.0 * p.mu_eff / dim);
    p.chi_n = detail::expected_normal_norm(dim);
    lazy_interval_ =
        std::max<Index>(1, static_cast<Index>(std::floor(1.0 / (10.0 * dim * (p.c_1 + p.c_mu)))));
  }

  static bool is_diagonal(const Eigen::MatrixXd& c) {
    for (Index j = 0; j < c.cols(); ++j) {
      for (Index i = j + 1; i < c.rows(); ++i) {
        if (c(i, j) != 0.0) return false;
      }
    }
    return true;
  }

  // Copies the lower triangle onto the upper one, tile by tile to stay in cache.
  static void mirror_lower(Eigen::MatrixXd& c) {
    constexpr Index tile = 64;
    const Index n = c.rows();
    for (Index j0 = 0; j0 < n; j0 += tile) {
      for (Index i0 = 0; i0 <= j0; i0 += tile) {
        const Index j_end = std::min(j0 + tile, n), i_end = std::min(i0 + tile, n);
        for (Index j = j0; j < j_end; ++j) {
          for (Index i = i0; i < std::min(i_end, j); ++i) c(i, j) = c(j, i);
        }
      }
    }
  }

  // B, D from the current C. A diagonal C (the start) needs no solver: B = I exactly.
  void decompose() {
    Eigen::MatrixXd& c = state_.covariance;
    Eigen::VectorXd eigenvalues;
    if (is_diagonal(c)) {
      state_.eigenvectors.setIdentity(c.rows(), c.cols());
      eigenvalues = c.diagonal();
      identity_axes_ = true;
    } else {
      if (!c.allFinite()) {
        throw std::runtime_error(
            "xdream::CMAES: the covariance matrix holds NaN or inf at generation " +
            std::to_string(state_.generation));
      }
      detail::symmetric_eigen(c, eigenvalues, state_.eigenvectors);
      identity_axes_ = false;
    }
    if ((eigenvalues.array() <= 0.0).any()) {
      // Numerical accident: clamp as the reference does and make C agree with B and D again.
      eigenvalues = (eigenvalues.array() <= 0.0).select(min_eigenvalue, eigenvalues);
      c.triangularView<Eigen::Lower>() =
          state_.eigenvectors * eigenvalues.asDiagonal() * state_.eigenvectors.transpose();
      mirror_lower(c);
    }
    state_.sqrt_eigenvalues = eigenvalues.cwiseSqrt();
    state_.decomposition_generation = state_.generation;
  }

  void sample() {
    const Index n = code_size(), lambda = options_.population_size;
    z_.resize(n, lambda);
    detail::fill_standard_normal(z_, options_.seed, state_.generation, options_.threads);
    z_ = state_.sqrt_eigenvalues.asDiagonal() * z_;
    if (!identity_axes_) {
      rotated_.noalias() = state_.eigenvectors * z_;  // y_k = B (D z_k), all k in one product
      z_.swap(rotated_);
    }
    samples_ = ((state_.sigma * z_).colwise() + state_.mean).cast<float>();
  }

  CMAESOptions options_;
  CMAESState state_;
  Index lazy_interval_ = 1;
  bool identity_axes_ = true;
  Population samples_;
  // Work space kept between generations (n x lambda or n x (lambda + 1)).
  Eigen::MatrixXd z_, y_, rotated_, factors_, weighted_factors_;
  Eigen::VectorXd coefficients_;
  std::vector<Index> order_;
};

}  // namespace xdream
