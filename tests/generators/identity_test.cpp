// IdentityGenerator (include/xdream/generators/identity.hpp): the stimuli are the codes themselves.
#include <xdream/concepts.hpp>
#include <xdream/generators/identity.hpp>

#include <doctest/doctest.h>

#include <stdexcept>

namespace {
using xdream::IdentityGenerator;
using xdream::Population;

static_assert(xdream::Generator<IdentityGenerator>);

TEST_CASE("IdentityGenerator returns the codes themselves") {
  IdentityGenerator generator(6);
  CHECK(generator.code_size() == 6);
  const Population codes = Population::Random(6, 4);
  const Population& stimuli = generator.generate(codes);
  CHECK(&stimuli == &codes);  // no copy
  CHECK_THROWS_WITH_AS(IdentityGenerator(0), doctest::Contains("code_size"), std::invalid_argument);
}
}  // namespace
