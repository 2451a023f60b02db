// The overhead of every xdream algorithm per generation at n = 4096, lambda = 40, one thread,
// side by side in ONE run with the floor of a generation (lambda n standard-normal draws) and with
// pagmo2's cmaes and xnes: what a generation costs besides evaluating the codes.
//
// A generation is ask + tell with scores from a fixed cycle of random vectors (made before the
// timing: no objective is timed, and no fixed direction makes a step size grow or shrink without
// bound over the benchmark's thousands of generations). In xdream, ask() returns the samples that
// the previous tell drew, so tell holds all the work.
//
//   BM_NormalDrawFloor              lambda x n N(0, 1) doubles through detail::fill_standard_normal
//                                   (one stream per column, as the samplers draw)
//   BM_GeneticPaperGeneration       XDream's GA, the paper's fc6 settings with population 40
//   BM_GeneticWangPonceLabGeneration  the GA with Wang & Ponce's lab settings (40, 10 elites)
//   BM_SepCMAESGeneration           steady state
//   BM_CMAESRun75                   a whole 75-generation run from the constructor, lazy
//                                   decompositions included, per generation (also at the sizes
//                                   pagmo2 is measured at, for a like-for-like ratio)
//   BM_CholeskyCMAESRun75           a whole 75-generation run (7 deferred updates), per generation
//   BM_SphereCMAGeneration          steady state (40 samples + the centre)
//   BM_LMMAESGeneration             steady state, all m direction vectors in use
//   BM_FDGDGeneration, BM_NESGeneration  steady state, population 40
//
// Peers (built when CMake finds pagmo2): one generation per iteration (gen = 1) on an O(1)
// problem, at n = 256 ... 2048 (4096 takes minutes per generation: bench/run_overhead.sh fits
// and extrapolates):
//   BM_PagmoCMAESGeneration         pagmo::cmaes, a generation without eigendecomposition
//   BM_PagmoCMAESDecomposingGeneration  the same generation with pagmo's eigendecomposition due
//   BM_PagmoXNESGeneration          pagmo::xnes (a matrix exponential every generation)
//   BM_PagmoEvaluation              the lambda fitness evaluations inside those generations
//
// Counters: time/gen is CPU time per generation (Google Benchmark divides rates by CPU time);
// items are genes (population x n per generation); allocs/gen when counted.
// Run from a Release build (docs/benchmarks.md, "Algorithms: overhead per generation"):
//   bench/run_overhead.sh build/bench/bench/algorithms_overhead_bench

#include "alloc_counter.hpp"

#include <xdream/algorithms/cholesky_cmaes.hpp>
#include <xdream/algorithms/cmaes.hpp>
#include <xdream/algorithms/detail/sampling.hpp>
#include <xdream/algorithms/fdgd.hpp>
#include <xdream/algorithms/lm_ma_es.hpp>
#include <xdream/algorithms/nes.hpp>
#include <xdream/algorithms/sep_cmaes.hpp>
#include <xdream/algorithms/sphere_cma.hpp>
#include <xdream/genetic/presets.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <benchmark/benchmark.h>
#include <boost/random/normal_distribution.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#if defined(XDREAM_BENCH_HAVE_PAGMO)
#include <pagmo/algorithms/cmaes.hpp>
#include <pagmo/algorithms/xnes.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>
#include <pagmo/types.hpp>
#endif

namespace {

using xdream::Index;

constexpr Index code_size = 4096;
constexpr Index lambda = 40;
constexpr int run_generations = 75;

// A cycle of distinct random score vectors, drawn once; next() hands them out in turn.
class ScoreCycle {
 public:
  explicit ScoreCycle(Index population) {
    xdream::Engine rng = xdream::make_stream(12345, 0, 0, xdream::Purpose::user);
    boost::random::normal_distribution<double> normal;
    for (auto& scores : cycle_) {
      scores.resize(population);
      for (Index i = 0; i < population; ++i) scores[i] = normal(rng);
    }
  }
  const xdream::Scores& next() noexcept { return cycle_[next_++ % cycle_.size()]; }

