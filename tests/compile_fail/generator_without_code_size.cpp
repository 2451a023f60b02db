// expect: the Generator type has no member function `code_size\(\) const`
// A generator that can generate but cannot say how long a code is.
#include <xdream/concepts.hpp>

struct BadGenerator {
  xdream::Population generate(const xdream::Population& codes) { return codes; }
};

static_assert(xdream::detail::check_generator<BadGenerator>());

int main() {}
