// expect: the Mutation type has no member function `mutate\(Eigen::Ref<xdream::Code>, xdream::Engine&\) const`
// A mutation policy with no mutate at all.
#include <xdream/concepts.hpp>

struct BadMutation {
  double rate = 0.5;
};

static_assert(xdream::detail::check_mutation<BadMutation>());

int main() {}
