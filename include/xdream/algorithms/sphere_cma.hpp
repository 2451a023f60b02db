#pragma once
/// @file
/// Search on the sphere |z| = R: Wang & Ponce's SphereCMA.

#include <xdream/algorithms/detail/cma_parameters.hpp>
#include <xdream/algorithms/detail/ranking.hpp>
#include <xdream/algorithms/detail/sampling.hpp>
#include <xdream/detail/check_scores.hpp>
#include <xdream/detail/parallel.hpp>
#include <xdream/detail/state_checkpoint.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <boost/random/normal_distribution.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace xdream {

/// Settings of SphereCMA. Defaults: Wang & Ponce's (GECCO 2022) for DeePSiM fc6 codes.
struct SphereCMAOptions {
  /// R, the norm of every code shown; default 300 (fc6 codes); range (0, inf).
  double radius = 300.0;
  /// Samples around the centre per generation (lambda); default 40; range [2, inf). With
  /// `present_centre`, each generation shows population_size + 1 codes.
  Index population_size = 40;
  /// Samples recombined into the new centre; 0 = floor(population_size / 2) (20 for 40);
  /// range [1, population_size].
  Index mu = 0;
  /// SLERP factor from the centre towards the recombined point (> 1 extrapolates); default 1.5;
  /// range (0, inf).
  double learning_rate = 1.5;
  /// Exploration angle of the first generation sampled around a centre, in degrees; default 50;
  /// range (0, 180].
  double initial_angle = 50.0;
  /// Exploration angle from generation `schedule_generations` on, in degrees; default 7.33;
  /// range (0, 180].
  double final_angle = 7.33;
  /// Length of the geometric decay from `initial_angle` to `final_angle`, in generations;
  /// default 75; range [2, inf).
  Index schedule_generations = 75;
  /// Show the centre as column 0 of every generation (its score is not used by the algorithm,
  /// but it lets the driver score the recommendation), as the reference does; default true.
  bool present_centre = true;
  /// Sample k of generation g is drawn from stream (seed, g, k), a random initial centre from
  /// stream (seed, 0, 0, initialize); any value.
  std::uint64_t seed = 0;
  /// Threads used for sampling; results do not depend on it; range [1, inf).
  int threads = 1;
};

/// Everything needed to continue a SphereCMA run bit-identically.
struct SphereCMAState {
  /// The centre of the search, |centre| = radius.
  Eigen::VectorXd centre;
  std::uint64_t generation = 0;
  /// Generation 0 is spread uniformly over the sphere (no initial centre was given).
  bool uniform_start = false;
  /// All fields, in a fixed order: the checkpoint format (io/archive.hpp).
  auto tie() { return std::tie(centre, generation, uniform_start); }
  auto tie() const { return std::tie(centre, generation, uniform_start); }
};

/// Wang & Ponce's SphereCMA (GECCO 2022; `ZOHA_Sphere_lr_euclid` in their code): an evolution
/// strategy on the sphere |x| = R, where the generator's codes live (fc6 codes of natural images
/// have norms near 300, and images change with the code's direction, not its length). Maximizes.
///
/// Generation g shows the centre c (column 0, when `present_centre`) and lambda samples. With
/// z_k ~ N(0, I_n) from stream (seed, g, k) and c^ = c / R:
///
///     t_k = mu_j (z_k - (z_k . c^) c^)                    tangent-plane Gaussian at c
///     x_k = R (cos|t_k| c^ + sin|t_k| t_k / |t_k|)       the exponential map: |x_k| = R
///     mu_j = theta_j (in radians) / sqrt(n)
///     theta_j = initial_angle (final_angle / initial_angle)^(j / (T - 1)),  j = min(j, T - 1)
///
/// so theta_j is the typical angle between a sample and the centre: |t_k| = mu_j |P z_k| with
/// |P z_k| ~ chi(n - 1), i.e. theta_j sqrt((n - 1) / n) on average for large n, which is the
/// reference's "scaled by 1/sqrt(n)" (per-coordinate std theta / sqrt(n)). T =
/// `schedule_generations`; j counts the generations sampled around a centre before this one
/// (j = g - 1 after a uniform start, j = g with a given initial centre), so the reference's 75
/// generations from 50 deg to 7.33 deg are j = 0 ... 74 (numpy.logspace), after which theta
/// stays at final_angle.
///
/// `tell` ranks the lambda samples (the centre's score is ignored; NaN ranks below every valid
/// score), and with weights w_i = ln(mu + 1/2) - ln i (normalized) over the mu best:
///
///     m  = R (sum_i w_i x_{i:lambda}) / |sum_i w_i x_{i:lambda}|      mean projected on the sphere
///     c <- SLERP(c, m, learning_rate) = R (cos(l a) c^ + sin(l a) u)
///
/// with a the angle between c and m and u the unit tangent at c towards m, i.e. the reference's
/// (sin((1 - l) a) c + sin(l a) m) / sin a; l = 1.5 moves 1.5 times the angle to m. A run without
/// an initial centre starts as the reference: generation 0 is lambda codes uniform on the sphere
/// (R z / |z|) and the first `tell` sets c = m (no SLERP).
///
/// A generation whose samples all score NaN changes nothing and shows the same codes again.
/// The recommendation is the centre. Cost per generation: lambda n normal draws plus O(n lambda).
class SphereCMA : public detail::StateCheckpoint<SphereCMA> {
 public:
  /// Starts from a uniform generation on the sphere (the reference's start).
  explicit SphereCMA(Index code_size, SphereCMAOptions options = {})
      : options_(std::move(options)) {
    const Index n = checked_size(code_size);
    validate();
    Engine rng = make_stream(options_.seed, 0, 0, Purpose::initialize);
    boost::random::normal_distribution<double> normal;
    Eigen::VectorXd c(n);
    for (Index i = 0; i < n; ++i) c[i] = normal(rng);
    start(c, true);
  }

