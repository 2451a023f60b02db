#pragma once
/// @file
/// One-point crossover.

#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <boost/random/uniform_int_distribution.hpp>

namespace xdream {

/// One-point crossover (Holland 1975): a cut point k is drawn uniformly from 1 ... n - 1; the
/// child takes genes [0, k) from parent 1 and [k, n) from parent 2. For codes of one gene the
/// child is parent 1. Keeps contiguous runs of genes together, which matters for codes whose
/// neighbouring genes are related (e.g. raw pixels in scan order).
class OnePointCrossover {
 public:
  void cross(const Eigen::Ref<const Code>& parent1, const Eigen::Ref<const Code>& parent2,
             Eigen::Ref<Code> child, Engine& rng) const {
    const Index n = child.size();
    if (n < 2) {
      child = parent1;
      return;
    }
    const Index cut = boost::random::uniform_int_distribution<Index>(1, n - 1)(rng);
    child.head(cut) = parent1.head(cut);
    child.tail(n - cut) = parent2.tail(n - cut);
  }
};

}  // namespace xdream
