#pragma once
/// @file
/// Full-covariance CMA-ES with lazy eigendecomposition.

#include <xdream/detail/state_checkpoint.hpp>
#include <xdream/algorithms/detail/chi_n.hpp>
#include <xdream/algorithms/detail/ranking.hpp>
#include <xdream/algorithms/detail/sampling.hpp>
#include <xdream/algorithms/detail/symmetric_eigen.hpp>
#include <xdream/detail/check_scores.hpp>
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
  /// max(1, floor(1 / (10 n (c1 + c_mu)))) (19 at n = 4096, lambda = 40); 1 = every generation,
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
/// c1 = 2 / ((n + 1.3)^2 + mu_eff); c_mu = min(1 - c1, 2 (mu_eff - 2 + 1/mu_eff) / ((n + 2)^2 +
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
class CMAES : public detail::StateCheckpoint<CMAES> {
 public:
  /// Starts at mean 0.
  explicit CMAES(Index code_size, CMAESOptions options = {})
      : CMAES(Code::Zero(checked_size(code_size)), options) {}

  /// Starts at the given mean, with C = I.
  explicit CMAES(const Code& initial_mean, CMAESOptions options = {}) : options_(options) {
    constexpr const char* where = "xdream::CMAES";
    const Index n = checked_size(initial_mean.size());
    if (!initial_mean.allFinite()) {
      throw std::invalid_argument("xdream::CMAES: the initial mean holds NaN or inf");
    }
    if (options_.population_size == 0) {
      options_.population_size =
          4 + static_cast<Index>(std::floor(3.0 * std::log(static_cast<double>(n))));
    }
    detail::require_at_least(where, "population_size", options_.population_size, Index{2});
    detail::require_positive(where, "sigma", options_.sigma);
    detail::require_at_least(where, "threads", options_.threads, 1);
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
    detail::check_scores("xdream::CMAES::tell", scores, lambda);
    if (detail::count_valid(scores) == 0) return;  // nothing learned: show the same samples again
    detail::rank_descending(scores, order_);
    ++state_.generation;
    const Index n = code_size();
    const double dim = static_cast<double>(n);
    const double sigma = state_.sigma;
    Eigen::VectorXd& mean = state_.mean;
    const Eigen::MatrixXd& b = state_.eigenvectors;
    const Eigen::VectorXd& d = state_.sqrt_eigenvalues;

    // y_k = (x_k - m) / sigma, best first, from the codes as presented (floats).
    y_.resize(n, lambda);
    for (Index i = 0; i < lambda; ++i) {
      y_.col(i) = (samples_.col(order_[static_cast<std::size_t>(i)]).cast<double>() - mean) / sigma;
    }
    const Eigen::VectorXd y_w = y_.leftCols(mu_) * weights_.head(mu_);
    mean += sigma * y_w;

    // B^T y_k for every sample at once; C^-1/2 y = B D^-1 B^T y with the stale B and D.
    if (identity_axes_) {
      rotated_ = y_;
    } else {
      rotated_.noalias() = b.transpose() * y_;
    }
    const Eigen::VectorXd whitened_w =
        (rotated_.leftCols(mu_) * weights_.head(mu_)).cwiseQuotient(d);
    const double path_sigma_scale = std::sqrt(c_sigma_ * (2.0 - c_sigma_) * mu_eff_);
    if (identity_axes_) {
      state_.path_sigma = (1.0 - c_sigma_) * state_.path_sigma + path_sigma_scale * whitened_w;
    } else {
      state_.path_sigma =
          (1.0 - c_sigma_) * state_.path_sigma + path_sigma_scale * (b * whitened_w);
    }
    const double norm_p_sigma = state_.path_sigma.norm();
    state_.sigma =
        std::min(sigma * std::exp(c_sigma_ / d_sigma_ * (norm_p_sigma / chi_n_ - 1.0)), max_sigma);

    const double stall =
        norm_p_sigma /
        std::sqrt(1.0 -
                  std::pow(1.0 - c_sigma_, 2.0 * (static_cast<double>(state_.generation) + 1.0)));
    const double h_sigma = stall < (1.4 + 2.0 / (dim + 1.0)) * chi_n_ ? 1.0 : 0.0;
    state_.path_c =
        (1.0 - c_c_) * state_.path_c + h_sigma * std::sqrt(c_c_ * (2.0 - c_c_) * mu_eff_) * y_w;
    const double delta_h_sigma = (1.0 - h_sigma) * c_c_ * (2.0 - c_c_);

    // C <- decay C + c1 p_c p_c^T + c_mu sum_k w_k^o y_k y_k^T, as one rank-(lambda + 1) product
    // on the lower triangle. Negative weights are rescaled by n / |C^-1/2 y_k|^2 so that the
    // active update cannot make C indefinite (tutorial eq. 46).
    factors_.resize(n, lambda + 1);
    factors_.col(0) = state_.path_c;
    factors_.rightCols(lambda) = y_;
    coefficients_.resize(lambda + 1);
    coefficients_[0] = c1_;
    for (Index k = 0; k < lambda; ++k) {
      double w = weights_[k];
      if (w < 0.0) w *= dim / (rotated_.col(k).cwiseQuotient(d).squaredNorm() + 1e-8);
      coefficients_[k + 1] = c_mu_ * w;
    }
    const double decay = 1.0 + c1_ * delta_h_sigma - c1_ - c_mu_ * weights_.sum();
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

  /// The mean of the search distribution (never the luckiest sample).
  Code recommendation() const { return state_.mean.cast<float>(); }

  Index code_size() const noexcept { return state_.mean.size(); }
  Index population_size() const noexcept { return options_.population_size; }
  std::uint64_t generation() const noexcept { return state_.generation; }
  double sigma() const noexcept { return state_.sigma; }
  const Eigen::VectorXd& mean() const noexcept { return state_.mean; }
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

  /// Strategy constants (for tests and reports).
  Index mu() const noexcept { return mu_; }
  double mu_eff() const noexcept { return mu_eff_; }
  /// All lambda recombination weights, best first; the last lambda - mu are negative.
  const Eigen::VectorXd& weights() const noexcept { return weights_; }
  double c1() const noexcept { return c1_; }
  double c_mu() const noexcept { return c_mu_; }
  double c_sigma() const noexcept { return c_sigma_; }
  double d_sigma() const noexcept { return d_sigma_; }
  double c_c() const noexcept { return c_c_; }
  double chi_n() const noexcept { return chi_n_; }

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
  static constexpr double max_sigma = 1e32;       // the reference's cap
  static constexpr double min_eigenvalue = 1e-8;  // replaces eigenvalues <= 0, as the reference

  static Index checked_size(Index n) {
    detail::require_at_least("xdream::CMAES", "code_size", n, Index{2});
    return n;
  }

  void set_constants(Index n) {
    const double dim = static_cast<double>(n);
    const Index lambda = options_.population_size;
    mu_ = lambda / 2;
    Eigen::VectorXd raw(lambda);
    for (Index i = 0; i < lambda; ++i) {
      raw[i] = std::log((static_cast<double>(lambda) + 1.0) / 2.0) -
               std::log(static_cast<double>(i) + 1.0);
    }
    const Eigen::VectorXd positive = raw.head(mu_), rest = raw.tail(lambda - mu_);
    mu_eff_ = positive.sum() * positive.sum() / positive.squaredNorm();
    const double mu_eff_minus = rest.sum() * rest.sum() / rest.squaredNorm();

    constexpr double alpha_cov = 2.0;
    c1_ = alpha_cov / ((dim + 1.3) * (dim + 1.3) + mu_eff_);
    c_mu_ = std::min(1.0 - c1_ - 1e-8, alpha_cov * (mu_eff_ - 2.0 + 1.0 / mu_eff_) /
                                           ((dim + 2.0) * (dim + 2.0) + alpha_cov * mu_eff_ / 2.0));
    // With c_mu = 0 (lambda < 4) the first and last bounds are +inf and the middle one holds.
    const double min_alpha =
        std::min({1.0 + c1_ / c_mu_, 1.0 + 2.0 * mu_eff_minus / (mu_eff_ + 2.0),
                  (1.0 - c1_ - c_mu_) / (dim * c_mu_)});
    double positive_sum = 0.0, negative_sum = 0.0;
    for (Index i = 0; i < lambda; ++i) {
      if (raw[i] > 0.0) positive_sum += raw[i];
      if (raw[i] < 0.0) negative_sum -= raw[i];
    }
    weights_.resize(lambda);
    for (Index i = 0; i < lambda; ++i) {
      weights_[i] = raw[i] >= 0.0 ? raw[i] / positive_sum : min_alpha / negative_sum * raw[i];
    }

    c_sigma_ = (mu_eff_ + 2.0) / (dim + mu_eff_ + 5.0);
    d_sigma_ = 1.0 + 2.0 * std::max(0.0, std::sqrt((mu_eff_ - 1.0) / (dim + 1.0)) - 1.0) + c_sigma_;
    c_c_ = (4.0 + mu_eff_ / dim) / (dim + 4.0 + 2.0 * mu_eff_ / dim);
    chi_n_ = detail::expected_normal_norm(dim);
    lazy_interval_ =
        std::max<Index>(1, static_cast<Index>(std::floor(1.0 / (10.0 * dim * (c1_ + c_mu_)))));
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
  Index mu_ = 0, lazy_interval_ = 1;
  Eigen::VectorXd weights_;
  double mu_eff_ = 0, c1_ = 0, c_mu_ = 0, c_sigma_ = 0, d_sigma_ = 0, c_c_ = 0, chi_n_ = 0;
  bool identity_axes_ = true;
  Population samples_;
  // Work space kept between generations (n x lambda or n x (lambda + 1)).
  Eigen::MatrixXd z_, y_, rotated_, factors_, weighted_factors_;
  Eigen::VectorXd coefficients_;
  std::vector<Index> order_;
};

}  // namespace xdream
