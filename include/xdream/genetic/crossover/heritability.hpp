#pragma once
/// @file
/// XDream's gene-wise crossover with a heritability bias.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <cstdint>

namespace xdream {

/// Uniform crossover with a bias, exactly as XDream's genetic algorithm (design section 4,
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
    // One 64-bit draw decides two genes (its high and low 32-bit halves).
    Index i = 0;
    for (; i + 1 < n; i += 2) {
      const std::uint64_t u = rng();
      out[i] = threshold_.hit(static_cast<std::uint32_t>(u >> 32)) ? a[i] : b[i];
      out[i + 1] = threshold_.hit(static_cast<std::uint32_t>(u)) ? a[i + 1] : b[i + 1];
    }
    if (i < n) out[i] = threshold_.hit(static_cast<std::uint32_t>(rng() >> 32)) ? a[i] : b[i];
  }

  /// The effective heritability (after mirroring below 0.5).
  double heritability() const noexcept { return heritability_; }

 private:
  double heritability_;
  detail::Threshold32 threshold_;
};

}  // namespace xdream
