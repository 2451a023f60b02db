#pragma once
/// @file
/// Antithetic (mirrored) sampling and the body of the algorithms built on it (FDGD and NES).

#include <xdream/algorithms/detail/sampling.hpp>
#include <xdream/detail/parallel.hpp>
#include <xdream/detail/state_checkpoint.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace xdream::detail {

/// Requires an even population of at least one pair.
inline void require_pairs(std::string_view where, Index population_size) {
  if (!(population_size >= 2 && population_size % 2 == 0)) {
    invalid(where, "population_size", to_text(population_size), "an even number >= 2");
  }
}

/// Draws the directions of one generation (column k of `z` from stream (seed, generation, k)) and
/// writes the mirrored samples: column 2k of `samples` is `centre + scale * z_k`, column 2k + 1 is
/// `centre - scale * z_k`.
inline void antithetic_samples(const Eigen::VectorXd& centre, double scale, std::uint64_t seed,
                               std::uint64_t generation, int threads, Eigen::MatrixXd& z,
                               Population& samples) {
  const Index n = centre.size(), pairs = z.cols();
  fill_standard_normal(z, seed, generation, threads);
  samples.resize(n, 2 * pairs);
  parallel_for(pairs, threads, [&](Index k) {
    samples.col(2 * k) = (centre + scale * z.col(k)).cast<float>();
    samples.col(2 * k + 1) = (centre - scale * z.col(k)).cast<float>();
  });
}

/// Whether both scores of pair k (columns 2k and 2k + 1) are valid (not NaN).
inline bool pair_valid(const Scores& scores, Index k) {
  return !std::isnan(scores[2 * k]) && !std::isnan(scores[2 * k + 1]);
}

/// The body FDGD and NES share: K = population_size / 2 antithetic pairs around a centre c,
/// column 2k = c + r z_k and column 2k + 1 = c - r z_k with z_k ~ N(0, I) from stream
/// (seed, generation, k); the settings both have (population_size, radius, learning_rate, seed,
/// threads), the accessors, `ask`, `state` and `restore`. `State` has `centre` and `generation`.
///
/// The derived algorithm writes `tell` (check the scores, `weigh_pairs`, `advance`), calls
/// `sample()` at the end of its constructors, and gives this class (a friend) these members:
///
///     static constexpr const char* where;             its name in messages ("xdream::FDGD")
///     static void check_own_options(const Options&);  its other settings, checked before threads
///     double probe_scale() const;                     r, the radius the pairs are drawn at
///     static bool own_state_fits(const State&);       restore's checks beyond the centre's
///     static constexpr const char* state_rule;        what those checks require, for messages
template <class Derived, class Options, class State>
class AntitheticSearch : public StateCheckpoint<Derived> {
 public:
  /// The codes to present now (`code_size x population_size`; columns 2k and 2k + 1 are the pair
  /// c + r z_k, c - r z_k).
  const Population& ask() const noexcept { return samples_; }

  /// The centre of the search (never the luckiest sample).
  Code recommendation() const { return state_.centre.template cast<float>(); }

  Index code_size() const noexcept { return state_.centre.size(); }
  Index population_size() const noexcept { return options_.population_size; }
  std::uint64_t generation() const noexcept { return state_.generation; }
  const Eigen::VectorXd& centre() const noexcept { return state_.centre; }
  const Options& options() const noexcept { return options_; }

  const State& state() const noexcept { return state_; }
  /// Continues from a saved state (same options); resamples the current generation exactly.
  void restore(State state) {
    if (state.centre.size() != code_size() || !state.centre.allFinite() ||
        !Derived::own_state_fits(state)) {
      throw std::invalid_argument(std::string(Derived::where) +
                                  "::restore: the state does not fit a code size of " +
                                  std::to_string(code_size()) + Derived::state_rule);
    }
    state_ = std::move(state);
    sample();
  }

 protected:
  /// Checks the shared settings and the derived algorithm's own (in that order, threads last),
  /// and starts at `initial_centre`; the derived constructor completes the state and samples.
  AntitheticSearch(const Code& initial_centre, Options options) : options_(std::move(options)) {
    constexpr const char* where = Derived::where;
    checked_size(initial_centre.size());
    if (!initial_centre.allFinite()) {
      throw std::invalid_argument(std::string(where) + ": the initial centre holds NaN or inf");
    }
    require_pairs(where, options_.population_size);
    require_positive(where, "radius", options_.radius);
    require_positive(where, "learning_rate", options_.learning_rate);
    Derived::check_own_options(options_);
    require_at_least(where, "threads", options_.threads, 1);
    z_.resize(initial_centre.size(), options_.population_size / 2);
    weights_.resize(options_.population_size / 2);
    state_.centre = initial_centre.template cast<double>();
  }

  /// Requires a code size of at least 1; returns it.
  static Index checked_size(Index n) {
    require_at_least(Derived::where, "code_size", n, Index{1});
    return n;
  }

  /// For each pair k whose two scores are valid, weights_[k] = weight(k, f+_k, f-_k) (pairs in
  /// order); 0 for the others. Returns the number of valid pairs.
  template <class Weight>
  Index weigh_pairs(const Scores& scores, Weight&& weight) {
    Index valid = 0;
    for (Index k = 0; k < z_.cols(); ++k) {
      weights_[k] = 0.0;
      if (!pair_valid(scores, k)) continue;
      ++valid;
      weights_[k] = weight(k, scores[2 * k], scores[2 * k + 1]);
    }
    return valid;
  }

  /// c <- c + step Z w (w from `weigh_pairs`), then samples the next generation.
  void advance(double step) {
    state_.centre.noalias() += step * (z_ * weights_);
    ++state_.generation;
    sample();
  }

  /// Draws the current generation's pairs at the derived algorithm's radius.
  void sample() {
    antithetic_samples(state_.centre, static_cast<const Derived&>(*this).probe_scale(),
                       options_.seed, state_.generation, options_.threads, z_, samples_);
  }

  Options options_;
  State state_;
  Eigen::MatrixXd z_;  // the pairs' directions z_k, one per column
  Eigen::VectorXd weights_;
  Population samples_;
};

}  // namespace xdream::detail
