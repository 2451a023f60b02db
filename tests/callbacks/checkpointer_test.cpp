// Checkpointer (include/xdream/callbacks/checkpointer.hpp): checkpoints after every `every`-th
// generation and after the run's last, from on_tell; a run killed at any moment resumes from the
// file as it then was, repeats at most `every - 1` generations and ends as the uninterrupted run.
#include "../support/files.hpp"
#include "../support/runs.hpp"
#include "../support/same_run.hpp"

#include <xdream/callbacks/checkpointer.hpp>
#include <xdream/io/checkpoint.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {
using xdream_test::make_noisy_run;
using xdream_test::NoisyRun;
namespace budget = xdream::budget;
namespace callbacks = xdream::callbacks;

std::filesystem::path temp(const std::string& name) {
  return xdream_test::temp_path("xdream_checkpointer_test", name);
}

// Runs after the Checkpointer in the same on_tell: reads the checkpoint file as a process started
// at that moment would, and records how many generations it holds (0 when there is none yet).
// At generation `kill_at` it also keeps the optimizer that file restores, as if the run had been
// killed right then.
struct Reader {
  std::filesystem::path path;
  std::uint32_t kill_at = 0;
  std::vector<std::uint32_t> held{};
  std::vector<NoisyRun> killed{};
  template <class Optimizer>
  void on_tell(const Optimizer&, const xdream::TellReport& report) {
    NoisyRun restored = make_noisy_run();
    if (std::filesystem::exists(path)) xdream::io::load_checkpoint(path, restored);
    held.push_back(restored.state().generation);
    if (report.stats.generation == kill_at) killed.push_back(std::move(restored));
  }
};

// Stops the run at generation `at`, from on_generation (so on_tell sees it as the last).
struct StopAt {
  std::uint32_t at;
  bool on_generation(const xdream::GenerationReport& report) const {
    return report.stats.generation == at;
  }
};

// Runs `run` for `generations` with `stop` (when given) and `checkpointer`, starting without a
// checkpoint file, and gives how many generations the file held after each generation.
template <class... Stop>
std::vector<std::uint32_t> held_during(NoisyRun& run, std::uint64_t generations,
                                       callbacks::Checkpointer checkpointer, Stop... stop) {
  std::filesystem::remove(checkpointer.path());
  Reader reader{checkpointer.path()};
  run.run(budget::generations(generations), stop..., checkpointer, reader);
  return reader.held;
}
}  // namespace

TEST_CASE("Checkpointer checkpoints after every k-th generation and after the last") {
  const auto path = temp("every.ckpt");
  NoisyRun run = make_noisy_run();
  // Checkpoints after generations 2, 5 and 8 (3, 6 and 9 generations done) and 9, the last.
  CHECK(held_during(run, 10, callbacks::Checkpointer(path, 3)) ==
        std::vector<std::uint32_t>{0, 0, 3, 3, 3, 6, 6, 6, 9, 10});
  NoisyRun restored = make_noisy_run();
  xdream::io::load_checkpoint(path, restored);
  CHECK(restored.state().generation == 10);
  CHECK(restored.algorithm().ask() == run.algorithm().ask());
  CHECK(restored.objective().evaluations() == 10);
  std::filesystem::remove(path);
}

TEST_CASE("Checkpointer: every 1 (the default) checkpoints after each generation") {
  const auto path = temp("each.ckpt");
  NoisyRun run = make_noisy_run();
  CHECK(held_during(run, 4, callbacks::Checkpointer(path)) ==
        std::vector<std::uint32_t>{1, 2, 3, 4});
  std::filesystem::remove(path);
}

TEST_CASE("Checkpointer checkpoints the generation at which a callback stops the run") {
  const auto path = temp("stopped.ckpt");
  NoisyRun run = make_noisy_run();
  CHECK(held_during(run, 50, callbacks::Checkpointer(path, 100), StopAt{4}) ==
        std::vector<std::uint32_t>{0, 0, 0, 0, 5});
  CHECK(run.history().size() == 5);  // stopped after generation 4
  std::filesystem::remove(path);
}

TEST_CASE("a run killed between checkpoints resumes from the file and ends as the whole run") {
  constexpr std::uint32_t total = 11, every = 4, kill_at = 6;
  NoisyRun uninterrupted = make_noisy_run();
  uninterrupted.run(budget::generations(total));

  const auto path = temp("killed.ckpt");
  std::filesystem::remove(path);
  Reader reader{path, kill_at};
  {
    NoisyRun first = make_noisy_run();
    first.run(budget::generations(total), callbacks::Checkpointer(path, every), reader);
  }
  // Killed after generation 6: the file then held the checkpoint after generation 3.
  REQUIRE(reader.killed.size() == 1);
  NoisyRun& resumed = reader.killed.front();
  CHECK(resumed.state().generation == every);
  CHECK(kill_at + 1 - resumed.state().generation <= every - 1);  // generations to repeat
  CHECK(resumed.objective().evaluations() == every);

  const xdream::Result rest =
      resumed.run_until(budget::generations(total), callbacks::Checkpointer(path, every));
  CHECK(rest.generations == total - every);
  CHECK(resumed.algorithm().ask() == uninterrupted.algorithm().ask());
  CHECK(resumed.last_codes() == uninterrupted.last_codes());
  xdream_test::check_same(resumed.state().best, uninterrupted.state().best);
  xdream_test::check_same(resumed.state().best_clean, uninterrupted.state().best_clean);
  REQUIRE(resumed.history().size() == uninterrupted.history().size());
  for (std::size_t g = 0; g < total; ++g) {
    CAPTURE(g);
    xdream_test::check_same(resumed.history()[g], uninterrupted.history()[g]);
  }
  // The resumed run's own last checkpoint is the finished run.
  NoisyRun finished = make_noisy_run();
  xdream::io::load_checkpoint(path, finished);
  CHECK(finished.state().generation == total);
  CHECK(finished.algorithm().ask() == uninterrupted.algorithm().ask());
  std::filesystem::remove(path);
}

TEST_CASE("Checkpointer::due: every k-th generation counted from one, and the last") {
  const callbacks::Checkpointer checkpointer("unused.ckpt", 3);
  CHECK(checkpointer.every() == 3);
  CHECK(checkpointer.path() == std::filesystem::path("unused.ckpt"));
  const xdream::Best best;
  const xdream::GenerationTimings timings;
  xdream::GenerationStats stats;
  for (std::uint32_t g = 0; g < 9; ++g) {
    CAPTURE(g);
    stats.generation = g;
    CHECK(checkpointer.due({stats, best, timings, false}) == (g == 2 || g == 5 || g == 8));
    CHECK(checkpointer.due({stats, best, timings, true}));
  }
}

TEST_CASE("Checkpointer rejects every = 0") {
  CHECK_THROWS_WITH_AS(callbacks::Checkpointer("unused.ckpt", 0), doctest::Contains("every"),
                       std::invalid_argument);
}
