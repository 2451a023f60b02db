// expect: the Algorithm type has no member function `tell\(const xdream::Scores&\)`
// An algorithm that asks but never learns from the scores.
#include <xdream/concepts.hpp>

struct BadAlgorithm {
  xdream::Population codes = xdream::Population::Zero(4, 2);
  const xdream::Population& ask() { return codes; }
  xdream::Index code_size() const { return codes.rows(); }
  xdream::Index population_size() const { return codes.cols(); }
};

static_assert(xdream::detail::check_algorithm<BadAlgorithm>());

int main() {}