 private:
  std::vector<xdream::Scores> cycle_ = std::vector<xdream::Scores>(64);
  std::size_t next_ = 0;
};

// items = genes; time/gen = CPU seconds per generation (Google Benchmark divides rates by the CPU
// time; the console shows it in ms or us).
void report(benchmark::State& state, int generations_per_iteration, Index genes_per_generation,
            std::uint64_t allocations) {
  state.counters["time/gen"] =
      benchmark::Counter(generations_per_iteration, benchmark::Counter::kIsIterationInvariantRate |
                                                        benchmark::Counter::kInvert);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          generations_per_iteration * genes_per_generation);
  state.SetLabel("items = genes");
  if (xdream_bench::alloc_counter::available() && state.iterations() > 0) {
    state.counters["allocs/gen"] =
        benchmark::Counter(static_cast<double>(allocations) /
                           (static_cast<double>(state.iterations()) * generations_per_iteration));
  }
}

// ask + tell in the steady state, after `warm_up` generations (buffers sized, memory filled).
template <class Algorithm>
void steady_state(benchmark::State& state, Algorithm algorithm, Index warm_up = 2) {
  ScoreCycle scores(algorithm.population_size());
  for (Index g = 0; g < warm_up; ++g) algorithm.tell(scores.next());
  const std::uint64_t before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    benchmark::DoNotOptimize(algorithm.ask().data());
    algorithm.tell(scores.next());
    benchmark::ClobberMemory();
  }
  report(state, 1, algorithm.population_size() * algorithm.code_size(),
         xdream_bench::alloc_counter::now() - before);
}

void at_code_size(benchmark::internal::Benchmark* b) {
  b->ArgName("code")->Arg(code_size)->Unit(benchmark::kMillisecond);
}

// --- the floor ----------------------------------------------------------------------------

void BM_NormalDrawFloor(benchmark::State& state) {
  Eigen::MatrixXd z(state.range(0), lambda);
  std::uint64_t generation = 1;
  const std::uint64_t before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    xdream::detail::fill_standard_normal(z, 1, generation++, 1);
    benchmark::DoNotOptimize(z.data());
    benchmark::ClobberMemory();
  }
  report(state, 1, z.size(), xdream_bench::alloc_counter::now() - before);
}
BENCHMARK(BM_NormalDrawFloor)->Apply(at_code_size);

// --- xdream -------------------------------------------------------------------------------

void BM_GeneticPaperGeneration(benchmark::State& state) {
  xdream::GeneticPreset paper = xdream::presets::fc6;
  paper.population_size = lambda;
  steady_state(state, xdream::make_genetic(state.range(0), paper, 1, 1));
}
BENCHMARK(BM_GeneticPaperGeneration)->Apply(at_code_size);

void BM_GeneticWangPonceLabGeneration(benchmark::State& state) {
  steady_state(state, xdream::make_genetic(state.range(0), xdream::presets::wang_ponce_lab, 1, 1));
}
BENCHMARK(BM_GeneticWangPonceLabGeneration)->Apply(at_code_size);

void BM_SepCMAESGeneration(benchmark::State& state) {
  steady_state(state, xdream::SepCMAES(state.range(0),
                                       {.population_size = lambda, .seed = 1, .threads = 1}));
}
BENCHMARK(BM_SepCMAESGeneration)->Apply(at_code_size);

// A run from the constructor: at n = 4096 Hansen's lazy schedule decomposes C at generations 19,
// 38 and 57. One run per iteration; the constructor (C = I) is part of the run.
void BM_CMAESRun75(benchmark::State& state) {
  const Index n = state.range(0);
  ScoreCycle scores(lambda);
  int decompositions = 0;
  const std::uint64_t before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    xdream::CMAES a(n, {.population_size = lambda, .seed = 1, .threads = 1});
    decompositions = 0;
    for (int g = 0; g < run_generations; ++g) {
      benchmark::DoNotOptimize(a.ask().data());
      a.tell(scores.next());
      if (a.decomposition_age() == 0) ++decompositions;
    }
    benchmark::DoNotOptimize(a.mean().data());
    benchmark::ClobberMemory();
  }
  report(state, run_generations, lambda * n, xdream_bench::alloc_counter::now() - before);
  state.counters["decompositions"] = decompositions;
}
BENCHMARK(BM_CMAESRun75)
    ->ArgName("code")
    ->Arg(256)
    ->Arg(512)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond);
// A run takes 30 s to minutes here: one run per repetition, three repetitions.
BENCHMARK(BM_CMAESRun75)
    ->ArgName("code")
    ->Arg(2048)
    ->Arg(code_size)
    ->Iterations(1)
    ->Repetitions(3)
    ->Unit(benchmark::kMillisecond);

