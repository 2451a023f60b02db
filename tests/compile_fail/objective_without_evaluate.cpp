// expect: the Objective type has no member function `evaluate\(const Stimuli&\)`
// An objective whose scoring function has another name.
#include <xdream/concepts.hpp>

struct BadObjective {
  xdream::Scores score(const xdream::Population& stimuli) {
    return xdream::Scores::Zero(stimuli.cols());
  }
};

static_assert(xdream::detail::check_objective<BadObjective, xdream::Population>());

int main() {}
