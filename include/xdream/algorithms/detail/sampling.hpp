#pragma once
/// @file
/// Standard-normal sampling into a matrix, one independent stream per column.

#include <xdream/detail/parallel.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <boost/random/normal_distribution.hpp>

#include <cstdint>

namespace xdream::detail {

/// Fills column k of `z` with i.i.d. N(0, 1) from stream (seed, generation, k, sample), so the
/// draws do not depend on the thread count.
template <class Matrix>
void fill_standard_normal(Matrix& z, std::uint64_t seed, std::uint64_t generation, int threads) {
  using Scalar = typename Matrix::Scalar;
  parallel_for(z.cols(), threads, [&](Index k) {
    Engine rng = make_stream(seed, generation, static_cast<std::uint64_t>(k), Purpose::sample);
    boost::random::normal_distribution<Scalar> normal;
    Scalar* column = z.col(k).data();
    for (Index i = 0; i < z.rows(); ++i) column[i] = normal(rng);
  });
}

}  // namespace xdream::detail
