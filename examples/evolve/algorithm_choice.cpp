#include "algorithm_choice.hpp"

#include <xdream/algorithms/cholesky_cmaes.hpp>
#include <xdream/algorithms/cmaes.hpp>
#include <xdream/algorithms/fdgd.hpp>
#include <xdream/algorithms/lm_ma_es.hpp>
#include <xdream/algorithms/nes.hpp>
#include <xdream/algorithms/sep_cmaes.hpp>
#include <xdream/algorithms/sphere_cma.hpp>
#include <xdream/genetic/genetic.hpp>

#include <cmath>
#include <stdexcept>

namespace xdream_evolve {

const std::vector<std::string>& algorithm_names() {
  static const std::vector<std::string> names{"ga",         "cmaes",   "sep-cmaes",
                                              "cholesky-cmaes", "sphere-cma", "lm-ma-es",
                                              "fdgd",       "nes"};
  return names;
}

namespace {
template <class Options>
void common(Options& options, const EvolveConfig& c) {
  options.seed = c.seed;
  if (c.population > 0) options.population_size = c.population;
}
}  // namespace

xdream::AnyAlgorithm make_algorithm(const EvolveConfig& c, xdream::Index code_size,
                                    const xdream::Population* initial) {
  using namespace xdream;
  const std::string& name = c.algorithm;
  if (name == "ga") {
    GeneticOptions options;
    options.population_size = c.population > 0 ? c.population : 20;
    options.n_conserve = c.n_conserve;
    options.seed = c.seed;
    BoltzmannSelection selection(c.selectivity);
    HeritabilityCrossover crossover(c.heritability);
    GaussianMutation mutation(c.mutation_rate, c.mutation_size);
    if (initial != nullptr) {
      if (initial->rows() != code_size) {
        throw std::invalid_argument("option --init: the codes have length " +
                                    std::to_string(initial->rows()) + "; the generator takes " +
                                    std::to_string(code_size));
      }
      if (c.population == 0) options.population_size = initial->cols();
      return AnyAlgorithm(Genetic<>(*initial, options, selection, crossover, mutation), name);
    }
    return AnyAlgorithm(Genetic<>(code_size, options, selection, crossover, mutation), name);
  }
  if (name == "cmaes") {
    CMAESOptions options;
    common(options, c);
    if (c.sigma > 0) options.sigma = c.sigma;
    return AnyAlgorithm(CMAES(code_size, options), name);
  }
  if (name == "sep-cmaes") {
    SepCMAESOptions options;
    common(options, c);
    if (c.sigma > 0) options.sigma = c.sigma;
    return AnyAlgorithm(SepCMAES(code_size, options), name);
  }
  if (name == "cholesky-cmaes") {
    CholeskyCMAESOptions options;
    common(options, c);
    if (c.sigma > 0) options.sigma = c.sigma;
    return AnyAlgorithm(CholeskyCMAES(code_size, options), name);
  }
  if (name == "lm-ma-es") {
    LMMAESOptions options;
    common(options, c);
    if (c.sigma > 0) options.sigma = c.sigma;
    return AnyAlgorithm(LMMAES(code_size, options), name);
  }
  if (name == "sphere-cma") {
    SphereCMAOptions options;
    common(options, c);
    // The sphere of typical codes: |z| of an N(0, I) code is about sqrt(D) (Wang & Ponce's 300
    // is the norm of DeePSiM fc6 codes, a different scale).
    options.radius = c.radius > 0 ? c.radius : std::sqrt(static_cast<double>(code_size));
    if (c.learning_rate > 0) options.learning_rate = c.learning_rate;
    return AnyAlgorithm(SphereCMA(code_size, options), name);
  }
  if (name == "fdgd") {
    FDGDOptions options;
    common(options, c);
    if (c.radius > 0) options.radius = c.radius;
    if (c.learning_rate > 0) options.learning_rate = c.learning_rate;
    return AnyAlgorithm(FDGD(code_size, options), name);
  }
  if (name == "nes") {
    NESOptions options;
    common(options, c);
    if (c.radius > 0) options.radius = c.radius;
    if (c.learning_rate > 0) options.learning_rate = c.learning_rate;
    return AnyAlgorithm(NES(code_size, options), name);
  }
  throw std::invalid_argument("option --algorithm = " + name + ": unknown");
}

}  // namespace xdream_evolve
