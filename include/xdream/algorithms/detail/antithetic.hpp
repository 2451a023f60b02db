#pragma once
/// @file
/// Antithetic (mirrored) sampling shared by the finite-difference and NES algorithms.

#include <xdream/algorithms/detail/sampling.hpp>
#include <xdream/detail/parallel.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

#include <cmath>
#include <cstdint>
#include <string_view>

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

}  // namespace xdream::detail
