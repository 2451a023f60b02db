// expect: the Objective's `evaluate` must return an Eigen vector of double
// Near miss: float scores instead of double (xdream::Scores).
#include <xdream/concepts.hpp>

struct BadObjective {
  Eigen::VectorXf evaluate(const xdream::Population& stimuli) {
    return Eigen::VectorXf::Zero(stimuli.cols());
  }
};

static_assert(xdream::detail::check_objective<BadObjective, xdream::Population>());

int main() {}
