// expect: the Generator type has no member function `generate\(const xdream::Population&\)`
// A generator that knows its code size but maps nothing.
#include <xdream/concepts.hpp>

struct BadGenerator {
  xdream::Index code_size() const { return 16; }
};

static_assert(xdream::detail::check_generator<BadGenerator>());

int main() {}
