// Benchmarks of PopulationPattern's scoring (xdream-evolve --score-pattern, xdream-rig's
// pattern score): a generation of 40 response vectors scored against a target, for each
// measure, with and without z-scoring, at arrays of 16, 64, 256 and 4096 channels; side by side
// with a naive peer written here, the loops one would write by hand: the target z-scored once
// per generation, then each response in one pass that gathers, z-scores ((x - mean) / std, as
// the library) and sums only what its measure needs. Both score the same data and must agree
// (to 1e-9: the peer sums in another order); the peer shows what the library's two passes (a
// response vector, then Eigen's reductions) and its set-up per generation cost.
//
// Run from a Release build (docs/benchmarks.md, "Population patterns: scoring a generation"):
//   build/bench/bench/population_pattern_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true

#include "alloc_counter.hpp"

#include <xdream/objectives/population_pattern.hpp>
#include <xdream/random.hpp>

#include <benchmark/benchmark.h>
#include <boost/random/normal_distribution.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

namespace {

using xdream::Index;
using xdream::PatternMeasure;

constexpr Index generation = 40;  // responses scored per iteration

/// The data of one benchmark: responses (channels x 40), a target over every channel (the mask
/// lists them all, in order, as xdream-evolve passes them), and z statistics of 500 other
/// responses.
struct Data {
  Eigen::MatrixXd responses;
  xdream::PopulationPattern pattern;
};

Data make_data(PatternMeasure measure, bool zscore, Index channels) {
  xdream::Engine rng =
      xdream::make_stream(2024, 0, static_cast<std::uint64_t>(channels), xdream::Purpose::user);
  boost::random::normal_distribution<double> normal(0.0, 1.0);
  const auto draw = [&](Index rows, Index cols) {
    Eigen::MatrixXd m(rows, cols);
    for (Index j = 0; j < cols; ++j)
      for (Index i = 0; i < rows; ++i) m(i, j) = 2.0 + normal(rng);
    return m;
  };
  Data d;
  d.responses = draw(channels, generation);
  d.pattern.measure = measure;
  d.pattern.target = draw(channels, 1).col(0);
  d.pattern.mask.resize(static_cast<std::size_t>(channels));
  std::iota(d.pattern.mask.begin(), d.pattern.mask.end(), Index{0});
  if (zscore) d.pattern.zscore = xdream::ZScore::of(draw(channels, 500));
  d.pattern.validate(channels);
  return d;
}

/// The naive peer: the same definitions as plain loops over the masked channels.
class NaivePattern {
 public:
  explicit NaivePattern(const xdream::PopulationPattern& p)
      : measure_(p.measure), mask_(p.mask), mean_(p.mask.size(), 0.0), std_(p.mask.size(), 1.0) {
    const std::size_t n = mask_.size();
    target_.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
      if (!p.zscore.empty()) {
        mean_[k] = p.zscore.mean[mask_[k]];
        std_[k] = p.zscore.std[mask_[k]];
      }
      target_[k] = (p.target[static_cast<Index>(k)] - mean_[k]) / std_[k];
    }
    double sum = 0.0, squares = 0.0;
    for (double t : target_) sum += t;
    target_mean_ = sum / static_cast<double>(n);
    for (double t : target_) {
      squares += t * t;
      centred_norm_ += (t - target_mean_) * (t - target_mean_);
    }
    target_norm_ = std::sqrt(squares);
    centred_norm_ = std::sqrt(centred_norm_);
  }

