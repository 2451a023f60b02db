#pragma once
/// @file
/// The strategy parameters of the CMA family (CMAES, SepCMAES, CholeskyCMAES, LMMAES, SphereCMA)
/// under one set of names, the formulas that two or more members compute alike, and the update
/// steps they share.
///
/// Names: lambda is the population size, mu the number of parents, w_i the recombination
/// weights, mu_eff the variance effective selection mass, c_sigma and d_sigma the cumulation and
/// damping of the step-size path, c_c the cumulation of the covariance path, c_1 and c_mu the
/// rank-one and rank-mu learning rates, chi_n = E|N(0, I_n)|.
///
/// The members follow different references (the `cmaes` Python package's CMA and SepCMA, Wang &
/// Ponce's CholeskyCMAES, PyPop7's LMMAES), so only what they compute alike is here; where a
/// formula, or the order of a formula's floating-point operations, differs, the member keeps its
/// own. Each function below keeps the order of floating-point operations of every member that
/// uses it (`a * (1 / b)` and `a / b` round differently), so a member's runs do not depend on
/// whether it computes a formula here or in its own header.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string_view>
#include <vector>

namespace xdream::detail {

/// The family's default population size, 4 + floor(3 ln n) (Hansen's lambda).
inline Index default_population_size(Index n) {
  return 4 + static_cast<Index>(std::floor(3.0 * std::log(static_cast<double>(n))));
}

/// mu, the number of parents: the `mu` option, or lambda / 2 (rounded down) when it is 0;
/// checked to lie in [1, lambda] (CholeskyCMAES, LMMAES, SphereCMA).
inline Index parent_count(std::string_view where, Index lambda, Index mu_option) {
  const Index mu = mu_option == 0 ? lambda / 2 : mu_option;
  require_closed(where, "mu", mu, Index{1}, lambda);
  return mu;
}

/// mu' of CholeskyCMAES and LMMAES: lambda / 2 (a half-integer for odd lambda, Hansen's
/// ln((lambda + 1) / 2) - ln i) when the `mu` option is 0, else mu.
inline double mu_prime(Index lambda, Index mu_option) {
  return mu_option == 0 ? static_cast<double>(lambda) / 2.0 : static_cast<double>(mu_option);
}

/// Log-rank weights w_i = ln(mu' + 1/2) - ln i for i = 1 ... count, not normalized. mu' is each
/// member's own rule: lambda / 2 for CMAES (all lambda weights: ln((lambda + 1) / 2) - ln i),
/// and for CholeskyCMAES and LMMAES when mu is defaulted; mu otherwise and for SphereCMA;
/// mu + 1/2 for SepCMAES (the `cmaes` package's ln(mu + 1) - ln i).
inline Eigen::VectorXd log_rank_weights(Index count, double mu_prime) {
  Eigen::VectorXd weights(count);
  for (Index i = 0; i < count; ++i) {
    weights[i] = std::log(mu_prime + 0.5) - std::log(static_cast<double>(i) + 1.0);
  }
  return weights;
}

/// The log-rank weights of `log_rank_weights`, divided by their sum.
inline Eigen::VectorXd normalized_log_rank_weights(Index count, double mu_prime) {
  Eigen::VectorXd weights = log_rank_weights(count, mu_prime);
  weights /= weights.sum();
  return weights;
}

/// mu_eff = (sum w)^2 / sum w^2 of weights of one sign, normalized or not.
inline double selection_mass(const Eigen::VectorXd& weights) {
  return weights.sum() * weights.sum() / weights.squaredNorm();
}

/// mu_eff = 1 / sum w^2 of weights that sum to 1.
inline double normalized_selection_mass(const Eigen::VectorXd& normalized_weights) {
  return 1.0 / normalized_weights.squaredNorm();
}

/// chi_n, Hansen's approximation of the expected norm of an n-dimensional standard normal vector:
/// sqrt(n) (1 - 1 / (4n) + 1 / (21 n^2)).
inline double expected_normal_norm(double n) {
  return std::sqrt(n) * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n));
}

/// c_1 = 2 / ((n + 1.3)^2 + mu_eff) (Hansen's tutorial; CMAES and SepCMAES).
inline double hansen_c_1(double n, double mu_eff) { return 2.0 / ((n + 1.3) * (n + 1.3) + mu_eff); }

/// The part of d_sigma that grows with mu_eff: 2 max(0, sqrt((mu_eff - 1) / (n + 1)) - 1).
inline double damping_excess(double n, double mu_eff) {
  return 2.0 * std::max(0.0, std::sqrt((mu_eff - 1.0) / (n + 1.0)) - 1.0);
}

/// d_sigma = 1 + 2 max(0, sqrt((mu_eff - 1) / (n + 1)) - 1) + c_sigma, summed in this order
/// (CMAES and SepCMAES). CholeskyCMAES adds the same terms in another order.
inline double hansen_d_sigma(double n, double mu_eff, double c_sigma) {
  return 1.0 + damping_excess(n, mu_eff) + c_sigma;
}

/// c_c = 4 / (n + 4), the covariance path's cumulation without the mu_eff terms (SepCMAES,
/// CholeskyCMAES).
inline double plain_c_c(double n) { return 4.0 / (n + 4.0); }

