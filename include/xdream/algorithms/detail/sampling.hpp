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

}  // namespace xdream::detail
