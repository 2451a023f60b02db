#pragma once
/// @file
/// Standard-normal sampling into a matrix, one independent stream per column.

#include <xdream/detail/parallel.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <boost/random/normal_distribution.hpp>

#include <cstdint>

namespace xdream::detail {

/// Fills `column` (`rows` values) with i.i.d. N(0, 1) from stream (seed, generation, k, sample):
/// column k of `fill_standard_normal`, for a caller that uses each column while it is in cache.
template <class Scalar>
void fill_standard_normal_column(Scalar* column, Index rows, std::uint64_t seed,
                                 std::uint64_t generation, Index k) {
  Engine rng = make_stream(seed, generation, static_cast<std::uint64_t>(k), Purpose::sample);
  boost::random::normal_distribution<Scalar> normal;
  for (Index i = 0; i < rows; ++i) column[i] = normal(rng);
}

/// Fills column k of `z` with i.i.d. N(0, 1) from stream (seed, generation, k, sample), so the
/// draws do not depend on the thread count.
template <class Matrix>
void fill_standard_normal(Matrix& z, std::uint64_t seed, std::uint64_t generation, int threads) {
  parallel_for(z.cols(), threads, [&](Index k) {
    fill_standard_normal_column(z.col(k).data(), z.rows(), seed, generation, k);
  });
}

/// Draws a generation's deviates z (code size n x `options.population_size`, column k from stream
/// (seed, generation, k)) and gives `mapped` and `samples` the same shape, for a caller that maps
/// each column of z into them.
template <class Options>
void draw_generation(const Options& options, std::uint64_t generation, Index n, Eigen::MatrixXd& z,
                     Eigen::MatrixXd& mapped, Population& samples) {
  const Index lambda = options.population_size;
  z.resize(n, lambda);
  fill_standard_normal(z, options.seed, generation, options.threads);
  mapped.resize(n, lambda);
  samples.resize(n, lambda);
}

}  // namespace xdream::detail
