// docs/algorithms.md: one region per code block. A block that shows includes and then statements
// is two regions, [<name>-includes] at the top of this file and [<name>] in a function below.
// main runs every block but those of full CMA-ES and Cholesky CMA-ES at n = 4096 (minutes of
// O(n^2) work per run): they are compiled only.
// clang-format off
// [cmaes-includes]
#include <xdream/algorithms/cmaes.hpp>
// [cmaes-includes]
// [cholesky-cmaes-includes]
#include <xdream/algorithms/cholesky_cmaes.hpp>
// [cholesky-cmaes-includes]
// [sphere-cma-includes]
#include <xdream/algorithms/sphere_cma.hpp>
// [sphere-cma-includes]
// [lm-ma-es-includes]
#include <xdream/algorithms/lm_ma_es.hpp>
// [lm-ma-es-includes]
// [fdgd-includes]
#include <xdream/algorithms/fdgd.hpp>
// [fdgd-includes]
// [nes-includes]
#include <xdream/algorithms/nes.hpp>
// [nes-includes]
// [noise-includes]
#include <xdream/generators/identity.hpp>
#include <xdream/objectives/multiplicative_noise.hpp>
#include <xdream/objectives/poisson_noise.hpp>
#include <xdream/objectives/unit_like.hpp>
#include <xdream/optimizer.hpp>
// [noise-includes]
// [units-includes]
#include <xdream/algorithms/sep_cmaes.hpp>
#include <xdream/generators/identity.hpp>
#include <xdream/objectives/angle_contrast_unit.hpp>
#include <xdream/objectives/multiplicative_noise.hpp>
#include <xdream/objectives/random_relu_unit.hpp>
#include <xdream/objectives/subspace_unit.hpp>
#include <xdream/optimizer.hpp>
// [units-includes]
// clang-format on

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace {
// The blocks' `score(codes)`: the reader's objective. Here a unit-like response of 4096-d codes
// with a preferred norm of 300, as an fc6 unit's (the domain benchmark's `unit_like`).
xdream::Scores score(const xdream::Population& codes) {
  static const xdream::UnitLike unit(4096, /*seed=*/5, /*preferred_norm=*/300.0,
                                     /*norm_width=*/150.0);
  return unit.evaluate(codes);
}

// Fails the program when a value a block computes is not what the documentation says.
void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "docs/algorithms.md snippet: %s\n", what);
    std::exit(1);
  }
}

void cmaes() {
  // clang-format off
  // [cmaes]
  xdream::CMAES cma(4096, {.population_size = 40, .sigma = 3.0, .seed = 7});
  for (int g = 0; g < 75; ++g) {
    const xdream::Population& codes = cma.ask();     // 4096 x 40, one code per column
    cma.tell(score(codes));  // score: your objective; larger is better, NaN = no response
  }
  xdream::Code best_guess = cma.recommendation();   // the mean
  // Standalone black-box use, starting from a given mean; decomposing every generation, as the
  // Python package does:
  xdream::CMAES exact(xdream::Code::Constant(10, 1.0f), {.sigma = 0.5, .decomposition_interval = 1});
  // [cmaes]
  // clang-format on
  require(best_guess.size() == 4096 && exact.code_size() == 10, "CMAES sizes");
}

void sep_cmaes() {
  xdream::UnitLike my_objective(4096);
  // clang-format off
  // [sep-cmaes]
  xdream::SepCMAES es(4096, {.population_size = 40, .sigma = 3.0, .seed = 1});
  xdream::Optimizer optimizer(xdream::IdentityGenerator(4096), my_objective, es);
  // [sep-cmaes]
  // clang-format on
  require(optimizer.run(xdream::budget::generations(2)).generations == 2, "SepCMAES run");
}

void cholesky_cmaes() {
  // clang-format off
  // [cholesky-cmaes]
  xdream::CholeskyCMAES cma(4096);                 // Wang & Ponce: lambda 40, mu 20, sigma 3,
  for (int g = 0; g < 75; ++g) {                    // A updated every 10 generations
    const xdream::Population& codes = cma.ask();   // 4096 x 40, one code per column
    cma.tell(score(codes));                        // larger is better, NaN = no response
  }
  xdream::Code best_guess = cma.recommendation();  // the mean
  // Non-deferred, from a given mean, for plain black-box use:
  xdream::CholeskyCMAES every(xdream::Code::Constant(10, 1.0f),
                              {.population_size = 10, .sigma = 0.5, .update_interval = 1, .seed = 7});
  // In the driver: xdream::Optimizer<MyGenerator, MyObjective, xdream::CholeskyCMAES> opt(gen, obj);
  // [cholesky-cmaes]
  // clang-format on
  require(best_guess.size() == 4096 && every.population_size() == 10, "CholeskyCMAES sizes");
}

void sphere_cma() {
  // clang-format off
  // [sphere-cma]
  xdream::SphereCMA sphere(4096);                      // R 300, 40 + centre, 50 -> 7.33 deg, lr 1.5
  for (int g = 0; g < 75; ++g) {
    const xdream::Population& codes = sphere.ask();    // 4096 x 41: the centre, then 40 samples
    sphere.tell(score(codes));
  }
  xdream::Code best_guess = sphere.recommendation();   // the centre, |best_guess| = 300
  // From a given code (projected on the sphere), without showing the centre:
  xdream::SphereCMA from(xdream::Code::Ones(256),
                         {.radius = 16.0, .present_centre = false, .seed = 7});
  // [sphere-cma]
  // clang-format on
  require(std::abs(best_guess.norm() - 300.0f) < 1e-2f, "SphereCMA: |centre| = 300");
  require(sphere.population_size() == 41 && from.population_size() == 40, "SphereCMA sizes");
}