  /// Starts around the given centre (projected on the sphere).
  explicit SphereCMA(const Code& initial_centre, SphereCMAOptions options = {})
      : options_(std::move(options)) {
    checked_size(initial_centre.size());
    validate();
    const Eigen::VectorXd c = initial_centre.cast<double>();
    if (!c.allFinite() || !(c.norm() > 0.0)) {
      throw std::invalid_argument(std::string(where) +
                                  ": the initial centre must be finite and nonzero");
    }
    start(c, false);
  }

  /// The codes to present now (`code_size x population_size()`); column 0 is the centre when
  /// `present_centre`.
  const Population& ask() const noexcept { return samples_; }

  /// Takes one score per column of `ask()` (larger is better, NaN = no response), moves the
  /// centre and samples the next generation.
  void tell(const Scores& scores) {
    detail::check_scores("xdream::SphereCMA::tell", scores, population_size());
    const Index lambda = options_.population_size;
    sample_scores_ = scores.tail(lambda);
    if (detail::count_valid(sample_scores_) == 0) return;  // nothing learned: show them again
    detail::rank_descending(sample_scores_, order_);
    Eigen::VectorXd& mean = mean_;
    mean.setZero(code_size());
    for (Index i = 0; i < mu_; ++i) {
      mean.noalias() += weights_[i] * x_.col(order_[static_cast<std::size_t>(i)]);
    }
    const double norm = mean.norm();
    if (norm > 0.0 && std::isfinite(norm)) {  // else the samples cancel out: the centre stays
      mean *= options_.radius / norm;
      if (state_.generation == 0 && state_.uniform_start) {
        state_.centre = mean;
      } else {
        slerp_centre(mean, options_.learning_rate);
      }
      state_.centre *= options_.radius / state_.centre.norm();
    }
    ++state_.generation;
    sample();
  }

  /// The centre (on the sphere).
  Code recommendation() const { return state_.centre.cast<float>(); }

  Index code_size() const noexcept { return state_.centre.size(); }
  /// Columns of `ask()`: population_size + 1 with `present_centre`, else population_size.
  Index population_size() const noexcept { return options_.population_size + centre_columns(); }
  std::uint64_t generation() const noexcept { return state_.generation; }
  const Eigen::VectorXd& centre() const noexcept { return state_.centre; }
  double radius() const noexcept { return options_.radius; }
  const SphereCMAOptions& options() const noexcept { return options_; }
  Index mu() const noexcept { return mu_; }
  const Eigen::VectorXd& weights() const noexcept { return weights_; }

  /// theta_j in degrees: the angle schedule's entry j (clamped to the last).
  double scheduled_angle(std::uint64_t j) const {
    const auto last = static_cast<std::uint64_t>(options_.schedule_generations - 1);
    const double fraction = static_cast<double>(std::min(j, last)) / static_cast<double>(last);
    return options_.initial_angle *
           std::pow(options_.final_angle / options_.initial_angle, fraction);
  }
  /// The exploration angle (degrees) of the current samples; 0 for a uniform generation 0.
  double exploration_angle() const {
    if (uniform_generation()) return 0.0;
    return scheduled_angle(state_.generation - (state_.uniform_start ? 1 : 0));
  }
  /// The z of the current samples, one column per sample (the centre has none).
  const Eigen::MatrixXd& standard_normal_draws() const noexcept { return z_; }

  /// The stable name that tags this algorithm's checkpoints.
  static std::string name() { return "sphere-cma"; }

  const SphereCMAState& state() const noexcept { return state_; }
  /// Continues from a saved state (same options); resamples the current generation exactly.
  void restore(SphereCMAState state) {
    const Index n = code_size();
    if (state.centre.size() != n || !state.centre.allFinite() || !(state.centre.norm() > 0.0)) {
      throw std::invalid_argument(
          "xdream::SphereCMA::restore: the state does not fit a code size of " + std::to_string(n));
    }
    state_ = std::move(state);
    sample();
  }

 private:
  static constexpr const char* where = "xdream::SphereCMA";

  static Index checked_size(Index n) {
    detail::require_at_least(where, "code_size", n, Index{2});
    return n;
  }

