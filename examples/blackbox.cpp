// The getting-started program (docs/getting-started.md): XDream's GA as a black-box optimizer.
#include <xdream/callbacks/progress.hpp>
#include <xdream/generators/identity.hpp>
#include <xdream/objectives/unit_like.hpp>
#include <xdream/optimizer.hpp>

#include <iostream>

int main() {
  const xdream::Index dimension = 64;
  xdream::UnitLike neuron(dimension, /*seed=*/7);  // a synthetic unit with a known optimum
  xdream::Optimizer optimizer(xdream::IdentityGenerator(dimension), neuron,
                              xdream::Genetic<>(dimension, {.population_size = 20, .seed = 1}));

  xdream::callbacks::Progress progress(std::cout, /*every=*/100);
  const xdream::Result result = optimizer.run(xdream::budget::stimuli(10'000), progress);

  std::cout << "best score " << result.best.score << " (optimum " << neuron.optimum_value()
            << ") in generation " << result.best.generation << " after " << result.stimuli
            << " stimuli\n";
}
