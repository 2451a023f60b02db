// The cost of a generation of xdream-evolve's loop on LibTorch models, split into the two
// forward passes and the rest (optimizer + orchestration), and what batching buys: the same
// 10,000-stimulus run with one forward pass per image (the original XDream design) and with one
// batched pass per generation.
//
// Models: the bundled test bed by default; others through the environment (e.g. full-size
// random-weight DeePSiM-fc6 and AlexNet made by tools/export_*.py --random-weights):
//   XDREAM_BENCH_GENERATOR, XDREAM_BENCH_NETWORK, XDREAM_BENCH_TAP (fc8), XDREAM_BENCH_THREADS (2),
//   XDREAM_BENCH_CODE_SIZE (0: the generator's code_size attribute), XDREAM_BENCH_DEVICE (cpu)
// Times are wall-clock (LibTorch runs its own threads). See docs/benchmarks.md.
#include <xdream/driver.hpp>
#include <xdream/genetic/genetic.hpp>
#include <xdream/torch.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <string>

#ifndef XDREAM_MODELS_DIR
#define XDREAM_MODELS_DIR "models/fashion_mnist"
#endif

namespace {

std::string setting(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

struct Models {
  xdream::TorchGenerator generator;
  xdream::TorchNetworkUnit unit;
};

Models load() {
  xdream::set_torch_threads(std::stoi(setting("XDREAM_BENCH_THREADS", "2")));
  xdream::TorchGenerator generator(
      setting("XDREAM_BENCH_GENERATOR", XDREAM_MODELS_DIR "/generator.pt"),
      {.code_size = std::stoi(setting("XDREAM_BENCH_CODE_SIZE", "0")),
       .device = setting("XDREAM_BENCH_DEVICE", "cpu")});
  xdream::TorchNetwork network(setting("XDREAM_BENCH_NETWORK", XDREAM_MODELS_DIR "/classifier.pt"),
                               generator.image_shape(),
                               {.device = setting("XDREAM_BENCH_DEVICE", "cpu")});
  xdream::TorchNetworkUnit unit(std::move(network),
                                {.tap = setting("XDREAM_BENCH_TAP", "fc8"), .channel = 0});
  return {std::move(generator), std::move(unit)};
}

Models& models() {
  static Models instance = load();
  return instance;
}

xdream::Population codes(xdream::Index n) {
  xdream::Genetic<> ga(models().generator.code_size(),
                       {.population_size = std::max<xdream::Index>(n, 2), .seed = 1});
  return ga.ask().leftCols(n);
}

void BM_GeneratorForward(benchmark::State& state) {
  const xdream::Population batch = codes(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(models().generator.generate(batch));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_NetworkForward(benchmark::State& state) {
  const torch::Tensor images = models().generator.generate(codes(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(models().unit.evaluate(images));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// Adds the wall time of each call to a counter: the forward passes inside a generation.
struct Clock {
  double seconds = 0.0;
  template <class F>
  auto time(F&& f) {
    const auto start = std::chrono::steady_clock::now();
    auto result = f();
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }
};

struct TimedGenerator {
  xdream::TorchGenerator* inner;
  Clock* clock;
  bool per_image = false;
  xdream::Index code_size() const { return inner->code_size(); }
  torch::Tensor generate(const xdream::Population& batch) {
    return clock->time([&] {
      if (!per_image) return inner->generate(batch);
      std::vector<torch::Tensor> images;  // one forward pass per image
      for (xdream::Index i = 0; i < batch.cols(); ++i) {
        images.push_back(inner->generate(xdream::Population(batch.col(i))));
      }
      return torch::cat(images);
    });
  }
};

struct TimedUnit {
  xdream::TorchNetworkUnit* inner;
  Clock* clock;
  bool per_image = false;
  xdream::Scores evaluate(const torch::Tensor& images) {
    return clock->time([&] {
      if (!per_image) return inner->evaluate(images);
      xdream::Scores scores(images.size(0));
      for (std::int64_t i = 0; i < images.size(0); ++i) {
        scores[i] = inner->evaluate(images.narrow(0, i, 1))[0];
      }
      return scores;
    });
  }
};

// One generation of 20 through the Optimizer (GA, paper settings), the loop of xdream-evolve.
void BM_Generation(benchmark::State& state) {
  Clock clock;
  xdream::Optimizer optimizer(
      TimedGenerator{&models().generator, &clock}, TimedUnit{&models().unit, &clock},
      xdream::Genetic<>(models().generator.code_size(), {.population_size = 20, .seed = 2}));
  optimizer.run(xdream::budget::generations(2));  // warm up
  clock.seconds = 0.0;
  double total = 0.0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    optimizer.run(xdream::budget::generations(1));
    total += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  state.counters["forward_ms"] = 1e3 * clock.seconds / static_cast<double>(state.iterations());
  state.counters["rest_ms"] =
      1e3 * (total - clock.seconds) / static_cast<double>(state.iterations());
  state.counters["rest_%"] = 100.0 * (total - clock.seconds) / total;
}

// The same 10,000-stimulus run (500 generations x 20), batched or one image per forward pass.
void BM_Run10k(benchmark::State& state) {
  const bool per_image = state.range(0) == 1;
  for (auto _ : state) {
    Clock clock;
    xdream::Optimizer optimizer(
        TimedGenerator{&models().generator, &clock, per_image},
        TimedUnit{&models().unit, &clock, per_image},
        xdream::Genetic<>(models().generator.code_size(), {.population_size = 20, .seed = 3}));
    benchmark::DoNotOptimize(optimizer.run(xdream::budget::stimuli(10'000)));
  }
  state.SetLabel(per_image ? "one forward pass per image" : "one batched pass per generation");
}

}  // namespace

BENCHMARK(BM_GeneratorForward)->Arg(1)->Arg(20)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NetworkForward)->Arg(1)->Arg(20)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Generation)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_Run10k)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("per_image")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kSecond);

BENCHMARK_MAIN();
