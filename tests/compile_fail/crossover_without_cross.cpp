// expect: the Crossover type has no member function `cross\(parent1, parent2, child, xdream::Engine&\) const`
// Near miss: a crossover that returns a new child instead of writing into the one it is given.
#include <xdream/concepts.hpp>

struct BadCrossover {
  xdream::Code combine(const xdream::Code& parent1, const xdream::Code&) const { return parent1; }
};

static_assert(xdream::detail::check_crossover<BadCrossover>());

int main() {}
