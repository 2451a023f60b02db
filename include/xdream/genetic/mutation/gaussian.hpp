#pragma once
/// @file
/// XDream's per-gene Gaussian mutation.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <boost/random/normal_distribution.hpp>

#include <cstdint>
#include <limits>

namespace xdream {

namespace detail {
/// Adds N(0, size^2) to each gene independently with probability `rate` (one 64-bit draw decides
/// two genes); returns whether any gene changed.
inline bool gaussian_mutate(Eigen::Ref<Code> child, Threshold32 rate, float size, Engine& rng) {
  // A step of size 0 changes nothing: no draws, and the child is not reported as mutated.
  if (size == 0.0f) return false;
  boost::random::normal_distribution<float> normal(0.0f, size);
  const Index n = child.size();
  float* x = child.data();
  bool changed = false;
  const auto add = [&](Index k) {
    const float before = x[k];
    x[k] += normal(rng);
    changed |= x[k] != before;
  };
  Index i = 0;
  for (; i + 1 < n; i += 2) {
    const std::uint64_t u = rng();
    if (rate.hit(static_cast<std::uint32_t>(u >> 32))) add(i);
    if (rate.hit(static_cast<std::uint32_t>(u))) add(i + 1);
  }
  if (i < n && rate.hit(static_cast<std::uint32_t>(rng() >> 32))) add(i);
  return changed;
}

inline void check_mutation(const char* where, double rate, double size) {
  require_closed(where, "mutation_rate", rate, 0.0, 1.0);
  require_closed(where, "mutation_size", size, 0.0,
                 static_cast<double>(std::numeric_limits<float>::max()));
}
}  // namespace detail

/// Per-gene Gaussian mutation, exactly as XDream's genetic algorithm (design section 4, step 5):
/// each gene of a child independently, with probability `rate`, gets + N(0, size^2). Codes are
/// never clipped.
///
/// @param rate probability that a gene mutates; default 0.5 (paper, fc6); range [0, 1].
/// @param size standard deviation of a mutation; default 0.5 (paper, fc6); range [0, inf).
class GaussianMutation {
 public:
  explicit GaussianMutation(double rate = 0.5, double size = 0.5)
      : rate_(rate), size_(size), threshold_(rate) {
    detail::check_mutation("xdream::GaussianMutation", rate, size);
  }

  bool mutate(Eigen::Ref<Code> child, Engine& rng) const {
    return detail::gaussian_mutate(child, threshold_, static_cast<float>(size_), rng);
  }

  double rate() const noexcept { return rate_; }
  double size() const noexcept { return size_; }

 private:
  double rate_;
  double size_;
  detail::Threshold32 threshold_;
};

}  // namespace xdream
