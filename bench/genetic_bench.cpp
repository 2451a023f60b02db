// Benchmarks of xdream's genetic algorithm: every Selection, Crossover and Mutation policy on
// its own, the random-number primitives they are built on, one whole generation, and the
// random-draw floor of that generation (see ga_generation.hpp).
//
// Run from a Release build (docs/benchmarks.md):
//   build/bench/bench/genetic_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true

#include "ga_generation.hpp"

#include <xdream/genetic/crossover/blend.hpp>
#include <xdream/genetic/crossover/heritability.hpp>
#include <xdream/genetic/crossover/one_point.hpp>
#include <xdream/genetic/genetic.hpp>
#include <xdream/genetic/mutation/annealed.hpp>
#include <xdream/genetic/mutation/gaussian.hpp>
#include <xdream/genetic/selection/boltzmann.hpp>
#include <xdream/genetic/selection/tournament.hpp>
#include <xdream/genetic/selection/truncation.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <benchmark/benchmark.h>
#include <boost/random/normal_distribution.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>

namespace {

using xdream::Index;
using xdream_bench::report;

xdream::Code random_code(Index code_size, std::uint64_t which) {
  xdream::Engine rng = xdream::make_stream(7, 0, which, xdream::Purpose::user);
  boost::random::normal_distribution<float> normal(0.0f, 1.0f);
  xdream::Code code(code_size);
  for (Index i = 0; i < code_size; ++i) code[i] = normal(rng);
  return code;
}

void code_size_ladder(benchmark::internal::Benchmark* b) {
  xdream_bench::add_min_statistic(b);
  for (const std::int64_t code_size : xdream_bench::code_sizes) b->Arg(code_size);
  b->ArgName("code");
}

void generation_ladder(benchmark::internal::Benchmark* b) {
  xdream_bench::add_min_statistic(b);
  b->ArgNames({"code", "pop"});
  for (const std::int64_t population : xdream_bench::population_sizes) {
    for (const std::int64_t code_size : xdream_bench::code_sizes) b->Args({code_size, population});
  }
}

// --- random-number primitives --------------------------------------------------------------

// One stream per child: seeding a fresh mt19937_64 and its first draw (which runs the first
// twist of the 312-word state). Items = streams.
void BM_MakeStream(benchmark::State& state) {
  std::uint64_t child = 0;
  std::uint64_t sink = 0;
  for (auto _ : state) {
    xdream::Engine rng = xdream::make_stream(1, 1, child++, xdream::Purpose::breed);
    sink += rng();
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_MakeStream)->Apply(xdream_bench::add_min_statistic);

// Raw 64-bit draws of one engine. Items = draws.
void BM_EngineDraw(benchmark::State& state) {
  const Index draws = state.range(0);
  xdream::Engine rng(1);
  std::uint64_t sink = 0;
  for (auto _ : state) {
    for (Index i = 0; i < draws; ++i) sink += rng();
    benchmark::DoNotOptimize(sink);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * draws);
}
BENCHMARK(BM_EngineDraw)->Apply(xdream_bench::add_min_statistic)->Arg(2048)->ArgName("draws");

// boost::random::normal_distribution<float> on the engine (ziggurat). Items = draws.
void BM_NormalDraw(benchmark::State& state) {
  const Index draws = state.range(0);
  xdream::Engine rng(1);
  boost::random::normal_distribution<float> normal(0.0f, 0.5f);
  float sink = 0.0f;
  for (auto _ : state) {
    for (Index i = 0; i < draws; ++i) sink += normal(rng);
    benchmark::DoNotOptimize(sink);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * draws);
}
BENCHMARK(BM_NormalDraw)->Apply(xdream_bench::add_min_statistic)->Arg(2048)->ArgName("draws");

// --- Selection ----------------------------------------------------------------------------

// prepare() on the sorted scores of a population, then 2 parents for each of N children.
// Selection does not look at codes, so the ladder is over the population. Items = parents.
template <class Sel>
void BM_Selection(benchmark::State& state) {
  const Index population = state.range(0);
  xdream::Scores sorted = xdream_bench::fixed_scores(population);
  std::sort(sorted.data(), sorted.data() + sorted.size(), std::greater<>());
  Sel selection;
  xdream::Engine rng(3);
  selection.prepare(sorted);  // sizes its buffers
  Index sink = 0;
  const std::uint64_t allocations_before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    selection.prepare(sorted);
    for (Index child = 0; child < population; ++child) {
      sink += selection.draw(rng);
      sink += selection.draw(rng);
    }
    benchmark::DoNotOptimize(sink);
  }
  report(state, 2 * population, xdream_bench::alloc_counter::now() - allocations_before);
  state.SetLabel("items = parents drawn");
}
#define XDREAM_SELECTION_BENCHMARK(Sel)        \
  BENCHMARK_TEMPLATE(BM_Selection, Sel)        \
      ->Apply(xdream_bench::add_min_statistic) \
      ->ArgName("pop")                         \
      ->Arg(10)                                \
      ->Arg(20)                                \
      ->Arg(40)                                \
      ->Arg(100)
XDREAM_SELECTION_BENCHMARK(xdream::BoltzmannSelection);
XDREAM_SELECTION_BENCHMARK(xdream::TournamentSelection);
XDREAM_SELECTION_BENCHMARK(xdream::TruncationSelection);

// --- Crossover ----------------------------------------------------------------------------

// One child from two parents, one engine kept across iterations (the GA seeds one per child:
// see BM_MakeStream). Items = genes.
template <class Cross>
void BM_Crossover(benchmark::State& state) {
  const Index code_size = state.range(0);
  const xdream::Code parent1 = random_code(code_size, 1);
  const xdream::Code parent2 = random_code(code_size, 2);
  xdream::Code child(code_size);
  const Cross crossover;
  xdream::Engine rng(4);
  const std::uint64_t allocations_before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    crossover.cross(parent1, parent2, child, rng);
    benchmark::DoNotOptimize(child.data());
    benchmark::ClobberMemory();
  }
  report(state, code_size, xdream_bench::alloc_counter::now() - allocations_before);
}
BENCHMARK_TEMPLATE(BM_Crossover, xdream::HeritabilityCrossover)->Apply(code_size_ladder);
BENCHMARK_TEMPLATE(BM_Crossover, xdream::OnePointCrossover)->Apply(code_size_ladder);
BENCHMARK_TEMPLATE(BM_Crossover, xdream::BlendCrossover)->Apply(code_size_ladder);

