#pragma once
// The objective of xdream-evolve: the unit, clean or behind the chosen noise model, or a
// population pattern over the tap's channels, as one type (one Optimizer type for all of them).

#include "evolve_config.hpp"

#include <xdream/any_objective.hpp>
#include <xdream/objectives/multiplicative_noise.hpp>
#include <xdream/objectives/poisson_noise.hpp>
#include <xdream/torch.hpp>

#include <cstdint>
#include <utility>

namespace xdream_evolve {

using Objective = xdream::AnyObjective<torch::Tensor>;

/// The unit, clean or behind the noise model of `c` (seeded with c.seed + 1); `reference_max`
/// scales Poisson noise's spike rate.
inline Objective make_objective(const EvolveConfig& c, xdream::TorchNetworkUnit unit,
                                double reference_max) {
  const std::uint64_t noise_seed = c.seed + 1;
  switch (c.noise) {
    case NoiseModel::poisson:
      return Objective(xdream::PoissonNoise<xdream::TorchNetworkUnit>(
          std::move(unit), {.expected_spikes = c.noise_level > 0 ? c.noise_level : 20.0,
                            .reference_max = reference_max,
                            .reps = c.noise_reps,
                            .seed = noise_seed}));
    case NoiseModel::multiplicative:
      return Objective(xdream::MultiplicativeNoise<xdream::TorchNetworkUnit>(
          std::move(unit),
          {.noise_level = c.noise_level > 0 ? c.noise_level : 0.2, .seed = noise_seed}));
    case NoiseModel::none:
      break;
  }
  return Objective(std::move(unit));
}

/// The population pattern over the channels of `array` (--score-pattern). Always clean: check()
/// refuses a noise model with a pattern, whose score is not an activation a spike count or a
/// gain could perturb.
inline Objective make_pattern_objective(xdream::TorchTapArray array,
                                        xdream::PopulationPattern pattern) {
  return Objective(xdream::TorchNetworkPattern(std::move(array), std::move(pattern)));
}
}  // namespace xdream_evolve
