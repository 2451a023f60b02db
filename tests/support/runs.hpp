#pragma once
// Optimizers that several test files run: XDream's GA on the sphere, and a checkpointable run
// whose stimuli differ from its codes and whose scores are Poisson-noisy (its noise stream
// position is part of its state).

#include <xdream/algorithms/sep_cmaes.hpp>
#include <xdream/generators/identity.hpp>
#include <xdream/objectives/poisson_noise.hpp>
#include <xdream/objectives/sphere.hpp>
#include <xdream/optimizer.hpp>

#include <cstdint>

namespace xdream_test {

/// XDream's GA (population 20, nothing conserved, one thread) on the sphere of dimension n.
inline xdream::Optimizer<xdream::IdentityGenerator, xdream::Sphere> sphere_optimizer(
    xdream::Index n, std::uint64_t seed) {
  return {xdream::IdentityGenerator(n), xdream::Sphere(n),
          xdream::Genetic<>(n, xdream::GeneticOptions{20, 0, seed, 1})};
}

/// The code size of the noisy run.
inline constexpr xdream::Index noisy_run_size = 6;

/// Doubles the codes, so that stimuli and codes differ.
struct Doubling {
  xdream::Index code_size() const { return noisy_run_size; }
  xdream::Population generate(const xdream::Population& codes) const { return 2.0f * codes; }
};

/// The sphere of the stimuli, never below zero (Poisson noise needs a positive reference).
struct Positive {
  xdream::Sphere sphere{noisy_run_size};
  xdream::Scores evaluate(const xdream::Population& x) const {
    return (sphere.evaluate(x).array() + 100.0).matrix();
  }
};

using NoisyObjective = xdream::PoissonNoise<Positive>;
/// sep-CMA-ES (population 8) through Doubling on Poisson-noisy Positive scores: Checkpointable,
/// with the noise model's stream position in its checkpoints.
using NoisyRun = xdream::Optimizer<Doubling, NoisyObjective, xdream::SepCMAES>;

/// A NoisyRun, the same at every call (fixed seeds).
inline NoisyRun make_noisy_run() {
  return NoisyRun(
      Doubling{},
      NoisyObjective(Positive{}, {.expected_spikes = 10, .reference_max = 120, .seed = 9}),
      xdream::SepCMAES(noisy_run_size, {.population_size = 8, .seed = 4}));
}

}  // namespace xdream_test