  void validate() {
    detail::require_positive(where, "radius", options_.radius);
    const Index lambda = options_.population_size;
    detail::require_at_least(where, "population_size", lambda, Index{2});
    mu_ = detail::parent_count(where, lambda, options_.mu);
    detail::require_positive(where, "learning_rate", options_.learning_rate);
    const auto angle = [](const char* name, double value) {
      if (!(value > 0.0 && value <= 180.0)) {
        detail::invalid(where, name, detail::to_text(value), "(0, 180] degrees");
      }
    };
    angle("initial_angle", options_.initial_angle);
    angle("final_angle", options_.final_angle);
    detail::require_at_least(where, "schedule_generations", options_.schedule_generations,
                             Index{2});
    detail::require_at_least(where, "threads", options_.threads, 1);
    weights_ = detail::normalized_log_rank_weights(mu_, static_cast<double>(mu_));
  }

  void start(const Eigen::VectorXd& c, bool uniform_start) {
    state_.centre = c * (options_.radius / c.norm());
    state_.generation = 0;
    state_.uniform_start = uniform_start;
    sample();
  }

  Index centre_columns() const noexcept { return options_.present_centre ? 1 : 0; }
  bool uniform_generation() const noexcept {
    return state_.generation == 0 && state_.uniform_start;
  }

  // c <- R (cos(t a) c^ + sin(t a) u): the geodesic from c through m, at t times their angle a.
  // `m` is overwritten (work space).
  void slerp_centre(Eigen::VectorXd& m, double t) {
    Eigen::VectorXd& c_unit = unit_centre_;
    c_unit = state_.centre.normalized();
    m.normalize();
    const double cos_a = c_unit.dot(m);
    Eigen::VectorXd& tangent = m;
    tangent -= cos_a * c_unit;
    const double sin_a = tangent.norm();
    if (!(sin_a > 0.0)) return;  // m = c (no move) or m = -c (no direction): stay
    const double a = std::atan2(sin_a, cos_a);
    tangent /= sin_a;
    state_.centre = options_.radius * (std::cos(t * a) * c_unit + std::sin(t * a) * tangent);
  }

  void sample() {
    const Index n = code_size(), lambda = options_.population_size, first = centre_columns();
    const double radius = options_.radius;
    z_.resize(n, lambda);
    x_.resize(n, lambda);
    samples_.resize(n, lambda + first);
    if (first == 1) samples_.col(0) = state_.centre.cast<float>();
    const bool uniform = uniform_generation();
    unit_centre_ = state_.centre / radius;
    const Eigen::VectorXd& c_unit = unit_centre_;
    const double c_squared = c_unit.squaredNorm();
    const double step =
        exploration_angle() * std::numbers::pi / 180.0 / std::sqrt(static_cast<double>(n));
    detail::parallel_for(lambda, options_.threads, [&](Index k) {
      // Each column is drawn (as detail::fill_standard_normal would) and mapped while in cache.
      detail::fill_standard_normal_column(z_.col(k).data(), n, options_.seed, state_.generation, k);
      const auto z = z_.col(k);
      // x = R y / |y| with y = z (uniform) or y = a z + b c^ (the exponential map below); every
      // coefficient comes from z . c^ and |z|^2, so the map reads z twice and writes x once
      // (the sample is renormalized to R, as the reference does, by the same factor).
      double a = 1.0, b = 0.0, y_squared = 0.0;
      const double z_squared = z.squaredNorm();
      if (uniform) {
        y_squared = z_squared;
      } else {
        // t = step (z - (z . c^) c^), |t|^2 = step^2 (|z|^2 - (z . c^)^2 (2 - |c^|^2));
        // y = (sin|t| / |t|) t + cos|t| c^.
        const double along = z.dot(c_unit);
        const double angle =
            step * std::sqrt(std::max(z_squared - along * along * (2.0 - c_squared), 0.0));
        if (angle > 0.0) {
          a = std::sin(angle) / angle * step;
          b = std::cos(angle) - a * along;
          y_squared = a * a * z_squared + 2.0 * a * b * along + b * b * c_squared;
        } else {
          a = 0.0;
          b = 1.0;
          y_squared = c_squared;
        }
      }
      const double scale = radius / std::sqrt(y_squared);
      a *= scale;
      b *= scale;
      double* x = x_.col(k).data();
      float* code = samples_.col(first + k).data();
      const double* z_data = z.data();
      const double* c_data = c_unit.data();
      for (Index i = 0; i < n; ++i) {
        const double value = a * z_data[i] + b * c_data[i];
        x[i] = value;
        code[i] = static_cast<float>(value);
      }
    });
  }

  SphereCMAOptions options_;
  SphereCMAState state_;
  Index mu_ = 0;
  Eigen::VectorXd weights_;
  Eigen::MatrixXd z_, x_;               // draws and samples (double), n x lambda
  Eigen::VectorXd unit_centre_, mean_;  // work space: c^, the recombined point
  Population samples_;
  Scores sample_scores_;
  std::vector<Index> order_;
};

}  // namespace xdream
