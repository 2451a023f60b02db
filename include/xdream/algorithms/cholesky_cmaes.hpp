#pragma once
/// @file
/// Cholesky (rank-one) CMA-ES with deferred factor updates: Wang & Ponce's CholeskyCMAES.

#include <xdream/algorithms/detail/cma_parameters.hpp>
#include <xdream/algorithms/detail/mean_search.hpp>
#include <xdream/algorithms/detail/ranking.hpp>
#include <xdream/algorithms/detail/sampling.hpp>
#include <xdream/detail/check_scores.hpp>
#include <xdream/detail/parallel.hpp>
#include <xdream/detail/state_checkpoint.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace xdream {

/// Settings of CholeskyCMAES. Defaults: Wang & Ponce's (GECCO 2022) for fc6 codes.
struct CholeskyCMAESOptions {
  /// Samples per generation (lambda); default 40; range [2, inf).
  Index population_size = 40;
  /// Parents (mu) recombined into the mean; 0 = floor(population_size / 2) (20 for 40);
  /// range [1, population_size].
  Index mu = 0;
  /// Initial step size sigma0; default 3; range (0, inf).
  double sigma = 3.0;
  /// The factor A is updated at every generation that is a multiple of this (Wang & Ponce's
  /// `Aupdate_freq`); default 10; range [1, inf). 1 = the non-deferred algorithm.
  Index update_interval = 10;
  /// Learning rate of the rank-one update; unset = 2 / (n + sqrt 2)^2; range [0, 1).
  std::optional<double> c_1 = std::nullopt;
  /// Cumulation of the step-size path; unset = sqrt(mu_eff) / (sqrt(mu_eff) + sqrt n);
  /// range (0, 1].
  std::optional<double> c_sigma = std::nullopt;
  /// Cumulation of the covariance path; unset = 4 / (n + 4); range (0, 1].
  std::optional<double> c_c = std::nullopt;
  /// Step-size damping; unset = 1 + c_sigma + 2 max(0, sqrt((mu_eff - 1) / (n + 1)) - 1);
  /// range (0, inf).
  std::optional<double> d_sigma = std::nullopt;
  /// Sample k of generation g is drawn from stream (seed, g, k); any value.
  std::uint64_t seed = 0;
  /// Threads used for sampling; results do not depend on it; range [1, inf).
  int threads = 1;
};

/// A square n x n matrix M held as `scale * I + u * v^T` while it is a low-rank change of a
/// multiple of the identity (`dense` empty), or as `dense` (then `u`, `v` have no columns).
struct CholeskyFactor {
  double scale = 1.0;
  Eigen::MatrixXd u, v;
  Eigen::MatrixXd dense;
  /// All fields, in a fixed order: the checkpoint format (io/archive.hpp).
  auto tie() { return std::tie(scale, u, v, dense); }
  auto tie() const { return std::tie(scale, u, v, dense); }

  bool is_dense() const noexcept { return dense.size() != 0; }
  /// Number of rank-one terms in the low-rank form (0 when dense).
  Index rank() const noexcept { return u.cols(); }
  /// M as an n x n matrix (O(n^2) memory: 128 MB at n = 4096).
  Eigen::MatrixXd to_dense() const {
    if (is_dense()) return dense;
    Eigen::MatrixXd m = u * v.transpose();
    m.diagonal().array() += scale;
    return m;
  }
};

/// Everything needed to continue a CholeskyCMAES run bit-identically.
struct CholeskyCMAESState {
  Eigen::VectorXd mean, path_sigma, path_c;
  double sigma = 3.0;
  std::uint64_t generation = 0;
  /// A with C = A A^T, and A^{-1}.
  CholeskyFactor factor, inverse_factor;
  /// All fields, in a fixed order: the checkpoint format (io/archive.hpp).
  auto tie() {
    return std::tie(mean, path_sigma, path_c, sigma, generation, factor, inverse_factor);
  }
  auto tie() const {
    return std::tie(mean, path_sigma, path_c, sigma, generation, factor, inverse_factor);
  }
};

