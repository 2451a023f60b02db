// docs/checkpoint.md: [my-objective] a Checkpointable objective of the reader's own;
// [resume-includes] and [resume] a run that checkpoints itself and resumes; [any-algorithm] the
// algorithm chosen at run time. main checks that a run resumed from a checkpoint taken part-way
// ends exactly as the run that was never interrupted.
// clang-format off
// [resume-includes]
#include <xdream/callbacks/checkpointer.hpp>
#include <xdream/io/checkpoint.hpp>
// [resume-includes]
// clang-format on

#include <xdream/algorithms/sep_cmaes.hpp>
#include <xdream/any_algorithm.hpp>
#include <xdream/io/encoding.hpp>
#include <xdream/objectives/poisson_noise.hpp>
#include <xdream/objectives/unit_like.hpp>
#include <xdream/optimizer.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace {
// clang-format off
// [my-objective]
struct MyObjective {
  std::uint64_t calls = 0;                      // its state
  xdream::Scores evaluate(const xdream::Population& x);
  std::string name() const { return "my-objective"; }
  void save(xdream::io::ArchiveWriter& out) const { out.write(calls); }
  void load(xdream::io::ArchiveReader& in) { calls = in.get<std::uint64_t>(); }
};
// [my-objective]
// clang-format on

xdream::Scores MyObjective::evaluate(const xdream::Population& x) {
  ++calls;
  return -x.colwise().squaredNorm().transpose().cast<double>();
}
static_assert(xdream::Checkpointable<MyObjective>);
static_assert(xdream::Objective<MyObjective, xdream::Population>);

// The page's MyGenerator and MyUnit: the reader's generator and unit.
struct MyGenerator {
  xdream::Index size;
  xdream::Index code_size() const { return size; }
  xdream::Population generate(const xdream::Population& codes) const { return 2.0f * codes; }
};
using MyUnit = xdream::UnitLike;

// The run's settings, the same at every start (a resumed run is built as the first one was).
constexpr xdream::Index n = 32;
const xdream::PoissonNoiseOptions noise_options{
    .expected_spikes = 20.0, .reference_max = 10.0, .seed = 3};
const xdream::SepCMAESOptions options{.population_size = 20, .sigma = 1.0, .seed = 5};

// Runs (or, when `resuming`, finishes) the run of the page, and gives its final state.
xdream::OptimizerState evolve(const std::filesystem::path& dir, bool resuming) {
  const MyGenerator generator{n};
  const MyUnit unit(n, /*seed=*/1);
  // clang-format off
  // [resume]
  using Run = xdream::Optimizer<MyGenerator, xdream::PoissonNoise<MyUnit>, xdream::SepCMAES>;
  Run optimizer(generator, xdream::PoissonNoise<MyUnit>(unit, noise_options),
                xdream::SepCMAES(n, options));
  if (resuming) xdream::io::load_checkpoint(dir / "checkpoint.bin", optimizer);
  // A checkpoint every 10 generations and after the last; run_until counts the budget from the
  // run's first generation, so a resumed run finishes the budget it started with.
  optimizer.run_until(xdream::budget::stimuli(10'000),
                      xdream::callbacks::Checkpointer(dir / "checkpoint.bin", 10));
  // [resume]
  // clang-format on
  return optimizer.state();
}

// What a run killed after its 137th generation leaves: the checkpoint of generation 130.
void killed_run(const std::filesystem::path& dir) {
  xdream::Optimizer<MyGenerator, xdream::PoissonNoise<MyUnit>, xdream::SepCMAES> optimizer(
      MyGenerator{n}, xdream::PoissonNoise<MyUnit>(MyUnit(n, 1), noise_options),
      xdream::SepCMAES(n, options));
  optimizer.run(xdream::budget::generations(130));
  xdream::io::save_checkpoint(dir / "checkpoint.bin", optimizer);
  optimizer.run(xdream::budget::generations(7));
}

xdream::AnyAlgorithm choose(const std::string& name, xdream::Index n, std::uint64_t seed) {
  // clang-format off
  // [any-algorithm]
  xdream::AnyAlgorithm algorithm =
      name == "genetic" ? xdream::AnyAlgorithm(xdream::Genetic<>(n, {.seed = seed}))
                        : xdream::AnyAlgorithm(xdream::SepCMAES(n, {.sigma = 3, .seed = seed}));
  // [any-algorithm]
  // clang-format on
  return algorithm;
}
}  // namespace

int main() {
  const auto root = std::filesystem::temp_directory_path() / "xdream_snippet_checkpoint";
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root / "whole");
  std::filesystem::create_directories(root / "killed");

  const xdream::OptimizerState whole = evolve(root / "whole", false);
  killed_run(root / "killed");
  const xdream::OptimizerState resumed = evolve(root / "killed", true);
  bool same = whole.generation == 500 && resumed.generation == whole.generation &&
              resumed.best.code == whole.best.code && resumed.best.score == whole.best.score &&
              resumed.best_clean.code == whole.best_clean.code &&
              resumed.last_codes == whole.last_codes && resumed.history.size() == 500;
  for (std::size_t g = 0; same && g < whole.history.size(); ++g)
    same = resumed.history[g].best == whole.history[g].best &&
           resumed.history[g].best_clean == whole.history[g].best_clean;

  // The objective of the reader's own, through a checkpoint file.
  MyObjective mine;
  mine.evaluate(xdream::Population::Zero(3, 2));
  mine.evaluate(xdream::Population::Zero(3, 2));
  xdream::io::save_checkpoint(root / "mine.bin", mine);
  MyObjective restored;
  xdream::io::load_checkpoint(root / "mine.bin", restored);

  const bool chosen = choose("genetic", 8, 1).name() == "genetic" &&
                      choose("sep-cmaes", 8, 1).name() == "sep-cmaes";
  std::filesystem::remove_all(root);
  std::printf("docs/checkpoint.md: resumed run %s the whole run; MyObjective %s; AnyAlgorithm %s\n",
              same ? "equals" : "DIFFERS FROM", restored.calls == 2 ? "restored" : "NOT RESTORED",
              chosen ? "chosen" : "NOT CHOSEN");
  return same && restored.calls == 2 && chosen ? 0 : 1;
}
