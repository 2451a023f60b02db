#pragma once
// Objectives that let a test choose every clean score, for the noise models' tests.

#include <xdream/population.hpp>

#include <vector>

namespace xdream_test {

/// The activation of a stimulus is its first gene; counts its calls.
struct FirstGene {
  int calls = 0;
  xdream::Scores evaluate(const xdream::Population& x) {
    ++calls;
    return x.row(0).transpose().cast<double>();
  }
};

/// Scores a list of doubles as themselves: another stimuli type than a Population, which a
/// wrapper must forward as it is.
struct ListObjective {
  xdream::Scores evaluate(const std::vector<double>& stimuli) const {
    return Eigen::Map<const xdream::Scores>(stimuli.data(),
                                            static_cast<xdream::Index>(stimuli.size()));
  }
};

/// `count` stimuli of two genes, each of activation `activation` for FirstGene.
inline xdream::Population constant_stimuli(xdream::Index count, float activation) {
  return xdream::Population::Constant(2, count, activation);
}

}  // namespace xdream_test