/// The Cholesky CMA-ES of Wang & Ponce (GECCO 2022, "CholeskyCMAES"): a (mu/mu_w, lambda)
/// CMA-ES whose covariance C = A A^T is adapted by the rank-one update only, applied directly to
/// the factor A and its inverse (Igel, Suttorp & Hansen, GECCO 2006; Suttorp, Hansen & Igel,
/// Machine Learning 2009, Algorithm 4, whose constants these are), and **deferred**: A changes
/// only every `update_interval` generations, while the mean, both paths and the step size are
/// updated every generation. Maximizes.
///
/// One generation g (counted from 1 by `tell`), with z_k ~ N(0, I) from stream (seed, g - 1, k),
/// samples x_k = m + sigma A z_k, and z_{i:lambda} the z of the i-th best sample:
///
///     z_w = sum_{i=1..mu} w_i z_{i:lambda},   y_w = A z_w
///     m   <- m + sigma y_w
///     p_s <- (1 - c_sigma) p_s + sqrt(c_sigma (2 - c_sigma) mu_eff) z_w
///     p_c <- (1 - c_c) p_c + sqrt(c_c (2 - c_c) mu_eff) y_w
///     sigma <- sigma exp(c_sigma / d_sigma (|p_s| / E|N(0, I)| - 1))
///     if g is a multiple of update_interval:
///        v = A^{-1} p_c,  a = sqrt(1 - c_1),  s = sqrt(1 + c_1 / (1 - c_1) |v|^2)
///        A      <- a A + a (s - 1) / |v|^2  p_c v^T
///        A^{-1} <- A^{-1} / a - (1 - 1 / s) / (a |v|^2)  v (v^T A^{-1})
///
/// so that A A^T <- (1 - c_1) A A^T + c_1 p_c p_c^T exactly. Weights w_i = ln(mu' + 1/2) - ln i,
/// normalized, with mu' = population_size / 2 when `mu` is defaulted (Hansen's ln((lambda+1)/2))
/// and mu' = mu otherwise; mu_eff = 1 / sum w_i^2; E|N(0, I)| = sqrt(n) (1 - 1/(4n) + 1/(21n^2)).
/// There is no rank-mu update (c_mu() = 0) and no h_sigma stall, as in the reference. sigma is
/// capped at 1e32.
///
/// Storage and cost: A = alpha I + U V^T and A^{-1} = gamma I + P Q^T with one column per update
/// so far, so sampling costs O(n r lambda) for r updates (r = 7 after 75 generations at the
/// default interval); once r would exceed n / 2 both are converted to dense n x n matrices
/// (sampling O(n^2 lambda)). Each update costs O(n r) (dense: O(n^2)).
///
/// NaN scores rank below every valid score; a generation with no valid score leaves the
/// distribution unchanged and shows the same samples again. The recommendation is the mean.
/// A seed gives the same run at any thread count.
class CholeskyCMAES : public detail::StateCheckpoint<CholeskyCMAES>,
                      public detail::MeanSearch<CholeskyCMAES>,
                      public detail::CMAConstants {
 public:
  /// Starts at mean 0.
  explicit CholeskyCMAES(Index code_size, CholeskyCMAESOptions options = {})
      : CholeskyCMAES(Code::Zero(detail::checked_code_size(where, code_size)), std::move(options)) {
  }

  /// Starts at the given mean.
  explicit CholeskyCMAES(const Code& initial_mean, CholeskyCMAESOptions options = {})
      : options_(std::move(options)) {
    const Index n = detail::checked_initial_mean(where, initial_mean);
    const Index lambda = options_.population_size;
    detail::require_at_least(where, "population_size", lambda, Index{2});
    detail::CMAParameters& p = parameters_;
    p.mu = detail::parent_count(where, lambda, options_.mu);
    detail::require_positive(where, "sigma", options_.sigma);
    detail::require_at_least(where, "update_interval", options_.update_interval, Index{1});
    detail::require_at_least(where, "threads", options_.threads, 1);

    const double dim = static_cast<double>(n);
    p.weights = detail::normalized_log_rank_weights(p.mu, detail::mu_prime(lambda, options_.mu));
    p.mu_eff = detail::normalized_selection_mass(p.weights);

    p.c_1 = options_.c_1.value_or(2.0 / ((dim + std::sqrt(2.0)) * (dim + std::sqrt(2.0))));
    p.c_sigma =
        options_.c_sigma.value_or(std::sqrt(p.mu_eff) / (std::sqrt(p.mu_eff) + std::sqrt(dim)));
    p.c_c = options_.c_c.value_or(detail::plain_c_c(dim));
    // The reference adds c_sigma before the excess (CMAES and SepCMAES after it).
    p.d_sigma = options_.d_sigma.value_or(1.0 + p.c_sigma + detail::damping_excess(dim, p.mu_eff));
    if (!(p.c_1 >= 0.0 && p.c_1 < 1.0)) {
      detail::invalid(where, "c_1", detail::to_text(p.c_1), "[0, 1)");
    }
    if (!(p.c_sigma > 0.0 && p.c_sigma <= 1.0)) {
      detail::invalid(where, "c_sigma", detail::to_text(p.c_sigma), "(0, 1]");
    }
    if (!(p.c_c > 0.0 && p.c_c <= 1.0)) {
      detail::invalid(where, "c_c", detail::to_text(p.c_c), "(0, 1]");
    }
    detail::require_positive(where, "d_sigma", p.d_sigma);
    p.chi_n = detail::expected_normal_norm(dim);

    state_.mean = initial_mean.cast<double>();
    state_.path_sigma = Eigen::VectorXd::Zero(n);
    state_.path_c = Eigen::VectorXd::Zero(n);
    state_.sigma = options_.sigma;
    state_.factor = identity_factor(n);
    state_.inverse_factor = identity_factor(n);
    sample();
  }

  /// The codes to present now (`code_size x population_size`).
  const Population& ask() const noexcept { return samples_; }

  /// Takes one score per column of `ask()` (larger is better, NaN = no response) and updates the
  /// distribution; then samples the next generation.
  void tell(const Scores& scores) {
    if (!detail::rank_new_generation("xdream::CholeskyCMAES::tell", scores,
                                     options_.population_size, order_, state_.generation)) {
      return;  // nothing learned: show the same samples again
    }
    const detail::CMAParameters& p = parameters_;
    detail::recombine(order_, p.weights, z_, y_, z_w_, y_w_);
    state_.mean.noalias() += state_.sigma * y_w_;
    detail::cumulate(state_.path_sigma, p.c_sigma, p.mu_eff, z_w_);
    detail::cumulate(state_.path_c, p.c_c, p.mu_eff, y_w_);
    state_.sigma = detail::adapted_sigma(p, state_.sigma, state_.path_sigma.norm());
    if (state_.generation % static_cast<std::uint64_t>(options_.update_interval) == 0) {
      update_factor(state_.path_c);
    }
    sample();
  }

  const CholeskyCMAESOptions& options() const noexcept { return options_; }

  /// A (C = A A^T) as a dense matrix; O(n^2) memory.
  Eigen::MatrixXd factor() const { return state_.factor.to_dense(); }
  /// A^{-1} as a dense matrix; O(n^2) memory.
  Eigen::MatrixXd inverse_factor() const { return state_.inverse_factor.to_dense(); }
  /// C = A A^T as a dense matrix; O(n^2) memory.
  Eigen::MatrixXd covariance() const {
    const Eigen::MatrixXd a = factor();
    return a * a.transpose();
  }
  /// The z of the current samples (`ask() = m + sigma A z`, rounded to float).
  const Eigen::MatrixXd& standard_normal_draws() const noexcept { return z_; }

  // The strategy constants (mu(), weights(), mu_eff(), c_1(), c_sigma(), d_sigma(), c_c(),
  // chi_n(); c_mu() is 0) come from CMAConstants.

  /// The stable name that tags this algorithm's checkpoints.
  static std::string name() { return "cholesky-cmaes"; }

  const CholeskyCMAESState& state() const noexcept { return state_; }
  /// Continues from a saved state (same options); resamples the current generation exactly.
  void restore(CholeskyCMAESState state) {
    const Index n = code_size();
    const auto fits = [n](const CholeskyFactor& f) {
      if (f.is_dense())
        return f.dense.rows() == n && f.dense.cols() == n && f.u.cols() == 0 && f.v.cols() == 0;
      return f.u.rows() == n && f.v.rows() == n && f.u.cols() == f.v.cols() &&
             std::isfinite(f.scale);
    };
    if (state.mean.size() != n || state.path_sigma.size() != n || state.path_c.size() != n ||
        !(state.sigma > 0.0) || !fits(state.factor) || !fits(state.inverse_factor)) {
      throw std::invalid_argument(
          "xdream::CholeskyCMAES::restore: the state does not fit a code size of " +
          std::to_string(n));
    }
    state_ = std::move(state);
    sample();
  }

 private:
  static constexpr const char* where = "xdream::CholeskyCMAES";
  // Column blocks multiplied by A at a time: fixed, so that the products (and their rounding)
  // do not depend on the thread count.
  static constexpr Index block_columns = 8;

  static CholeskyFactor identity_factor(Index n) {
    CholeskyFactor f;
    f.scale = 1.0;
    f.u.resize(n, 0);
    f.v.resize(n, 0);
    return f;
  }

  // The low-rank form stops paying once it holds more than n / 2 rank-one terms: its products then
  // cost more than the dense ones and its storage exceeds theirs.
  Index rank_limit() const noexcept { return std::max<Index>(1, code_size() / 2); }

  // out = M x for a factor M and a vector x.
  static void apply(const CholeskyFactor& m, const Eigen::VectorXd& x, Eigen::VectorXd& out) {
    if (m.is_dense()) {
      out.noalias() = m.dense * x;
    } else {
      out = m.scale * x;
      if (m.rank() > 0) out.noalias() += m.u * (m.v.transpose() * x);
    }
  }

  // Transposed: out = M^T x.
  static void apply_transposed(const CholeskyFactor& m, const Eigen::VectorXd& x,
                               Eigen::VectorXd& out) {
    if (m.is_dense()) {
      out.noalias() = m.dense.transpose() * x;
    } else {
      out = m.scale * x;
      if (m.rank() > 0) out.noalias() += m.v * (m.u.transpose() * x);
    }
  }

  static void make_dense(CholeskyFactor& m, Index n) {
    m.dense = m.to_dense();
    m.u.resize(n, 0);
    m.v.resize(n, 0);
  }

  // The rank-one update of A and A^{-1} (Igel, Suttorp & Hansen 2006, Theorem 1 and Lemma 1 of
  // Suttorp, Hansen & Igel 2009): A A^T <- (1 - c_1) A A^T + c_1 p p^T.
  void update_factor(const Eigen::VectorXd& p) {
    const Index n = code_size();
    CholeskyFactor& a_m = state_.factor;
    CholeskyFactor& inv = state_.inverse_factor;
    const double c_1 = parameters_.c_1;
    const double a = std::sqrt(1.0 - c_1);
    Eigen::VectorXd v;
    apply(inv, p, v);  // v = A^{-1} p
    const double v2 = v.squaredNorm();
    if (!(v2 > 0.0) || !std::isfinite(v2)) {
      // p = 0: the update is the scaling A <- a A (the limit of the formula as |v| -> 0).
      if (a_m.is_dense()) {
        a_m.dense *= a;
      } else {
        a_m.scale *= a;
        a_m.u *= a;
      }
      if (inv.is_dense()) {
        inv.dense /= a;
      } else {
        inv.scale /= a;
        inv.u /= a;
      }
      return;
    }
    const double s = std::sqrt(1.0 + c_1 / (1.0 - c_1) * v2);
    const double b = a * (s - 1.0) / v2;          // A <- a A + b p v^T
    const double d = (1.0 - 1.0 / s) / (a * v2);  // A^{-1} <- A^{-1} / a - d v (v^T A^{-1})
    Eigen::VectorXd w;
    apply_transposed(inv, v, w);  // w = A^{-T} v, so v^T A^{-1} = w^T

    if (!a_m.is_dense() && a_m.rank() + 1 > rank_limit()) {
      make_dense(a_m, n);
      make_dense(inv, n);
    }
    if (a_m.is_dense()) {
      a_m.dense *= a;
      a_m.dense.noalias() += (b * p) * v.transpose();
      inv.dense /= a;
      inv.dense.noalias() -= (d * v) * w.transpose();
      return;
    }
    const Index r = a_m.rank();
    a_m.scale *= a;
    a_m.u.conservativeResize(n, r + 1);
    a_m.v.conservativeResize(n, r + 1);
    a_m.u.leftCols(r) *= a;
    a_m.u.col(r) = b * p;
    a_m.v.col(r) = v;
    inv.scale /= a;
    inv.u.conservativeResize(n, r + 1);
    inv.v.conservativeResize(n, r + 1);
    inv.u.leftCols(r) /= a;
    inv.u.col(r) = -d * v;
    inv.v.col(r) = w;
  }

  void sample() {
    const Index lambda = options_.population_size;
    detail::draw_generation(options_, state_.generation, code_size(), z_, y_, samples_);
    const CholeskyFactor& a_m = state_.factor;
    const Index blocks = (lambda + block_columns - 1) / block_columns;
    detail::parallel_for(blocks, options_.threads, [&](Index block) {
      const Index first = block * block_columns;
      const Index width = std::min(block_columns, lambda - first);
      auto z = z_.middleCols(first, width);
      auto y = y_.middleCols(first, width);
      if (a_m.is_dense()) {
        y.noalias() = a_m.dense * z;
      } else {
        y = a_m.scale * z;
        if (a_m.rank() > 0) {
          const Eigen::MatrixXd vz = a_m.v.transpose() * z;
          y.noalias() += a_m.u * vz;
        }
      }
      for (Index k = first; k < first + width; ++k) {
        samples_.col(k) = (state_.mean + state_.sigma * y_.col(k)).cast<float>();
      }
    });
  }

  CholeskyCMAESOptions options_;
  CholeskyCMAESState state_;
  Eigen::MatrixXd z_, y_;  // draws and A z, n x lambda
  Population samples_;
  Eigen::VectorXd z_w_, y_w_;
  std::vector<Index> order_;
};

}  // namespace xdream
