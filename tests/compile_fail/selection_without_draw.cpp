// expect: the Selection type has no member function `draw\(xdream::Engine&\) const`
// A selection that prepares its weights but cannot draw a parent.
#include <xdream/concepts.hpp>

struct BadSelection {
  void prepare(const xdream::Scores&) {}
};

static_assert(xdream::detail::check_selection<BadSelection>());

int main() {}
