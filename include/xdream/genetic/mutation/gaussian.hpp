#pragma once
/// @file
/// XDream's per-gene Gaussian mutation.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <boost/random/normal_distribution.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>

namespace xdream {

namespace detail {
/// Adds N(0, size^2) to each gene independently with probability `rate` (masks of 64 genes,
/// Threshold32::mask64); returns whether any gene changed.
inline bool gaussian_mutate(Eigen::Ref<Code> child, Threshold32 rate, float size, Engine& rng) {
  // A step of size 0 changes nothing: no draws, and the child is not reported as mutated.
  if (size == 0.0f) return false;
  boost::random::normal_distribution<float> normal(0.0f, size);
  const Index n = child.size();
  float* x = child.data();
  bool changed = false;
  // 64 genes per mask (bit j set: gene mutates); only the set bits are visited, so the random
  // choices cost no branch mispredictions beyond one per 64 genes.
  for (Index start = 0; start < n; start += 64) {
    std::uint64_t mask = rate.mask64(rng);
    const Index length = std::min<Index>(64, n - start);
    if (length < 64) mask &= (std::uint64_t{1} << length) - 1;
    while (mask != 0) {
      float& gene = x[start + std::countr_zero(mask)];
      const float before = gene;
      gene += normal(rng);
      changed |= gene != before;
      mask &= mask - 1;
    }
  }
  return changed;
}

inline void check_mutation(const char* where, double rate, double size) {
  require_closed(where, "mutation_rate", rate, 0.0, 1.0);
  require_closed(where, "mutation_size", size, 0.0,
                 static_cast<double>(std::numeric_limits<float>::max()));
}

/// The base of GaussianMutation and AnnealedMutation: each gene mutates with probability
/// `rate()` by N(0, size()^2) (gaussian_mutate, the size rounded to float). The size may change
/// over a run (`set_size`).
class GaussianGeneMutation {
 public:
  bool mutate(Eigen::Ref<Code> child, Engine& rng) const {
    return gaussian_mutate(child, threshold_, static_cast<float>(size_), rng);
  }

  double rate() const noexcept { return rate_; }
  /// The current mutation std.
  double size() const noexcept { return size_; }

 protected:
  GaussianGeneMutation(double rate, double size) : rate_(rate), size_(size), threshold_(rate) {}

  void set_size(double size) noexcept { size_ = size; }

 private:
  double rate_;
  double size_;
  Threshold32 threshold_;
};
}  // namespace detail

/// Per-gene Gaussian mutation, exactly as XDream's genetic algorithm (its published code, the
/// mutation step): each gene of a child independently, with probability `rate`, gets
/// + N(0, size^2). Codes are never clipped.
///
/// @param rate probability that a gene mutates; default 0.5 (paper, fc6); range [0, 1].
/// @param size standard deviation of a mutation; default 0.5 (paper, fc6); range [0, inf).
class GaussianMutation : public detail::GaussianGeneMutation {
 public:
  explicit GaussianMutation(double rate = 0.5, double size = 0.5)
      : GaussianGeneMutation(rate, size) {
    detail::check_mutation("xdream::GaussianMutation", rate, size);
  }
};

}  // namespace xdream
