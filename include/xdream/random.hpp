#pragma once
/// @file
/// Random streams: Boost.Random engines derived from (seed, purpose, generation, individual).
///
/// Every random decision in xdream is drawn from a Boost.Random engine whose seed is derived from
/// (run seed, generation, individual, purpose). Because each individual of each generation owns its
/// stream, results do not depend on the number of threads or the order of evaluation, and because
/// Boost.Random's algorithms are fixed, a seed gives the same run with every compiler.

#include <boost/random/mersenne_twister.hpp>

#include <bit>
#include <cstdint>

namespace xdream {

/// The engine of every stream: 64-bit Mersenne Twister (Boost.Random, fixed algorithm).
using Engine = boost::random::mt19937_64;

/// What a stream is used for; part of the stream's identity so that two uses never share draws.
enum class Purpose : std::uint64_t {
  initialize = 1,  ///< the initial population
  breed = 2,       ///< parent choice, crossover and mutation of one child
  noise = 3,       ///< an objective's noise model
  sample = 4,      ///< an algorithm's sampling (CMA-style methods)
  user = 5,        ///< free for user code
  rig = 6,         ///< a rig session (the order of a block's images)
};

namespace detail {
/// SplitMix64 finalizer: a bijective mix with full avalanche, used to combine stream coordinates.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace detail

/// The seed of stream (seed, generation, individual, purpose). Distinct coordinates give
/// unrelated seeds.
constexpr std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t generation,
                                    std::uint64_t individual, Purpose purpose) noexcept {
  std::uint64_t h = detail::mix64(seed);
  h = detail::mix64(h ^ static_cast<std::uint64_t>(purpose));
  h = detail::mix64(h ^ generation);
  return detail::mix64(h ^ individual);
}

/// A fresh engine for stream (seed, generation, individual, purpose).
inline Engine make_stream(std::uint64_t seed, std::uint64_t generation, std::uint64_t individual,
                          Purpose purpose) {
  return Engine(stream_seed(seed, generation, individual, purpose));
}

namespace detail {
/// A probability as a 32-bit threshold: `u32 < threshold` holds with probability p
/// (exact to 2^-32; p = 1 always holds).
struct Threshold32 {
  std::uint64_t value;  // in [0, 2^32]
  // Saturates outside [0, 1] (and maps NaN to 0) so that a constructor may build it before it
  // validates p without undefined behaviour.
  explicit Threshold32(double p) noexcept
      : value(p >= 1.0  ? std::uint64_t{1} << 32
              : p > 0.0 ? static_cast<std::uint64_t>(p * 4294967296.0 + 0.5)
                        : 0) {}
  bool hit(std::uint32_t u) const noexcept { return u < value; }

  /// 64 independent bits, each 1 with probability value / 2^32: the lane-wise comparison
  /// U < value of 64 uniform 32-bit numbers U, computed bit-sliced from the threshold's lowest
  /// set bit up (bit j of the threshold set: mask |= draw, clear: mask &= draw). Costs
  /// 32 - countr_zero(value) draws for 64 genes: one at p = 1/2, two at p = 3/4.
  std::uint64_t mask64(Engine& rng) const noexcept {
    if (value >= (std::uint64_t{1} << 32)) return ~std::uint64_t{0};
    if (value == 0) return 0;
    std::uint64_t mask = 0;
    for (int bit = std::countr_zero(value); bit < 32; ++bit) {
      const std::uint64_t draw = rng();
      mask = ((value >> bit) & 1u) != 0 ? (mask | draw) : (mask & draw);
    }
    return mask;
  }
};

/// A uniform double in [0, 1) from the top 53 bits of one draw.
inline double uniform01(Engine& rng) noexcept {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}
}  // namespace detail

}  // namespace xdream
