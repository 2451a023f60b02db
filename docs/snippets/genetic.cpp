// docs/genetic.md: [construct] builds the GA every way the page describes, [no-driver] drives it
// without the Optimizer. main runs both, in a scratch folder that holds the .npy files
// [construct] reads.
#include <xdream/genetic/crossover/blend.hpp>
#include <xdream/genetic/mutation/annealed.hpp>
#include <xdream/genetic/presets.hpp>
#include <xdream/genetic/selection/tournament.hpp>
#include <xdream/io/npy.hpp>
#include <xdream/objectives/unit_like.hpp>
#include <xdream/optimizer.hpp>

#include <cstdio>
#include <filesystem>

namespace {
// The page's `score_with_my_rig(codes)`: the reader's recording rig; here a unit-like response.
xdream::Scores score_with_my_rig(const xdream::Population& codes) {
  static const xdream::UnitLike unit(4096, /*seed=*/3);
  return unit.evaluate(codes);
}

bool construct() {
  // clang-format off
  // [construct]
  xdream::Genetic<> ga(4096);                                   // N(0,1) start, fc6 settings, seed 0
  xdream::Genetic<> ga2(4096, {.population_size = 20, .n_conserve = 1, .seed = 7, .threads = 2});
  auto ga3 = xdream::make_genetic(4096, xdream::presets::wang_ponce_lab, /*seed=*/7);
  xdream::Genetic<xdream::TournamentSelection, xdream::BlendCrossover, xdream::AnnealedMutation>
      ga4(256, {.population_size = 30}, xdream::TournamentSelection(3), xdream::BlendCrossover(0.5),
          xdream::AnnealedMutation(0.5, 1.0, 0.1, 200));
  xdream::Genetic<> ga5(xdream::io::load_codes({"init/a.npy", "init/b.npy"}), {.population_size = 20});
  // [construct]
  // clang-format on
  return ga.population_size() == 20 && ga2.code_size() == 4096 && ga3.code_size() == 4096 &&
         ga4.population_size() == 30 && ga5.code_size() == 64;
}

bool no_driver() {
  // clang-format off
  // [no-driver]
  xdream::Genetic<> ga(4096, {.seed = 1});
  for (int g = 0; g < 500; ++g) {
    const xdream::Population& codes = ga.ask();   // 4096 x 20
    xdream::Scores scores = score_with_my_rig(codes);
    ga.tell(scores);
  }
  // [no-driver]
  // clang-format on
  return ga.generation() == 500;
}
}  // namespace

int main() {
  // init/a.npy and init/b.npy: 12 and 8 codes of length 64, 20 in all.
  const auto folder = std::filesystem::temp_directory_path() / "xdream_snippet_genetic";
  std::filesystem::create_directories(folder / "init");
  std::filesystem::current_path(folder);
  xdream::io::save_npy("init/a.npy",
                       xdream::Population(xdream::Population::Constant(64, 12, 0.5f)));
  xdream::io::save_npy("init/b.npy",
                       xdream::Population(xdream::Population::Constant(64, 8, -0.5f)));
  const bool ok = construct() && no_driver();
  std::puts(ok ? "docs/genetic.md: both blocks ran" : "docs/genetic.md: a block misbehaved");
  return ok ? 0 : 1;
}
