// libFuzzer target: the checkpoint archive. The first byte picks what is read, so that the
// fuzzer reaches the decoders behind the checksum as well as the frame:
//   0: a whole checkpoint file of an Optimizer (frame, checksum, then every state);
//   1: a sealed archive's frame alone (io::inspect);
//   2: the payload decoded directly as an Optimizer's state (no checksum in the way);
//   3: the payload decoded as each algorithm's state.
// Any input must end in a value or an ArchiveError / std::invalid_argument, and a failed load
// must leave the optimizer as it was. Built and run by scripts/fuzz.
#include <xdream/algorithms/cholesky_cmaes.hpp>
#include <xdream/algorithms/cmaes.hpp>
#include <xdream/algorithms/fdgd.hpp>
#include <xdream/algorithms/lm_ma_es.hpp>
#include <xdream/algorithms/nes.hpp>
#include <xdream/algorithms/sep_cmaes.hpp>
#include <xdream/algorithms/sphere_cma.hpp>
#include <xdream/generators/identity.hpp>
#include <xdream/io/checkpoint.hpp>
#include <xdream/objectives/poisson_noise.hpp>
#include <xdream/objectives/sphere.hpp>
#include <xdream/optimizer.hpp>

#include "fuzz_file.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <span>
#include <stdexcept>

namespace {
constexpr xdream::Index n = 5;

struct Positive {
  xdream::Sphere sphere{n};
  xdream::Scores evaluate(const xdream::Population& x) const {
    return (sphere.evaluate(x).array() + 50.0).matrix();
  }
};
using Noisy = xdream::PoissonNoise<Positive>;
using Run = xdream::Optimizer<xdream::IdentityGenerator, Noisy, xdream::Genetic<>>;

Run make_run() {
  return Run(xdream::IdentityGenerator(n),
             Noisy(Positive{}, {.expected_spikes = 20, .reference_max = 60, .seed = 1}),
             xdream::Genetic<>(n, {.population_size = 6, .seed = 2}));
}

template <class A>
void decode(std::span<const std::byte> payload, A algorithm) {
  xdream::io::ArchiveReader in(payload, "fuzz");
  const auto before = algorithm.ask();
  try {
    algorithm.load(in);
  } catch (const std::invalid_argument&) {
    if (!(algorithm.ask() == before)) std::abort();  // a refused state changes nothing
  } catch (const xdream::io::ArchiveError&) {
    if (!(algorithm.ask() == before)) std::abort();
  }
}
}  // namespace

// Seeds: a real checkpoint of each kind, written where libFuzzer reads its corpus from
// (XDREAM_FUZZ_SEEDS), before the fuzzing starts.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* seeds = std::getenv("XDREAM_FUZZ_SEEDS");
  if (seeds == nullptr) return 0;
  Run run = make_run();
  run.run(xdream::budget::generations(3));
  const auto file = std::filesystem::path(seeds) / "checkpoint.bin";
  xdream::io::save_checkpoint(file, run);
  std::vector<std::byte> bytes = xdream::io::read_file(file);
  for (std::uint8_t mode = 0; mode < 4; ++mode) {
    std::vector<std::byte> seed{std::byte{mode}};
    if (mode == 2 || mode == 3) {
      const auto payload = xdream::io::inspect(bytes).payload;
      seed.insert(seed.end(), payload.begin(), payload.end());
    } else {
      seed.insert(seed.end(), bytes.begin(), bytes.end());
    }
    std::ofstream(std::filesystem::path(seeds) / ("seed" + std::to_string(mode)), std::ios::binary)
        .write(reinterpret_cast<const char*>(seed.data()),
               static_cast<std::streamsize>(seed.size()));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::byte> rest(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
  try {
    switch (data[0] % 4) {
      case 0: {
        const auto path = xdream_fuzz::write_input(data + 1, size - 1, "checkpoint.bin");
        Run run = make_run();
        const auto before = run.state().generation;
        try {
          xdream::io::load_checkpoint(path, run);
        } catch (...) {
          if (run.state().generation != before || run.objective().evaluations() != 0) std::abort();
          throw;
        }
        run.run(xdream::budget::generations(1));  // a loaded state must run
        break;
      }
      case 1:
        (void)xdream::io::inspect(rest, "fuzz");
        break;
      case 2: {
        Run run = make_run();
        xdream::io::ArchiveReader in(rest, "fuzz");
        try {
          run.load(in);
        } catch (...) {
          if (run.state().generation != 0) std::abort();
          throw;
        }
        break;
      }
      default:
        decode(rest, xdream::Genetic<>(n, {.population_size = 6}));
        decode(rest, xdream::CMAES(n, {.population_size = 6}));
        decode(rest, xdream::SepCMAES(n, {.population_size = 6}));
        decode(rest, xdream::CholeskyCMAES(n, {.population_size = 6}));
        decode(rest, xdream::SphereCMA(n, {.radius = 2, .population_size = 6}));
        decode(rest, xdream::LMMAES(n, {.population_size = 6, .memory = 2}));
        decode(rest, xdream::FDGD(n, {.population_size = 6}));
        decode(rest, xdream::NES(n, {.population_size = 6}));
    }
  } catch (const xdream::io::ArchiveError&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