/// The strategy parameters of one member. Each member fills what its update uses and leaves
/// the rest 0 (CholeskyCMAES: c_mu, having no rank-mu update).
struct CMAParameters {
  /// Parents recombined into the new mean.
  Index mu = 0;
  /// Recombination weights, best first (CMAES: all lambda of them, the last negative).
  Eigen::VectorXd weights;
  double mu_eff = 0.0;
  double c_1 = 0.0, c_mu = 0.0;
  double c_sigma = 0.0, d_sigma = 0.0;
  double c_c = 0.0;
  double chi_n = 0.0;
};

/// The strategy constants as public accessors, for the members whose update uses all of them.
class CMAConstants {
 public:
  /// Strategy constants (for tests and reports).
  Index mu() const noexcept { return parameters_.mu; }
  double mu_eff() const noexcept { return parameters_.mu_eff; }
  /// The recombination weights, best first.
  const Eigen::VectorXd& weights() const noexcept { return parameters_.weights; }
  /// Learning rate of the rank-one update.
  double c_1() const noexcept { return parameters_.c_1; }
  /// Learning rate of the rank-mu update (0 without one).
  double c_mu() const noexcept { return parameters_.c_mu; }
  /// Cumulation of the step-size path.
  double c_sigma() const noexcept { return parameters_.c_sigma; }
  /// Damping of the step-size change.
  double d_sigma() const noexcept { return parameters_.d_sigma; }
  /// Cumulation of the covariance path.
  double c_c() const noexcept { return parameters_.c_c; }
  /// E|N(0, I_n)|, the step-size path's reference length.
  double chi_n() const noexcept { return parameters_.chi_n; }

 protected:
  CMAParameters parameters_;
};

/// z_w = sum_i w_i z_{i:lambda} and y_w = sum_i w_i y_{i:lambda} over the mu = weights.size()
/// best samples (`order`: sample indices, best first), accumulated in rank order.
inline void recombine(const std::vector<Index>& order, const Eigen::VectorXd& weights,
                      const Eigen::MatrixXd& z, const Eigen::MatrixXd& y, Eigen::VectorXd& z_w,
                      Eigen::VectorXd& y_w) {
  z_w.setZero(z.rows());
  y_w.setZero(y.rows());
  for (Index i = 0; i < weights.size(); ++i) {
    const Index k = order[static_cast<std::size_t>(i)];
    z_w.noalias() += weights[i] * z.col(k);
    y_w.noalias() += weights[i] * y.col(k);
  }
}

/// path <- (1 - rate) path + gain sqrt(rate (2 - rate) mu_eff) step: the cumulation of an
/// evolution path (gain: h_sigma for p_c where the stall applies, else 1). `step` may be an
/// unevaluated Eigen expression, and stays one: Eigen folds the scalar into a matrix-vector
/// product (B z), which rounds otherwise than scaling the product's result.
template <class Step>
void cumulate(Eigen::VectorXd& path, double rate, double mu_eff, const Step& step,
              double gain = 1.0) {
  path = (1.0 - rate) * path + gain * std::sqrt(rate * (2.0 - rate) * mu_eff) * step;
}

/// Cumulative step-size adaptation: sigma exp(c_sigma / d_sigma (|p_sigma| / chi_n - 1)), capped
/// at 1e32 as the references do.
inline double adapted_sigma(const CMAParameters& p, double sigma, double path_sigma_norm) {
  return std::min(sigma * std::exp(p.c_sigma / p.d_sigma * (path_sigma_norm / p.chi_n - 1.0)),
                  1e32);
}

/// After p_sigma has moved: the new sigma, the h_sigma stall, p_c (cumulated from y_w, stalled
/// while h_sigma = 0), as CMAES and SepCMAES do it (`State` has path_sigma, path_c, sigma and
/// generation, already counting the current one). Returns (1 - h_sigma) c_c (2 - c_c), the term
/// by which the covariance update makes up for a stalled p_c.
template <class State>
double adapt_sigma_and_path_c(const CMAParameters& p, State& state, const Eigen::VectorXd& y_w) {
  const double dim = static_cast<double>(state.path_sigma.size());
  const double norm_p_sigma = state.path_sigma.norm();
  state.sigma = adapted_sigma(p, state.sigma, norm_p_sigma);
  const double stall =
      norm_p_sigma / std::sqrt(1.0 - std::pow(1.0 - p.c_sigma,
                                              2.0 * (static_cast<double>(state.generation) + 1.0)));
  const double h_sigma = stall < (1.4 + 2.0 / (dim + 1.0)) * p.chi_n ? 1.0 : 0.0;
  cumulate(state.path_c, p.c_c, p.mu_eff, y_w, h_sigma);
  return (1.0 - h_sigma) * p.c_c * (2.0 - p.c_c);
}

/// The factor by which the covariance decays in one update, 1 + c_1 delta - c_1 - c_mu sum w
/// (delta from `adapt_sigma_and_path_c`).
inline double covariance_decay(const CMAParameters& p, double delta_h_sigma) {
  return 1.0 + p.c_1 * delta_h_sigma - p.c_1 - p.c_mu * p.weights.sum();
}

}  // namespace xdream::detail
