#pragma once
/// @file
/// The two measurements both benchmark executables share, so that each executable can put its
/// own numbers side by side with them in one run:
///
/// - one whole generation of xdream's GA (`Genetic<>::tell` with its default policies, which
///   breeds the next population; no evaluation);
/// - the random-draw floor: exactly the raw random draws that generation makes, and nothing else.

#include "alloc_counter.hpp"

#include <xdream/genetic/genetic.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <benchmark/benchmark.h>
#include <boost/random/normal_distribution.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

namespace xdream_bench {

using xdream::Index;

/// Code sizes and population sizes of the generation ladders.
inline constexpr std::int64_t code_sizes[] = {64, 256, 1024, 4096};
inline constexpr std::int64_t population_sizes[] = {20, 40};

/// Adds a "min" aggregate to `--benchmark_repetitions` runs besides mean/median/stddev: on a
/// machine shared with other work, the fastest repetition is the best estimate of the cost
/// itself, the median of what one gets.
inline void add_min_statistic(benchmark::internal::Benchmark* b) {
  b->ComputeStatistics("min", [](const std::vector<double>& values) {
    return values.empty() ? 0.0 : *std::min_element(values.begin(), values.end());
  });
}

/// A fixed score vector (distinct N(0, 1) values in population order), the same every call.
inline xdream::Scores fixed_scores(Index n) {
  xdream::Engine rng = xdream::make_stream(12345, 0, 0, xdream::Purpose::user);
  boost::random::normal_distribution<double> normal(0.0, 1.0);
  xdream::Scores scores(n);
  for (Index i = 0; i < n; ++i) scores[i] = normal(rng);
  return scores;
}

/// Reports genes/s (items_per_second), and allocations per iteration when they are counted.
inline void report(benchmark::State& state, Index genes_per_iteration, std::uint64_t allocations) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * genes_per_iteration);
  state.SetLabel("items = genes");
  if (alloc_counter::available() && state.iterations() > 0) {
    state.counters["allocs/iter"] = benchmark::Counter(static_cast<double>(allocations) /
                                                       static_cast<double>(state.iterations()));
  }
}

/// One generation of xdream's GA (paper fc6 defaults: Boltzmann selection with selectivity 2,
/// heritability 0.5, mutation rate 0.5 and size 0.5, n_conserve 0): `tell` with a fixed score
/// vector every iteration. The population keeps evolving from one iteration to the next; the
/// work per generation does not depend on the codes' values.
inline void genetic_generation(benchmark::State& state, Index code_size, Index population,
                               int threads) {
  xdream::GeneticOptions options;
  options.population_size = population;
  options.seed = 2024;
  options.threads = threads;
  xdream::Genetic<> ga(code_size, options);
  const xdream::Scores scores = fixed_scores(population);
  ga.tell(scores);  // sizes every scratch buffer: later generations are the steady state
  const std::uint64_t allocations_before = alloc_counter::now();
  for (auto _ : state) {
    ga.tell(scores);
    benchmark::DoNotOptimize(ga.ask().data());
    benchmark::ClobberMemory();
  }
  report(state, code_size * population, alloc_counter::now() - allocations_before);
}

/// Draws one `Threshold32::mask64` makes for 64 genes: 32 - countr_zero(threshold), none when
/// the probability is 0 or 1 (random.hpp).
inline Index draws_per_mask(double probability) {
  const xdream::detail::Threshold32 threshold(probability);
  if (threshold.value == 0 || threshold.value >= (std::uint64_t{1} << 32)) return 0;
  return 32 - std::countr_zero(threshold.value);
}

/// The random draws that one generation of `genetic_generation` makes, made the same way and
/// accumulated so that none is optimized away. For each child, exactly as `Genetic::tell`,
/// `HeritabilityCrossover` (heritability 0.5) and `GaussianMutation` (rate 0.5, size 0.5) draw:
/// - a fresh engine from `make_stream(seed, generation, child, Purpose::breed)`;
/// - 2 draws for the two parents (`BoltzmannSelection::draw`: one `uniform01` each);
/// - the crossover's masks: ceil(code_size / 64) masks of `draws_per_mask(0.5)` = 1 draw;
/// - the mutation's masks: as many, for the mutation rate;
/// - round(rate * code_size) draws of `boost::random::normal_distribution<float>` — the expected
///   number of mutated genes; the GA's count is Binomial(code_size, rate) around it.
/// What is left out is what the GA does with the draws: the selection's search, turning draws
/// into masks, copying genes, visiting the mutated genes and the additions.
inline void random_draw_floor(benchmark::State& state, Index code_size, Index population) {
  constexpr double heritability = 0.5;
  constexpr double rate = 0.5;
  constexpr float size = 0.5f;
  const Index masks = (code_size + 63) / 64;
  const Index crossover_draws = masks * draws_per_mask(heritability);
  const Index mask_draws = masks * draws_per_mask(rate);
  const auto normals = static_cast<Index>(std::lround(rate * static_cast<double>(code_size)));
  std::uint64_t generation = 1;
  const std::uint64_t allocations_before = alloc_counter::now();
  for (auto _ : state) {
    std::uint64_t bits = 0;
    float sum = 0.0f;
    for (Index child = 0; child < population; ++child) {
      xdream::Engine rng = xdream::make_stream(2024, generation, static_cast<std::uint64_t>(child),
                                               xdream::Purpose::breed);
      bits += xdream::detail::uniform01(rng) < 0.5 ? 1 : 0;
      bits += xdream::detail::uniform01(rng) < 0.5 ? 1 : 0;
      for (Index i = 0; i < crossover_draws; ++i) bits += rng();
      for (Index i = 0; i < mask_draws; ++i) bits ^= rng();
      boost::random::normal_distribution<float> normal(0.0f, size);
      for (Index k = 0; k < normals; ++k) sum += normal(rng);
    }
    benchmark::DoNotOptimize(bits);
    benchmark::DoNotOptimize(sum);
    ++generation;
  }
  report(state, code_size * population, alloc_counter::now() - allocations_before);
}

}  // namespace xdream_bench
