#pragma once
/// @file
/// The umbrella header: the driver, the concepts and XDream's genetic algorithm with its default
/// policies. Light on purpose (no LibTorch, no I/O); other policies and algorithms have their own
/// headers.

#include <xdream/budget.hpp>
#include <xdream/concepts.hpp>
#include <xdream/driver.hpp>
#include <xdream/genetic/genetic.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>
#include <xdream/result.hpp>
#include <xdream/version.hpp>

namespace xdream {

/// The flat spelling: the generator, the objective and the GA's three policies in one list (the
/// concepts each must satisfy: docs/concepts.md).
/// `GeneticOptimizer<G, O, Sel, Cross, Mut>` is `Optimizer<G, O, Genetic<Sel, Cross, Mut>>`.
template <class G, class O, class Sel = BoltzmannSelection, class Cross = HeritabilityCrossover,
          class Mut = GaussianMutation>
using GeneticOptimizer = Optimizer<G, O, Genetic<Sel, Cross, Mut>>;

}  // namespace xdream
