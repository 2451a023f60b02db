#pragma once
/// @file
/// Limited-memory matrix adaptation evolution strategy (LM-MA-ES).

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

/// Settings of LMMAES. Defaults: the reference's (Loshchilov, Glasmachers & Beyer 2019).
struct LMMAESOptions {
  /// Samples per generation (lambda); 0 = 4 + floor(3 ln n) (28 at n = 4096); range [2, inf).
  Index population_size = 0;
  /// Parents (mu); 0 = floor(population_size / 2); range [1, population_size].
  Index mu = 0;
  /// Direction vectors kept (m); 0 = 4 + floor(3 ln n) (28 at n = 4096); range [1, inf).
  Index memory = 0;
  /// Initial step size sigma0; default 1; range (0, inf). Wang & Ponce use 3 for fc6 codes.
  double sigma = 1.0;
  /// Cumulation of the step-size path; unset = 2 population_size / n; range (0, 2).
  std::optional<double> c_sigma = std::nullopt;
  /// Sample k of generation g is drawn from stream (seed, g, k); any value.
  std::uint64_t seed = 0;
  /// Threads used for sampling; results do not depend on it; range [1, inf).
  int threads = 1;
};

/// Everything needed to continue an LMMAES run bit-identically.
struct LMMAESState {
  Eigen::VectorXd mean, path_sigma;
  /// The direction vectors M_1 ... M_m, one per column (n x m).
  Eigen::MatrixXd directions;
  double sigma = 1.0;
  std::uint64_t generation = 0;
  /// All fields, in a fixed order: the checkpoint format (io/archive.hpp).
  auto tie() { return std::tie(mean, path_sigma, directions, sigma, generation); }
  auto tie() const { return std::tie(mean, path_sigma, directions, sigma, generation); }
};

/// LM-MA-ES (Loshchilov, Glasmachers & Beyer, "Large scale black-box optimization by
/// limited-memory matrix adaptation", IEEE TEVC 23(2), 2019, Algorithm 1): the matrix adaptation
/// ES with the transformation matrix replaced by m direction vectors, O(n m) per sample and
/// O(n m) memory. Maximizes; recommends the mean.
///
/// Generation t (counted from 0), z_k ~ N(0, I) from stream (seed, t, k):
///
///     d_k = z_k;  for j = 1 ... min(t, m):  d_k <- (1 - c_d,j) d_k + c_d,j M_j (M_j^T d_k)
///     x_k = y + sigma d_k
///
/// and `tell`, with i:lambda the i-th best sample and weights w_i = ln((lambda + 1) / 2) - ln i
/// (ln(mu + 1/2) - ln i for an explicit mu), normalized, mu_eff = 1 / sum w_i^2:
///
///     y     <- y + sigma sum_i w_i d_{i:lambda}
///     p_s   <- (1 - c_s) p_s + sqrt(mu_eff c_s (2 - c_s)) z_w,   z_w = sum_i w_i z_{i:lambda}
///     M_j   <- (1 - c_c,j) M_j + sqrt(mu_eff c_c,j (2 - c_c,j)) z_w    for j = 1 ... m
///     sigma <- sigma exp(c_s / 2 (|p_s|^2 / n - 1))
///
/// with c_s = 2 lambda / n, c_d,j = 1 / (1.5^(j-1) n), c_c,j = lambda / (4^(j-1) n) (the paper's
/// defaults, as in PyPop7's LMMAES). These need n > lambda (c_s < 2): the method is meant for
/// large n; give `c_sigma` to use it below. sigma is capped at 1e32.
///
/// NaN scores rank below every valid score; a generation with no valid score leaves the
/// distribution unchanged and shows the same samples again. A seed gives the same run at any
/// thread count.
class LMMAES : public detail::StateCheckpoint<LMMAES>, public detail::MeanSearch<LMMAES> {
 public:
  /// Starts at mean 0.
  explicit LMMAES(Index code_size, LMMAESOptions options = {})
      : LMMAES(Code::Zero(detail::checked_code_size(where, code_size)), std::move(options)) {}

  /// Starts at the given mean.
  explicit LMMAES(const Code& initial_mean, LMMAESOptions options = {})
      : options_(std::move(options)) {
    const Index n = detail::checked_initial_mean(where, initial_mean);
    const double dim = static_cast<double>(n);
    const Index reference_size = detail::default_population_size(n);
    if (options_.population_size == 0) options_.population_size = reference_size;
    if (options_.memory == 0) options_.memory = reference_size;
    const Index lambda = options_.population_size;
    detail::require_at_least(where, "population_size", lambda, Index{2});
    detail::CMAParameters& p = parameters_;
    p.mu = detail::parent_count(where, lambda, options_.mu);
    detail::require_at_least(where, "memory", options_.memory, Index{1});
    detail::require_positive(where, "sigma", options_.sigma);
    detail::require_at_least(where, "threads", options_.threads, 1);

    p.weights = detail::normalized_log_rank_weights(p.mu, detail::mu_prime(lambda, options_.mu));
    p.mu_eff = detail::normalized_selection_mass(p.weights);

    const double lam = static_cast<double>(lambda);
    p.c_sigma = options_.c_sigma.value_or(2.0 * lam / dim);
    if (!(p.c_sigma > 0.0 && p.c_sigma < 2.0)) {
      detail::invalid(where, "c_sigma", detail::to_text(p.c_sigma),
                      options_.c_sigma ? "(0, 2)"
                                       : "(0, 2); its default 2 population_size / code_size "
                                         "needs code_size > population_size");
    }
    const Index m = options_.memory;
    c_d_.resize(m);
    c_c_.resize(m);
    for (Index j = 0; j < m; ++j) {
      c_d_[j] = 1.0 / (std::pow(1.5, static_cast<double>(j)) * dim);
      c_c_[j] = lam / (std::pow(4.0, static_cast<double>(j)) * dim);
    }
    if (!(c_c_[0] < 2.0)) {
      detail::invalid(where, "population_size / code_size", detail::to_text(c_c_[0]),
                      "(0, 2) (c_c,1 = population_size / code_size)");
    }

    state_.mean = initial_mean.cast<double>();
    state_.path_sigma = Eigen::VectorXd::Zero(n);
    state_.directions = Eigen::MatrixXd::Zero(n, m);
    state_.sigma = options_.sigma;
    sample();
  }

