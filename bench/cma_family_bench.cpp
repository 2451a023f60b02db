// Benchmarks of the Cholesky CMA-ES and SphereCMA (Wang & Ponce's algorithms), one thread,
// lambda = 40, side by side with their floor: the lambda n standard-normal draws a generation
// makes (detail::fill_standard_normal, the same streams as the algorithms).
//
//   BM_NormalDrawFloor             lambda x n N(0, 1) doubles, one stream per column
//   BM_SphereCMAGeneration         one ask + tell (steady state: the centre + 40 samples)
//   BM_CholeskyCMAESGeneration     one ask + tell with A = alpha I + U V^T of rank 7 (what 75
//                                  generations at the default update interval 10 leave), no update
//   BM_CholeskyCMAESRun75          a whole 75-generation run from the constructor (7 deferred
//                                  rank-one updates), reported per generation: the amortized cost
//   BM_LMMAESGeneration            one ask + tell of LM-MA-ES with all m = 4 + floor(3 ln n)
//                                  direction vectors in use (m = 20, 24, 28)
//
// Scores are a fixed vector (no objective is timed). Counters: `gen/s` is generations per
// second (its inverse is the time per generation); items are codes.
// Run from a Release build:
//   build/bench/bench/cma_family_bench --benchmark_repetitions=5
//   (add --benchmark_report_aggregates_only=true for the mean, median and spread only)

#include "alloc_counter.hpp"

#include <xdream/algorithms/cholesky_cmaes.hpp>
#include <xdream/algorithms/detail/sampling.hpp>
#include <xdream/algorithms/lm_ma_es.hpp>
#include <xdream/algorithms/sphere_cma.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <benchmark/benchmark.h>
#include <boost/random/normal_distribution.hpp>

#include <cstdint>
#include <limits>

namespace {

using xdream::Index;

constexpr Index lambda = 40;
constexpr int run_generations = 75;

// Distinct N(0, 1) scores, the same every call.
xdream::Scores fixed_scores(Index count) {
  xdream::Engine rng = xdream::make_stream(12345, 0, 0, xdream::Purpose::user);
  boost::random::normal_distribution<double> normal;
  xdream::Scores scores(count);
  for (Index i = 0; i < count; ++i) scores[i] = normal(rng);
  return scores;
}

void report(benchmark::State& state, double generations_per_iteration, Index codes_per_generation,
            std::uint64_t allocations) {
  state.counters["gen/s"] =
      benchmark::Counter(generations_per_iteration, benchmark::Counter::kIsIterationInvariantRate);
  state.SetItemsProcessed(static_cast<std::int64_t>(static_cast<double>(state.iterations()) *
                                                    generations_per_iteration *
                                                    static_cast<double>(codes_per_generation)));
  if (xdream_bench::alloc_counter::available() && state.iterations() > 0) {
    state.counters["allocs/gen"] =
        benchmark::Counter(static_cast<double>(allocations) /
                           (static_cast<double>(state.iterations()) * generations_per_iteration));
  }
}

void code_sizes(benchmark::internal::Benchmark* b) {
  b->ArgName("code");
  for (const std::int64_t n : {256, 1024, 4096}) b->Arg(n);
}

void BM_NormalDrawFloor(benchmark::State& state) {
  const Index n = state.range(0);
  Eigen::MatrixXd z(n, lambda);
  std::uint64_t generation = 0;
  const std::uint64_t before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    xdream::detail::fill_standard_normal(z, 1, generation++, 1);
    benchmark::DoNotOptimize(z.data());
    benchmark::ClobberMemory();
  }
  report(state, 1.0, lambda, xdream_bench::alloc_counter::now() - before);
}
BENCHMARK(BM_NormalDrawFloor)->Apply(code_sizes);

void BM_SphereCMAGeneration(benchmark::State& state) {
  const Index n = state.range(0);
  xdream::SphereCMA a(n, {.population_size = lambda, .seed = 1});
  const xdream::Scores scores = fixed_scores(a.population_size());
  a.tell(scores);  // past the uniform generation 0
  const std::uint64_t before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    a.tell(scores);
    benchmark::DoNotOptimize(a.ask().data());
    benchmark::ClobberMemory();
  }
  report(state, 1.0, a.population_size(), xdream_bench::alloc_counter::now() - before);
}
BENCHMARK(BM_SphereCMAGeneration)->Apply(code_sizes);

void BM_CholeskyCMAESGeneration(benchmark::State& state) {
  const Index n = state.range(0);
  const xdream::Scores scores = fixed_scores(lambda);
  // The factor after 75 generations at the default interval, then no more updates: the
  // benchmark's many iterations must not keep growing its rank.
  xdream::CholeskyCMAES warm(n, {.population_size = lambda, .seed = 1});
  for (int g = 0; g < run_generations; ++g) warm.tell(scores);
  xdream::CholeskyCMAES a(
      n,
      {.population_size = lambda, .update_interval = std::numeric_limits<Index>::max(), .seed = 1});
  a.restore(warm.state());
  state.counters["rank"] = static_cast<double>(a.state().factor.rank());
  const std::uint64_t before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    a.tell(scores);
    benchmark::DoNotOptimize(a.ask().data());
    benchmark::ClobberMemory();
  }
  report(state, 1.0, lambda, xdream_bench::alloc_counter::now() - before);
}
BENCHMARK(BM_CholeskyCMAESGeneration)->Apply(code_sizes);

void BM_CholeskyCMAESRun75(benchmark::State& state) {
  const Index n = state.range(0);
  const xdream::Scores scores = fixed_scores(lambda);
  const std::uint64_t before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    xdream::CholeskyCMAES a(n, {.population_size = lambda, .seed = 1});
    for (int g = 0; g < run_generations; ++g) a.tell(scores);
    benchmark::DoNotOptimize(a.mean().data());
    benchmark::ClobberMemory();
  }
  report(state, run_generations, lambda, xdream_bench::alloc_counter::now() - before);
}
BENCHMARK(BM_CholeskyCMAESRun75)->Apply(code_sizes)->Unit(benchmark::kMillisecond);

void BM_LMMAESGeneration(benchmark::State& state) {
  const Index n = state.range(0);
  const xdream::Scores scores = fixed_scores(lambda);
  xdream::LMMAES a(n, {.population_size = lambda, .seed = 1});
  for (Index g = 0; g < a.options().memory; ++g) a.tell(scores);  // every vector in use
  state.counters["m"] = static_cast<double>(a.options().memory);
  const std::uint64_t before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    a.tell(scores);
    benchmark::DoNotOptimize(a.ask().data());
    benchmark::ClobberMemory();
  }
  report(state, 1.0, lambda, xdream_bench::alloc_counter::now() - before);
}
BENCHMARK(BM_LMMAESGeneration)->Apply(code_sizes);

}  // namespace

BENCHMARK_MAIN();