void BM_CholeskyCMAESRun75(benchmark::State& state) {
  const Index n = state.range(0);
  ScoreCycle scores(lambda);
  const std::uint64_t before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    xdream::CholeskyCMAES a(n, {.population_size = lambda, .seed = 1, .threads = 1});
    for (int g = 0; g < run_generations; ++g) {
      benchmark::DoNotOptimize(a.ask().data());
      a.tell(scores.next());
    }
    benchmark::DoNotOptimize(a.mean().data());
    benchmark::ClobberMemory();
  }
  report(state, run_generations, lambda * n, xdream_bench::alloc_counter::now() - before);
}
BENCHMARK(BM_CholeskyCMAESRun75)->Apply(at_code_size);

void BM_SphereCMAGeneration(benchmark::State& state) {
  steady_state(state, xdream::SphereCMA(state.range(0),
                                        {.population_size = lambda, .seed = 1, .threads = 1}));
}
BENCHMARK(BM_SphereCMAGeneration)->Apply(at_code_size);

void BM_LMMAESGeneration(benchmark::State& state) {
  xdream::LMMAES a(state.range(0), {.population_size = lambda, .seed = 1, .threads = 1});
  const Index memory = a.options().memory;
  state.counters["m"] = static_cast<double>(memory);
  steady_state(state, std::move(a), memory + 1);
}
BENCHMARK(BM_LMMAESGeneration)->Apply(at_code_size);

void BM_FDGDGeneration(benchmark::State& state) {
  steady_state(state,
               xdream::FDGD(state.range(0), {.population_size = lambda, .seed = 1, .threads = 1}));
}
BENCHMARK(BM_FDGDGeneration)->Apply(at_code_size);

void BM_NESGeneration(benchmark::State& state) {
  steady_state(state,
               xdream::NES(state.range(0), {.population_size = lambda, .seed = 1, .threads = 1}));
}
BENCHMARK(BM_NESGeneration)->Apply(at_code_size);

// --- pagmo2 cmaes and xnes ------------------------------------------------------------------
#if defined(XDREAM_BENCH_HAVE_PAGMO)

// Minimizes |x_0|: O(1). pagmo evaluates each new individual inside evolve (population::set_x);
// BM_PagmoEvaluation times those lambda evaluations on their own so that they can be subtracted.
struct CheapProblem {
  std::size_t dimension = 0;
  pagmo::vector_double fitness(const pagmo::vector_double& x) const { return {std::fabs(x[0])}; }
  std::pair<pagmo::vector_double, pagmo::vector_double> get_bounds() const {
    return {pagmo::vector_double(dimension, -5.0), pagmo::vector_double(dimension, 5.0)};
  }
};

// pagmo's generation grows as n^3 (cmaes forms sigma * B * D as a dense product for each sample:
// about 5 s at n = 1024 and 40 s at 2048 here), so n = 4096 is left to the extrapolation.
// n = 1024 runs one generation per repetition, three repetitions; n = 2048 one generation.
void pagmo_sizes(benchmark::internal::Benchmark* b) {
  b->ArgName("code")->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond);
}
void pagmo_1024(benchmark::internal::Benchmark* b) {
  b->ArgName("code")->Arg(1024)->Iterations(1)->Repetitions(3)->Unit(benchmark::kMillisecond);
}
void pagmo_2048(benchmark::internal::Benchmark* b) {
  b->ArgName("code")->Arg(2048)->Iterations(1)->Repetitions(1)->Unit(benchmark::kMillisecond);
}

template <class Algorithm>
void pagmo_generation(benchmark::State& state, const Algorithm& algorithm) {
  const auto n = static_cast<std::size_t>(state.range(0));
  pagmo::problem problem{CheapProblem{n}};
  pagmo::population pop{problem, static_cast<pagmo::population::size_type>(lambda), 2024u};
  const std::uint64_t before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    pop = algorithm.evolve(std::move(pop));
    benchmark::DoNotOptimize(pop.get_x().data());
    benchmark::ClobberMemory();
  }
  report(state, 1, lambda * state.range(0), xdream_bench::alloc_counter::now() - before);
}