  /// The codes to present now (`code_size x population_size`).
  const Population& ask() const noexcept { return samples_; }

  /// Takes one score per column of `ask()` (larger is better, NaN = no response) and updates the
  /// distribution; then samples the next generation.
  void tell(const Scores& scores) {
    // Counts the generation first: nothing below reads it before sample().
    if (!detail::rank_new_generation("xdream::LMMAES::tell", scores, options_.population_size,
                                     order_, state_.generation)) {
      return;  // nothing learned: show the same samples again
    }
    const Index n = code_size();
    const detail::CMAParameters& p = parameters_;
    detail::recombine(order_, p.weights, z_, d_, z_w_, d_w_);
    state_.mean.noalias() += state_.sigma * d_w_;
    // The reference multiplies mu_eff first, sqrt(mu_eff c (2 - c)) (detail::cumulate: last).
    state_.path_sigma = (1.0 - p.c_sigma) * state_.path_sigma +
                        std::sqrt(p.mu_eff * p.c_sigma * (2.0 - p.c_sigma)) * z_w_;
    for (Index j = 0; j < options_.memory; ++j) {
      state_.directions.col(j) = (1.0 - c_c_[j]) * state_.directions.col(j) +
                                 std::sqrt(p.mu_eff * c_c_[j] * (2.0 - c_c_[j])) * z_w_;
    }
    const double growth =
        p.c_sigma / 2.0 * (state_.path_sigma.squaredNorm() / static_cast<double>(n) - 1.0);
    state_.sigma = std::min(state_.sigma * std::exp(growth), 1e32);
    sample();
  }

  const LMMAESOptions& options() const noexcept { return options_; }
  /// The z of the current samples.
  const Eigen::MatrixXd& standard_normal_draws() const noexcept { return z_; }
  /// The directions d of the current samples (`ask() = mean + sigma d`, rounded to float).
  const Eigen::MatrixXd& search_directions() const noexcept { return d_; }

  /// Strategy constants (for tests and reports).
  Index mu() const noexcept { return parameters_.mu; }
  double mu_eff() const noexcept { return parameters_.mu_eff; }
  const Eigen::VectorXd& weights() const noexcept { return parameters_.weights; }
  /// Cumulation of the step-size path (the step size's damping is 2).
  double c_sigma() const noexcept { return parameters_.c_sigma; }
  /// c_d,j and c_c,j, j = 1 ... m (index j - 1): the cumulation of direction vector j (a vector
  /// of rates where the other members have one c_c).
  const Eigen::VectorXd& c_d() const noexcept { return c_d_; }
  const Eigen::VectorXd& c_c() const noexcept { return c_c_; }

  /// The stable name that tags this algorithm's checkpoints.
  static std::string name() { return "lm-ma-es"; }

  const LMMAESState& state() const noexcept { return state_; }
  /// Continues from a saved state (same options); resamples the current generation exactly.
  void restore(LMMAESState state) {
    const Index n = code_size();
    if (state.mean.size() != n || state.path_sigma.size() != n || state.directions.rows() != n ||
        state.directions.cols() != options_.memory || !(state.sigma > 0.0)) {
      throw std::invalid_argument(
          "xdream::LMMAES::restore: the state does not fit a code size of " + std::to_string(n) +
          " and a memory of " + std::to_string(options_.memory));
    }
    state_ = std::move(state);
    sample();
  }

 private:
  static constexpr const char* where = "xdream::LMMAES";

  void sample() {
    const Index lambda = options_.population_size;
    detail::draw_generation(options_, state_.generation, code_size(), z_, d_, samples_);
    const Index used = static_cast<Index>(
        std::min<std::uint64_t>(state_.generation, static_cast<std::uint64_t>(options_.memory)));
    detail::parallel_for(lambda, options_.threads, [&](Index k) {
      auto d = d_.col(k);
      d = z_.col(k);
      for (Index j = 0; j < used; ++j) {
        const auto m = state_.directions.col(j);
        const double projection = m.dot(d);
        d = (1.0 - c_d_[j]) * d + (c_d_[j] * projection) * m;
      }
      samples_.col(k) = (state_.mean + state_.sigma * d).cast<float>();
    });
  }

  LMMAESOptions options_;
  LMMAESState state_;
  // mu, weights, mu_eff and c_sigma; the member's other rates are the vectors below.
  detail::CMAParameters parameters_;
  Eigen::VectorXd c_d_, c_c_;
  Eigen::MatrixXd z_, d_;
  Population samples_;
  Eigen::VectorXd z_w_, d_w_;
  std::vector<Index> order_;
};

}  // namespace xdream
