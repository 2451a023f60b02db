// One GA generation at n = 4096, population 20 and 40, side by side in one run:
// xdream's Genetic<> (and the random-draw floor of that generation), pagmo2's sga and GAlib's
// GASimpleGA, each configured as close to XDream's GA as its API allows (docs/benchmarks.md
// lists the differences). The peers evaluate fitness inside their generation; their fitness
// is O(1) (two genes) and its cost inside the generation is measured on its own by the
// *Evaluation benchmarks, so that it can be subtracted.
//
// Run from a Release build (docs/benchmarks.md):
//   build/bench/bench/peers_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
// Built without a peer that CMake did not find.

#include "ga_generation.hpp"

#include <xdream/genetic/genetic.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <utility>

#if defined(XDREAM_BENCH_HAVE_PAGMO)
#include <pagmo/algorithms/sga.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>
#include <pagmo/types.hpp>
#endif

#if defined(XDREAM_BENCH_HAVE_GALIB)
#include <ga/GARealGenome.h>
#include <ga/GASimpleGA.h>
#include <ga/garandom.h>
#endif

namespace {

constexpr std::int64_t peer_code_size = 4096;

void peer_ladder(benchmark::internal::Benchmark* b) {
  xdream_bench::add_min_statistic(b);
  b->ArgNames({"code", "pop"});
  for (const std::int64_t population : xdream_bench::population_sizes) {
    b->Args({peer_code_size, population});
  }
}

// --- xdream -------------------------------------------------------------------------------

void BM_Peer_XDream(benchmark::State& state) {
  xdream_bench::genetic_generation(state, state.range(0), state.range(1), 1);
}
BENCHMARK(BM_Peer_XDream)->Apply(peer_ladder);

void BM_Peer_XDreamRandomDrawFloor(benchmark::State& state) {
  xdream_bench::random_draw_floor(state, state.range(0), state.range(1));
}
BENCHMARK(BM_Peer_XDreamRandomDrawFloor)->Apply(peer_ladder);

// --- pagmo2 sga ---------------------------------------------------------------------------
#if defined(XDREAM_BENCH_HAVE_PAGMO)

// Minimizes |x_0|: O(1), so evaluation inside sga::evolve is nearly free; the bounds are wide
// enough that N(0, 1) codes with N(0, 0.5^2) mutations essentially never touch them.
struct CheapProblem {
  std::size_t dimension = peer_code_size;
  pagmo::vector_double fitness(const pagmo::vector_double& x) const { return {std::fabs(x[0])}; }
  std::pair<pagmo::vector_double, pagmo::vector_double> get_bounds() const {
    return {pagmo::vector_double(dimension, -5.0), pagmo::vector_double(dimension, 5.0)};
  }
};

void run_pagmo_sga(benchmark::State& state, const pagmo::sga& sga) {
  const auto population = static_cast<pagmo::population::size_type>(state.range(1));
  pagmo::problem problem{CheapProblem{static_cast<std::size_t>(state.range(0))}};
  pagmo::population pop{problem, population, 2024u};
  pop = sga.evolve(std::move(pop));  // warm up
  const std::uint64_t allocations_before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    pop = sga.evolve(std::move(pop));
    benchmark::DoNotOptimize(pop.get_x().data());
    benchmark::ClobberMemory();
  }
  xdream_bench::report(state, state.range(0) * state.range(1),
                       xdream_bench::alloc_counter::now() - allocations_before);
}

// sga as close to XDream's GA as it goes: tournament of 2 (pagmo has no roulette), "binomial"
// crossover with cr = 0.5 (each gene from the partner with probability 0.5 = XDream's
// heritability 0.5), "gaussian" mutation with probability m = 0.5 and width param_m = 0.05 of
// the bounds' width 10 (std 0.5 = XDream's mutation size). One generation per evolve call
// (gen = 1), which includes evaluating the N new individuals and pagmo's elitist reinsertion.
void BM_Peer_PagmoSga(benchmark::State& state) {
  run_pagmo_sga(
      state, pagmo::sga(1u, 0.5, 1.0, 0.5, 0.05, 2u, "binomial", "gaussian", "tournament", 2024u));
}
BENCHMARK(BM_Peer_PagmoSga)->Apply(peer_ladder);

// sga with pagmo's default operators (exponential crossover cr = 0.9, polynomial mutation with
// m = 0.02, i.e. about 82 of 4096 genes): much less work per child than XDream's rules ask for;
// shown because pagmo's out-of-the-box numbers are the ones usually quoted.
void BM_Peer_PagmoSgaDefaults(benchmark::State& state) {
  run_pagmo_sga(state, pagmo::sga(1u, 0.9, 1.0, 0.02, 1.0, 2u, "exponential", "polynomial",
                                  "tournament", 2024u));
}
BENCHMARK(BM_Peer_PagmoSgaDefaults)->Apply(peer_ladder);

