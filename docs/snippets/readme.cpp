// README.md, "Using the library": the block is the [includes] region, a blank line, then the
// [use] region.
// clang-format off
// [includes]
#include <xdream/optimizer.hpp>            // driver, concepts, XDream's GA with default policies
#include <xdream/generators/identity.hpp>
#include <xdream/objectives/unit_like.hpp>
// [includes]
// clang-format on

#include <cstdio>

int main() {
  // clang-format off
  // [use]
  xdream::UnitLike neuron(64, /*seed=*/7);   // any type with evaluate(stimuli) -> scores
  xdream::Optimizer optimizer(xdream::IdentityGenerator(64), neuron,
                              xdream::Genetic<>(64, {.population_size = 20, .seed = 1}));
  xdream::Result result = optimizer.run(xdream::budget::stimuli(10'000));
  // [use]
  // clang-format on
  std::printf("best %.4f of %.4f after %llu stimuli\n", result.best.score, neuron.optimum_value(),
              static_cast<unsigned long long>(result.stimuli));
  return result.stimuli == 10'000 && result.best.score > 0.0 ? 0 : 1;
}