// --- Mutation -----------------------------------------------------------------------------

// One child mutated in place (it drifts over iterations; the work does not depend on its
// values). Items = genes.
template <class Mut>
void BM_Mutation(benchmark::State& state) {
  const Index code_size = state.range(0);
  xdream::Code child = random_code(code_size, 3);
  Mut mutation;
  if constexpr (xdream::detail::has_advance<Mut>) mutation.advance(10);
  xdream::Engine rng(5);
  bool any = false;
  const std::uint64_t allocations_before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    any ^= mutation.mutate(child, rng);
    benchmark::DoNotOptimize(child.data());
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(any);
  report(state, code_size, xdream_bench::alloc_counter::now() - allocations_before);
}
BENCHMARK_TEMPLATE(BM_Mutation, xdream::GaussianMutation)->Apply(code_size_ladder);
BENCHMARK_TEMPLATE(BM_Mutation, xdream::AnnealedMutation)->Apply(code_size_ladder);

// --- One generation -----------------------------------------------------------------------

// Genetic<>::tell: selection, crossover and mutation of the whole next population. Items = genes.
void BM_GeneticGeneration(benchmark::State& state) {
  xdream_bench::genetic_generation(state, state.range(0), state.range(1), 1);
}
BENCHMARK(BM_GeneticGeneration)->Apply(generation_ladder);

// The same with threads = 2 (wall-clock time: the work runs on two threads).
void BM_GeneticGenerationThreads2(benchmark::State& state) {
  xdream_bench::genetic_generation(state, state.range(0), state.range(1), 2);
}
BENCHMARK(BM_GeneticGenerationThreads2)->Apply(generation_ladder)->UseRealTime();

// The raw random draws of one generation (ga_generation.hpp). Items = genes.
void BM_RandomDrawFloor(benchmark::State& state) {
  xdream_bench::random_draw_floor(state, state.range(0), state.range(1));
}
BENCHMARK(BM_RandomDrawFloor)->Apply(generation_ladder);

}  // namespace

BENCHMARK_MAIN();
