// One generation (tell, which updates the centre and samples the next population; ask is a
// reference) of FDGD and NES at n = 4096, population 20 and 40, single thread, beside the
// random-draw floor of the same run: population * n standard normal draws through
// detail::fill_standard_normal (one stream per column, as every xdream sampler draws).
//
// The antithetic algorithms draw only population / 2 columns of normals per generation (the
// minus sample reuses the plus sample's direction), so they can run below that floor; the rest is
// writing 2K float columns and two passes over the directions in tell.
//
// Run from a Release build:
//   build/bench/bench/gradient_free_bench --benchmark_repetitions=5
//   (add --benchmark_report_aggregates_only=true for medians only)

#include <xdream/algorithms/detail/sampling.hpp>
#include <xdream/algorithms/fdgd.hpp>
#include <xdream/algorithms/nes.hpp>
#include <xdream/population.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>

namespace {

using xdream::Index;

void ladder(benchmark::internal::Benchmark* b) {
  b->ArgNames({"code", "pop"});
  for (const std::int64_t population : {20, 40}) b->Args({4096, population});
}

// Scores that depend on the samples (the first gene) at O(population) cost: the update's work
// does not depend on the values, only that they vary.
xdream::Scores first_gene(const xdream::Population& x) {
  return x.row(0).transpose().cast<double>();
}

template <class Algorithm>
void generation(benchmark::State& state, Algorithm algorithm) {
  const Index n = algorithm.code_size(), population = algorithm.population_size();
  algorithm.tell(first_gene(algorithm.ask()));  // steady state: every buffer sized
  for (auto _ : state) {
    algorithm.tell(first_gene(algorithm.ask()));
    benchmark::DoNotOptimize(algorithm.ask().data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * n * population);
  state.SetLabel("items = genes");
}

void BM_FDGDGeneration(benchmark::State& state) {
  generation(state, xdream::FDGD(state.range(0), {.population_size = state.range(1), .seed = 1}));
}
BENCHMARK(BM_FDGDGeneration)->Apply(ladder);

void BM_NESGeneration(benchmark::State& state) {
  generation(state, xdream::NES(state.range(0), {.population_size = state.range(1), .seed = 1}));
}
BENCHMARK(BM_NESGeneration)->Apply(ladder);

// The floor: population * n N(0, 1) doubles (the type the algorithms draw), one stream per
// column, new streams each iteration.
void BM_NormalDrawFloor(benchmark::State& state) {
  Eigen::MatrixXd z(state.range(0), state.range(1));
  std::uint64_t generation = 1;
  for (auto _ : state) {
    xdream::detail::fill_standard_normal(z, 1, generation++, 1);
    benchmark::DoNotOptimize(z.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * z.size());
  state.SetLabel("items = genes");
}
BENCHMARK(BM_NormalDrawFloor)->Apply(ladder);

}  // namespace

BENCHMARK_MAIN();
