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

namespace {
// The settings every non-GA algorithm shares, for whichever of them its options have; 0 in the
// config means "the algorithm's default".
template <class Options>
Options options_from(const EvolveConfig& c) {
  Options options;
  options.seed = c.seed;
  if (c.population > 0) options.population_size = c.population;
  if constexpr (requires { options.sigma; }) {
    if (c.sigma > 0) options.sigma = c.sigma;
  }
  if constexpr (requires { options.radius; }) {
    if (c.radius > 0) options.radius = c.radius;
  }
  if constexpr (requires { options.learning_rate; }) {
    if (c.learning_rate > 0) options.learning_rate = c.learning_rate;
  }
  return options;
}
}  // namespace

xdream::AnyAlgorithm make_algorithm(const EvolveConfig& c, xdream::Index code_size,
                                    const xdream::Population* initial) {
  using namespace xdream;
  switch (c.algorithm) {
    case AlgorithmName::ga: {
      GeneticOptions options;
      options.population_size = c.population > 0 ? c.population : 20;
      options.n_conserve = c.n_conserve;
      options.seed = c.seed;
      BoltzmannSelection selection(c.selectivity);
      HeritabilityCrossover crossover(c.heritability);
      GaussianMutation mutation(c.mutation_rate, c.mutation_size);
      if (initial == nullptr) {
        return AnyAlgorithm(Genetic<>(code_size, options, selection, crossover, mutation));
      }
      if (initial->rows() != code_size) {
        throw std::invalid_argument("option --init: the codes have length " +
                                    std::to_string(initial->rows()) + "; the generator takes " +
                                    std::to_string(code_size));
      }
      if (c.population == 0) options.population_size = initial->cols();
      return AnyAlgorithm(Genetic<>(*initial, options, selection, crossover, mutation));
    }
    case AlgorithmName::cmaes:
      return AnyAlgorithm(CMAES(code_size, options_from<CMAESOptions>(c)));
    case AlgorithmName::sep_cmaes:
      return AnyAlgorithm(SepCMAES(code_size, options_from<SepCMAESOptions>(c)));
    case AlgorithmName::cholesky_cmaes:
      return AnyAlgorithm(CholeskyCMAES(code_size, options_from<CholeskyCMAESOptions>(c)));
    case AlgorithmName::lm_ma_es:
      return AnyAlgorithm(LMMAES(code_size, options_from<LMMAESOptions>(c)));
    case AlgorithmName::sphere_cma: {
      auto options = options_from<SphereCMAOptions>(c);
      // The sphere of typical codes: |z| of an N(0, I) code is about sqrt(D) (Wang & Ponce's 300
      // is the norm of DeePSiM fc6 codes, a different scale).
      if (c.radius <= 0) options.radius = std::sqrt(static_cast<double>(code_size));
      return AnyAlgorithm(SphereCMA(code_size, options));
    }
    case AlgorithmName::fdgd:
      return AnyAlgorithm(FDGD(code_size, options_from<FDGDOptions>(c)));
    case AlgorithmName::nes:
      return AnyAlgorithm(NES(code_size, options_from<NESOptions>(c)));
  }
  throw std::invalid_argument("option --algorithm: unknown");
}

}  // namespace xdream_evolve
