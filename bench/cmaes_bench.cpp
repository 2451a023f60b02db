// Benchmarks of xdream::CMAES (full-covariance CMA-ES with lazy eigendecomposition), one thread.
//
//   BM_CMAESGeneration     one ask + tell between decompositions, with a dense (non-identity) B:
//                          the O(n^2 lambda) floor of a generation
//   BM_CMAESDecomposition  one tell that recomputes B and D from a dense C: the O(n^3) cost that
//                          the lazy schedule spreads over decomposition_interval generations
//   BM_CMAESRun75          a whole 75-generation run from the constructor (C = I, Hansen's lazy
//                          schedule: at n = 4096, lambda = 40 it decomposes at generations 19,
//                          38 and 57), reported per generation: the amortized cost
//
// The n = 4096 cases take minutes (one decomposition is O(n^3)); they run one iteration each.
// Run from a Release build:
//   build/bench/bench/cmaes_bench                                   # everything
//   build/bench/bench/cmaes_bench --benchmark_filter='/(256|1024)/' # the quick ones

#include <xdream/algorithms/cmaes.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <benchmark/benchmark.h>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>

#include <cstdint>
#include <limits>

namespace {

using xdream::CMAES;
using xdream::Index;

constexpr Index lambda = 40;

xdream::Scores sphere_scores(const xdream::Population& x) {
  return -x.cast<double>().colwise().squaredNorm().transpose();
}

// A state with a dense orthonormal B (one Householder reflection I - 2 v v^T, cheap to build),
// eigenvalues spread over [0.5, 2], and C = B diag(D^2) B^T formed in O(n^2) from the
// reflection's structure: the work of a generation does not depend on what B is, only on it not
// being the identity.
xdream::CMAESState dense_state(Index n, const CMAES& fresh) {
  xdream::Engine rng = xdream::make_stream(11, 0, 0, xdream::Purpose::user);
  boost::random::normal_distribution<double> normal;
  boost::random::uniform_real_distribution<double> uniform(0.5, 2.0);
  Eigen::VectorXd v(n), eigenvalues(n);
  for (Index i = 0; i < n; ++i) v[i] = normal(rng);
  for (Index i = 0; i < n; ++i) eigenvalues[i] = uniform(rng);
  v.normalize();
  xdream::CMAESState s = fresh.state();
  s.eigenvectors = Eigen::MatrixXd::Identity(n, n) - 2.0 * v * v.transpose();
  s.sqrt_eigenvalues = eigenvalues.cwiseSqrt();
  // (I - 2vv^T) L (I - 2vv^T) = L - 2 v (Lv)^T - 2 (Lv) v^T + 4 (v^T L v) v v^T.
  const Eigen::VectorXd lv = eigenvalues.cwiseProduct(v);
  s.covariance = Eigen::MatrixXd(eigenvalues.asDiagonal()) - 2.0 * v * lv.transpose() -
                 2.0 * lv * v.transpose() + 4.0 * v.dot(lv) * v * v.transpose();
  s.generation = 1;
  s.decomposition_generation = 1;
  return s;
}

// Items = codes sampled and scored.
void BM_CMAESGeneration(benchmark::State& state) {
  const Index n = state.range(0);
  // Never decompose here: that is BM_CMAESDecomposition.
  CMAES a(n, {.population_size = lambda,
              .seed = 1,
              .decomposition_interval = std::numeric_limits<Index>::max()});
  a.restore(dense_state(n, a));
  for (auto _ : state) {
    const xdream::Scores s = sphere_scores(a.ask());
    a.tell(s);
    benchmark::DoNotOptimize(a.ask().data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * lambda);
}
BENCHMARK(BM_CMAESGeneration)
    ->ArgName("code")
    ->Arg(256)
    ->Arg(1024)
    ->Arg(4096)
    ->Unit(benchmark::kMillisecond);

// One tell whose decomposition is due (interval 1), on a dense C; the state is restored outside
// the timing before each iteration.
void BM_CMAESDecomposition(benchmark::State& state) {
  const Index n = state.range(0);
  CMAES a(n, {.population_size = lambda, .seed = 1, .decomposition_interval = 1});
  const xdream::CMAESState dense = dense_state(n, a);
  const xdream::Scores s = sphere_scores(a.ask());
  for (auto _ : state) {
    state.PauseTiming();
    a.restore(dense);
    state.ResumeTiming();
    a.tell(s);
    benchmark::DoNotOptimize(a.eigenvectors().data());
  }
}
BENCHMARK(BM_CMAESDecomposition)
    ->ArgName("code")
    ->Arg(256)
    ->Arg(1024)
    ->Arg(4096)
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

// 75 generations on the sphere from the constructor, lazy default schedule. Counters: seconds
// per generation (amortized over the run, decompositions included) and decompositions made.
void BM_CMAESRun75(benchmark::State& state) {
  const Index n = state.range(0);
  constexpr int generations = 75;
  int decompositions = 0;
  for (auto _ : state) {
    CMAES a(n, {.population_size = lambda, .seed = 1});
    decompositions = 0;
    for (int g = 0; g < generations; ++g) {
      a.tell(sphere_scores(a.ask()));
      if (a.decomposition_age() == 0) ++decompositions;
    }
    benchmark::DoNotOptimize(a.mean().data());
  }
  state.counters["s_per_generation"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * generations,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["decompositions"] = decompositions;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * generations * lambda);
}
BENCHMARK(BM_CMAESRun75)
    ->ArgName("code")
    ->Arg(256)
    ->Arg(1024)
    ->Arg(4096)
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
