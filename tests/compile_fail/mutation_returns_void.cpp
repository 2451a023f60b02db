// expect: the Mutation type has no member function `mutate\(Eigen::Ref<xdream::Code>, xdream::Engine&\) const`
// Near miss: mutate exists but does not say whether the child changed (genealogy needs it).
#include <xdream/concepts.hpp>

struct BadMutation {
  void mutate(Eigen::Ref<xdream::Code>, xdream::Engine&) const {}
};

static_assert(xdream::detail::check_mutation<BadMutation>());

int main() {}
