#pragma once
/// @file
/// Blend crossover (BLX-alpha).

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace xdream {

/// Blend crossover BLX-alpha (Eshelman & Schaffer 1993): each gene is drawn uniformly from
/// [lo - alpha d, hi + alpha d], where lo, hi are the parents' genes and d = hi - lo. Unlike
/// gene-swapping crossovers it creates new gene values between (and around) the parents'.
///
/// @param alpha extension of the parents' interval on each side; default 0.5; range [0, 1e3].
class BlendCrossover {
 public:
  explicit BlendCrossover(double alpha = 0.5) : alpha_(alpha) {
    // Larger alphas spread each child over thousands of parent distances: codes diverge.
    detail::require_closed("xdream::BlendCrossover", "alpha", alpha, 0.0, 1e3);
  }

  void cross(const Eigen::Ref<const Code>& parent1, const Eigen::Ref<const Code>& parent2,
             Eigen::Ref<Code> child, Engine& rng) const {
    const Index n = child.size();
    const auto alpha = static_cast<float>(alpha_);
    for (Index i = 0; i < n; ++i) {
      const float lo = std::min(parent1[i], parent2[i]);
      const float hi = std::max(parent1[i], parent2[i]);
      const float d = hi - lo;
      const auto u = static_cast<float>(detail::uniform01(rng));
      child[i] = (lo - alpha * d) + u * (1.0f + 2.0f * alpha) * d;
    }
  }

  double alpha() const noexcept { return alpha_; }

 private:
  double alpha_;
};

}  // namespace xdream
