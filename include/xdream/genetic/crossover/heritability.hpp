#pragma once
/// @file
/// XDream's gene-wise crossover with a heritability bias.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>

namespace xdream {

/// Uniform crossover with a bias, exactly as XDream's genetic algorithm (its published code,
/// step 4): each gene comes from parent 1 with probability `heritability`, otherwise from
/// parent 2. A heritability h < 0.5 is mirrored to 1 - h (the parents are exchangeable).
///
/// @param heritability share of genes from parent 1; default 0.5 (paper); range [0, 1].
class HeritabilityCrossover {
 public:
  explicit HeritabilityCrossover(double heritability = 0.5)
      : heritability_(heritability < 0.5 ? 1.0 - heritability : heritability),
        threshold_(heritability_) {
    detail::require_closed("xdream::HeritabilityCrossover", "heritability", heritability, 0.0, 1.0);
  }

  void cross(const Eigen::Ref<const Code>& parent1, const Eigen::Ref<const Code>& parent2,
             Eigen::Ref<Code> child, Engine& rng) const {
    const Index n = child.size();
    const float* a = parent1.data();
    const float* b = parent2.data();
    float* out = child.data();
    // 64 genes per mask (bit j set: gene from parent 1); the copy selects bits without branches
    // so that random choices cost no mispredictions, and copies values exactly.
    for (Index start = 0; start < n; start += 64) {
      const std::uint64_t mask = threshold_.mask64(rng);
      const Index length = std::min<Index>(64, n - start);
      for (Index j = 0; j < length; ++j) {
        const std::uint32_t from_a = 0u - static_cast<std::uint32_t>((mask >> j) & 1u);
        const auto bits_a = std::bit_cast<std::uint32_t>(a[start + j]);
        const auto bits_b = std::bit_cast<std::uint32_t>(b[start + j]);
        out[start + j] = std::bit_cast<float>((bits_a & from_a) | (bits_b & ~from_a));
      }
    }
  }

  /// The effective heritability (after mirroring below 0.5).
  double heritability() const noexcept { return heritability_; }

 private:
  double heritability_;
  detail::Threshold32 threshold_;
};

}  // namespace xdream