// What sga::evolve spends on evaluation: one problem::fitness call (pagmo's checks + the O(1)
// fitness) for each of the N new individuals.
void BM_Peer_PagmoEvaluation(benchmark::State& state) {
  const auto population = static_cast<pagmo::population::size_type>(state.range(1));
  pagmo::problem problem{CheapProblem{static_cast<std::size_t>(state.range(0))}};
  const pagmo::population pop{problem, population, 2024u};
  const auto& codes = pop.get_x();
  const std::uint64_t allocations_before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    for (const auto& x : codes) {
      auto f = problem.fitness(x);
      benchmark::DoNotOptimize(f.data());
    }
  }
  xdream_bench::report(state, state.range(1),
                       xdream_bench::alloc_counter::now() - allocations_before);
  state.SetLabel("items = evaluations");
}
BENCHMARK(BM_Peer_PagmoEvaluation)->Apply(peer_ladder);

#endif  // XDREAM_BENCH_HAVE_PAGMO

// --- GAlib GASimpleGA ---------------------------------------------------------------------
#if defined(XDREAM_BENCH_HAVE_GALIB)

// Maximizes 1 + |x_0| (positive, as GAlib's default roulette and linear scaling need).
float galib_objective(GAGenome& genome) {
  const auto& code = static_cast<GARealGenome&>(genome);
  return 1.0f + std::fabs(code.gene(0));
}

// N(0, 1) initial codes, as XDream's.
void galib_gaussian_initializer(GAGenome& genome) {
  auto& code = static_cast<GARealGenome&>(genome);
  for (int i = 0; i < code.length(); ++i) code.gene(i, GAGaussianFloat(1.0f));
}

struct GAlibSetup {
  GARealAlleleSet alleles{-1.0e6f, 1.0e6f};  // bounded (the Gaussian mutator needs bounds)
  GARealGenome genome;
  GASimpleGA ga;

  GAlibSetup(int code_size, int population, float crossover_probability = 1.0f,
             float mutation_probability = 0.5f)
      : genome(static_cast<unsigned>(code_size), alleles, galib_objective), ga(make(genome)) {
    ga.populationSize(static_cast<unsigned>(population));
    ga.pCrossover(crossover_probability);
    ga.pMutation(mutation_probability);
    ga.flushFrequency(0);  // never write score files
    ga.recordDiversity(gaFalse);
    ga.initialize(2024u);
  }

  static GARealGenome& make(GARealGenome& genome) {
    genome.initializer(galib_gaussian_initializer);
    genome.crossover(GARealUniformCrossover);
    genome.mutator(GARealGaussianMutator);
    return genome;
  }
};

void run_galib(benchmark::State& state, GAlibSetup& setup) {
  setup.ga.step();  // warm up
  const std::uint64_t allocations_before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    setup.ga.step();
    benchmark::DoNotOptimize(&setup.ga.population());
    benchmark::ClobberMemory();
  }
  xdream_bench::report(state, state.range(0) * state.range(1),
                       xdream_bench::alloc_counter::now() - allocations_before);
}

// GASimpleGA::step: roulette selection on linearly scaled scores (GAlib's default), uniform
// crossover (each gene from either parent with probability 0.5; pCrossover = 1), GAlib's
// Gaussian mutator with pMutation = 0.5 (for pmut * n >= 1 it mutates round(0.5 n) genes drawn
// with replacement, by N(0, 1): GAlib has no size parameter), evaluation of the new population
// and GAlib's elitism.
void BM_Peer_GAlibSimpleGA(benchmark::State& state) {
  GAlibSetup setup(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  run_galib(state, setup);
}
BENCHMARK(BM_Peer_GAlibSimpleGA)->Apply(peer_ladder);

// The same with GAlib's default probabilities (pCrossover 0.9, pMutation 0.01: about 41 of
// 4096 genes mutated), for comparison with GAlib's out-of-the-box numbers.
void BM_Peer_GAlibSimpleGADefaults(benchmark::State& state) {
  GAlibSetup setup(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)), 0.9f, 0.01f);
  run_galib(state, setup);
}
BENCHMARK(BM_Peer_GAlibSimpleGADefaults)->Apply(peer_ladder);

// What GASimpleGA::step spends on evaluation: GAGenome::evaluate (forced) for each of the N
// individuals.
void BM_Peer_GAlibEvaluation(benchmark::State& state) {
  GAlibSetup setup(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const GAPopulation& population = setup.ga.population();
  const std::uint64_t allocations_before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    for (int i = 0; i < population.size(); ++i) {
      benchmark::DoNotOptimize(population.individual(i).evaluate(gaTrue));
    }
  }
  xdream_bench::report(state, state.range(1),
                       xdream_bench::alloc_counter::now() - allocations_before);
  state.SetLabel("items = evaluations");
}
BENCHMARK(BM_Peer_GAlibEvaluation)->Apply(peer_ladder);

#endif  // XDREAM_BENCH_HAVE_GALIB

}  // namespace

BENCHMARK_MAIN();
