// expect: the Objective's `evaluate` must return an Eigen vector of double \(xdream::Scores\)
// Near miss a user writes easily: one double per stimulus, but in a std::vector.
#include <xdream/generators/identity.hpp>
#include <xdream/optimizer.hpp>

#include <vector>

struct VectorObjective {
  std::vector<double> evaluate(const xdream::Population& stimuli) {
    return std::vector<double>(static_cast<std::size_t>(stimuli.cols()), 0.0);
  }
};

int main() {
  xdream::Optimizer<xdream::IdentityGenerator, VectorObjective> optimizer(
      xdream::IdentityGenerator(8), VectorObjective{});
  (void)optimizer;
}
