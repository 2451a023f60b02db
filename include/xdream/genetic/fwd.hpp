#pragma once
/// @file
/// Declarations of XDream's genetic algorithm and its default policies, with the defaults, so
/// that the driver can name `Genetic<>` as its default algorithm without the whole GA (the
/// definitions are in genetic/genetic.hpp and the policy headers; `<xdream/optimizer.hpp>`
/// includes them).

namespace xdream {

class BoltzmannSelection;     // genetic/selection/boltzmann.hpp
class HeritabilityCrossover;  // genetic/crossover/heritability.hpp
class GaussianMutation;       // genetic/mutation/gaussian.hpp

template <class Sel = BoltzmannSelection, class Cross = HeritabilityCrossover,
          class Mut = GaussianMutation>
class Genetic;  // genetic/genetic.hpp

}  // namespace xdream