// pagmo's cmaes constants (its evolve): it decomposes C once counteval - eigeneval exceeds
// lambda / (c1 + c_mu) / n / 10 evaluations; the counter says after how many generations.
double pagmo_cmaes_decomposition_interval(double n) {
  const auto mu = static_cast<std::size_t>(lambda / 2);
  std::vector<double> weights(mu);
  double sum = 0.0, sum_squares = 0.0;
  for (std::size_t i = 0; i < mu; ++i) {
    weights[i] = std::log(static_cast<double>(mu) + 0.5) - std::log(static_cast<double>(i) + 1.0);
    sum += weights[i];
  }
  for (double& w : weights) sum_squares += (w / sum) * (w / sum);
  const double mueff = 1.0 / sum_squares;
  const double c1 = 2.0 / ((n + 1.3) * (n + 1.3) + mueff);
  const double cmu = 2.0 * (mueff - 2.0 + 1.0 / mueff) / ((n + 2.0) * (n + 2.0) + mueff);
  const double threshold = static_cast<double>(lambda) / (c1 + cmu) / n / 10.0;
  return std::floor(threshold / static_cast<double>(lambda)) + 1.0;
}

// cmaes(gen = 1, defaults, ftol = xtol = 0 so that no stopping test ends a generation early,
// memory = false): every call is the first generation of a run from the population's best, and
// with the default c1, c_mu no decomposition is due in it (n >= 256). Its cost does not depend
// on the values of B and D: it multiplies the dense matrices (sigma B) D for every sample.
void BM_PagmoCMAESGeneration(benchmark::State& state) {
  pagmo_generation(state, pagmo::cmaes(1u, -1, -1, -1, -1, 0.5, 0.0, 0.0, false, false, 2024u));
  state.counters["decomposition_every"] =
      pagmo_cmaes_decomposition_interval(static_cast<double>(state.range(0)));
}
BENCHMARK(BM_PagmoCMAESGeneration)->Apply(pagmo_sizes);
BENCHMARK(BM_PagmoCMAESGeneration)->Apply(pagmo_1024);
BENCHMARK(BM_PagmoCMAESGeneration)->Apply(pagmo_2048);

// The same generation with c_mu = 1 / (5 n), which makes the decomposition due in it; minus
// BM_PagmoCMAESGeneration, that is what pagmo spends on one decomposition (symmetrize C,
// SelfAdjointEigenSolver, invsqrtC = B D^-1 B^T) on C = a I + a rank-mu update, the structure C
// has in the first generations of a real run. c_mu changes no other work in the generation.
void BM_PagmoCMAESDecomposingGeneration(benchmark::State& state) {
  const double cmu = 1.0 / (5.0 * static_cast<double>(state.range(0)));
  pagmo_generation(state, pagmo::cmaes(1u, -1, -1, -1, cmu, 0.5, 0.0, 0.0, false, false, 2024u));
}
BENCHMARK(BM_PagmoCMAESDecomposingGeneration)->Apply(pagmo_sizes);
BENCHMARK(BM_PagmoCMAESDecomposingGeneration)->Apply(pagmo_1024);

// xnes(gen = 1, defaults, ftol = xtol = 0, memory = true): successive calls continue one run.
// Each generation samples through the dense A, forms the lambda outer products of the natural
// gradient and updates A <- A expm(dA).
void BM_PagmoXNESGeneration(benchmark::State& state) {
  pagmo_generation(state, pagmo::xnes(1u, -1, -1, -1, -1, 0.0, 0.0, true, false, 2024u));
}
BENCHMARK(BM_PagmoXNESGeneration)->Apply(pagmo_sizes);
BENCHMARK(BM_PagmoXNESGeneration)->Apply(pagmo_1024);
BENCHMARK(BM_PagmoXNESGeneration)->Apply(pagmo_2048);

// The lambda problem::fitness calls (pagmo's checks + the O(1) fitness) inside a generation.
void BM_PagmoEvaluation(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  pagmo::problem problem{CheapProblem{n}};
  const pagmo::population pop{problem, static_cast<pagmo::population::size_type>(lambda), 2024u};
  const auto& codes = pop.get_x();
  const std::uint64_t before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    for (const auto& x : codes) {
      auto f = problem.fitness(x);
      benchmark::DoNotOptimize(f.data());
    }
  }
  report(state, 1, lambda * state.range(0), xdream_bench::alloc_counter::now() - before);
  state.SetLabel("items = genes of the evaluated codes");
}
BENCHMARK(BM_PagmoEvaluation)
    ->ArgName("code")
    ->Arg(256)
    ->Arg(512)
    ->Arg(1024)
    ->Arg(2048)
    ->Arg(code_size)
    ->Unit(benchmark::kMillisecond);

#endif  // XDREAM_BENCH_HAVE_PAGMO

}  // namespace

BENCHMARK_MAIN();