  // One pass over each response, with only the sums its measure needs.
  void scores(const Eigen::MatrixXd& responses, double* out) const {
    const std::size_t n = mask_.size();
    const auto count = static_cast<double>(n);
    for (Index j = 0; j < responses.cols(); ++j) {
      const double* column = responses.data() + j * responses.rows();
      const auto r = [&](std::size_t k) { return (column[mask_[k]] - mean_[k]) / std_[k]; };
      switch (measure_) {
        case PatternMeasure::dot: {
          double dot = 0.0;
          for (std::size_t k = 0; k < n; ++k) dot += r(k) * target_[k];
          out[j] = dot;
          break;
        }
        case PatternMeasure::negative_mse: {
          double sq = 0.0;
          for (std::size_t k = 0; k < n; ++k) sq += (r(k) - target_[k]) * (r(k) - target_[k]);
          out[j] = -sq / count;
          break;
        }
        case PatternMeasure::cosine: {
          double dot = 0.0, rr = 0.0;
          for (std::size_t k = 0; k < n; ++k) {
            const double v = r(k);
            dot += v * target_[k];
            rr += v * v;
          }
          out[j] = dot / (std::sqrt(rr) * target_norm_);
          break;
        }
        case PatternMeasure::correlation: {
          // sum (r - rbar)(t - tbar) = sum r t - n rbar tbar; sum (r - rbar)^2 = sum r^2 - n
          // rbar^2.
          double dot = 0.0, rr = 0.0, sum = 0.0;
          for (std::size_t k = 0; k < n; ++k) {
            const double v = r(k);
            dot += v * target_[k];
            rr += v * v;
            sum += v;
          }
          const double rbar = sum / count;
          const double cov = dot - count * rbar * target_mean_;
          out[j] = cov / (std::sqrt(std::max(rr - count * rbar * rbar, 0.0)) * centred_norm_);
          break;
        }
      }
    }
  }

 private:
  PatternMeasure measure_;
  std::vector<Index> mask_;
  std::vector<double> mean_, std_, target_;
  double target_mean_ = 0.0, target_norm_ = 0.0, centred_norm_ = 0.0;
};

void report(benchmark::State& state, std::uint64_t allocations) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * generation);
  state.SetLabel("items = responses scored");
  if (xdream_bench::alloc_counter::available() && state.iterations() > 0) {
    state.counters["allocs/iter"] = benchmark::Counter(static_cast<double>(allocations) /
                                                       static_cast<double>(state.iterations()));
  }
}

Data data_of(const benchmark::State& state) {
  return make_data(static_cast<PatternMeasure>(state.range(0)), state.range(1) != 0,
                   state.range(2));
}

// PopulationPattern::scores of a generation: 40 response vectors. Items = responses.
void BM_PopulationPattern(benchmark::State& state) {
  const Data d = data_of(state);
  const std::uint64_t before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    xdream::Scores s = d.pattern.scores(d.responses);
    benchmark::DoNotOptimize(s.data());
  }
  report(state, xdream_bench::alloc_counter::now() - before);
}

// The naive peer on the same data; it must agree with the library before it is timed.
void BM_NaivePattern(benchmark::State& state) {
  const Data d = data_of(state);
  const NaivePattern naive(d.pattern);
  std::vector<double> out(static_cast<std::size_t>(generation));
  naive.scores(d.responses, out.data());
  const xdream::Scores reference = d.pattern.scores(d.responses);
  for (Index j = 0; j < generation; ++j) {
    const double a = out[static_cast<std::size_t>(j)], b = reference[j];
    if (!(std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b)))) {
      state.SkipWithError("the naive peer disagrees with PopulationPattern");
      return;
    }
  }
  const std::uint64_t before = xdream_bench::alloc_counter::now();
  for (auto _ : state) {
    naive.scores(d.responses, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  report(state, xdream_bench::alloc_counter::now() - before);
}

// measure (0 cosine, 1 correlation, 2 dot, 3 negative MSE) x z-scoring x channels.
void ladder(benchmark::internal::Benchmark* b) {
  b->ArgNames({"measure", "zscore", "channels"});
  b->ArgsProduct({{0, 1, 2, 3}, {0, 1}, {16, 64, 256, 4096}});
}

}  // namespace

BENCHMARK(BM_PopulationPattern)->Apply(ladder);
BENCHMARK(BM_NaivePattern)->Apply(ladder);

BENCHMARK_MAIN();
