// expect: a Callback needs at least one of the member functions `on_start\(const xdream::Population&\)`
// Near miss: a hook with a misspelt name is no hook at all.
#include <xdream/concepts.hpp>

struct BadCallback {
  bool on_generations(int) { return false; }
};

static_assert(xdream::detail::check_callback<BadCallback>());

int main() {}
