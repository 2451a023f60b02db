// expect: the Selection type has no member function `draw\(xdream::Engine&\) const`
// Near miss: draw exists but is not const (parents are drawn concurrently, so it must be).
#include <xdream/concepts.hpp>

struct BadSelection {
  void prepare(const xdream::Scores&) {}
  xdream::Index draw(xdream::Engine&) { return 0; }
};

static_assert(xdream::detail::check_selection<BadSelection>());

int main() {}