void lm_ma_es() {
  // clang-format off
  // [lm-ma-es]
  xdream::LMMAES lm(4096, {.population_size = 40, .sigma = 3.0, .seed = 7});  // m = 28 vectors
  for (int g = 0; g < 75; ++g) {
    const xdream::Population& codes = lm.ask();   // 4096 x 40
    lm.tell(score(codes));
  }
  xdream::Code best_guess = lm.recommendation();  // the mean
  // [lm-ma-es]
  // clang-format on
  require(best_guess.size() == 4096 && lm.population_size() == 40, "LMMAES sizes");
}

void fdgd() {
  // clang-format off
  // [fdgd]
  xdream::FDGD fdgd(4096);                            // paper: 10 pairs, r 1.25, lr 1.25, from 0
  for (int g = 0; g < 500; ++g) {
    const xdream::Population& codes = fdgd.ask();     // 4096 x 20: c + d_0, c - d_0, c + d_1, ...
    fdgd.tell(score(codes));                          // larger is better, NaN = no response
  }
  xdream::Code best_guess = fdgd.recommendation();    // the centre
  // From a given centre, with a step for a steeper objective:
  xdream::FDGD small(xdream::Code::Ones(64), {.radius = 0.1, .learning_rate = 0.05, .seed = 7});
  // In the driver: xdream::Optimizer<MyGenerator, MyObjective, xdream::FDGD> opt(gen, obj);
  // [fdgd]
  // clang-format on
  require(best_guess.size() == 4096 && fdgd.population_size() == 20, "FDGD sizes");
  require(small.code_size() == 64, "FDGD from a centre");
}

void nes() {
  // clang-format off
  // [nes]
  xdream::NES nes(4096);                             // paper: 10 pairs, r 1.25, lr 1.75, rho 0.05
  for (int g = 0; g < 500; ++g) {
    const xdream::Population& codes = nes.ask();     // 4096 x 20: c + r z_0, c - r z_0, ...
    nes.tell(score(codes));
  }
  xdream::Code best_guess = nes.recommendation();    // the centre
  double radius = nes.radius();                      // the learned r
  // A fixed radius, from a given centre:
  xdream::NES fixed(xdream::Code::Ones(64),
                    {.radius = 0.1, .learning_rate = 0.1, .radius_learning_rate = 0.0, .seed = 7});
  // [nes]
  // clang-format on
  require(best_guess.size() == 4096 && radius > 0.0 && fixed.code_size() == 64, "NES sizes");
}

void noise() {
  // clang-format off
  // [noise]
  xdream::UnitLike unit(4096);
  xdream::PoissonNoise spiking(unit, {.expected_spikes = 20.0, .reference_max = 40.0, .seed = 7});
  xdream::MultiplicativeNoise gain(unit, {.noise_level = 0.5, .seed = 7});
  xdream::Optimizer opt(xdream::IdentityGenerator(4096), spiking);   // the GA, on noisy scores
  xdream::Result result = opt.run(xdream::budget::stimuli(10'000));
  double best_clean = result.best_clean.clean_score;                 // ranked by the clean score
  // [noise]
  // clang-format on
  require(result.stimuli == 10'000 && std::isfinite(best_clean), "noise: the run");
  require(gain.evaluate(xdream::Population::Zero(4096, 2)) == xdream::Scores::Zero(2),
          "noise: a zero activation stays zero");
}

void units() {
  // clang-format off
  // [units]
  xdream::SubspaceUnit low_dimensional(4096, /*seed=*/1, {.subspace_dimension = 16});
  xdream::AngleContrastUnit tuned(4096, /*seed=*/2, {.angle_exponent = 1.0});
  xdream::RandomReluUnit network(4096, /*seed=*/3);
  xdream::MultiplicativeNoise noisy(tuned, {.noise_level = 0.5, .seed = 7});
  xdream::Optimizer opt(xdream::IdentityGenerator(4096), noisy,
                        xdream::SepCMAES(4096, {.population_size = 40, .sigma = 3.0, .seed = 7}));
  xdream::Result result = opt.run(xdream::budget::stimuli(3000));
  double normalized = result.best_clean.clean_score / tuned.supremum();  // in (0, 1)
  // [units]
  // clang-format on
  require(normalized > 0.0 && normalized < 1.0, "units: normalized score in (0, 1)");
  require(low_dimensional.subspace_dimension() == 16, "units: subspace dimension");
  require(network.filters().cols() == 32, "units: hidden units");
}
}  // namespace

int main() {
  // Compiled, not run: full CMA-ES and Cholesky CMA-ES at n = 4096.
  [[maybe_unused]] void (*compiled_only[])() = {cmaes, cholesky_cmaes};
  sep_cmaes();
  sphere_cma();
  lm_ma_es();
  fdgd();
  nes();
  noise();
  units();
  std::puts("docs/algorithms.md: every block ran (CMA-ES and Cholesky CMA-ES compiled only)");
}
