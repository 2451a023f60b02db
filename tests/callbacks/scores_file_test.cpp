// ScoresFile (include/xdream/callbacks/scores_file.hpp): the whole run's history as CSV, rewritten
// every few generations and after the last; numbers with 17 significant digits (they read back
// exactly), NaN as an empty field; a resumed run rewrites the file from its restored history.
#include "../support/files.hpp"
#include "../support/runs.hpp"

#include <xdream/callbacks/scores_file.hpp>
#include <xdream/io/checkpoint.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace {
using xdream_test::fields_of;
using xdream_test::lines_of;
using xdream_test::make_noisy_run;
using xdream_test::NoisyRun;
using xdream_test::read_text;
namespace budget = xdream::budget;
namespace callbacks = xdream::callbacks;

const std::string header = "generation,stimuli,best,mean,std,best_clean,missing,seconds";

std::filesystem::path temp(const std::string& name) {
  return xdream_test::temp_path("xdream_scores_file_test", name);
}

// Runs after the ScoresFile in the same on_tell: the file's lines at that moment.
struct Reader {
  std::filesystem::path path;
  std::vector<std::vector<std::string>> seen{};
  void on_tell(const xdream::TellReport&) { seen.push_back(lines_of(read_text(path))); }
};

// Whether a field of the file holds exactly `value`: the same double (17 digits read back
// exactly), or nothing for NaN.
bool holds(const std::string& field, double value) {
  return std::isnan(value) ? field.empty() : !field.empty() && std::stod(field) == value;
}

// Checks that the file's rows hold `history` exactly, one row per generation, in order.
void check_rows(const std::vector<std::string>& lines,
                const std::vector<xdream::GenerationStats>& history) {
  REQUIRE(lines.size() == history.size() + 1);
  CHECK(lines[0] == header);
  for (std::size_t g = 0; g < history.size(); ++g) {
    CAPTURE(lines[g + 1]);
    const std::vector<std::string> f = fields_of(lines[g + 1]);
    REQUIRE(f.size() == 8);
    const xdream::GenerationStats& s = history[g];
    CHECK(f[0] == std::to_string(s.generation));
    CHECK(f[1] == std::to_string(s.stimuli));
    CHECK(holds(f[2], s.best));  // 17 digits: the very double
    CHECK(holds(f[3], s.mean));
    CHECK(holds(f[4], s.std_dev));
    CHECK(holds(f[5], s.best_clean));
    CHECK(f[6] == std::to_string(s.missing));
    CHECK(holds(f[7], s.seconds));
  }
}
}  // namespace

TEST_CASE("scores_csv: 17 significant digits, NaN as an empty field") {
  std::vector<xdream::GenerationStats> history(2);
  history[0] = {.generation = 0,
                .stimuli = 20,
                .best = 0.1,
                .mean = -2.5,
                .std_dev = 1e-300,
                .best_clean = 2.0 / 3.0,
                .missing = 0,
                .seconds = 1.5};
  history[1] = {.generation = 1,
                .stimuli = 40,
                .best = 100.0,
                .mean = xdream::not_a_score,
                .std_dev = xdream::not_a_score,
                .best_clean = xdream::not_a_score,
                .missing = 20,
                .seconds = 3.0};
  CHECK(callbacks::scores_csv(history) ==
        header + "\n" +
            "0,20,0.10000000000000001,-2.5,1e-300,0.66666666666666663,0,1.5\n"
            "1,40,100,,,,20,3\n");
  CHECK(callbacks::scores_csv({}) == header + "\n");
}

TEST_CASE("ScoresFile rewrites the whole history every k-th generation and after the last") {
  const auto path = temp("every.csv");
  std::filesystem::remove(path);
  NoisyRun run = make_noisy_run();
  Reader reader{path};
  run.run(budget::generations(5), callbacks::ScoresFile(path, 2), reader);
  REQUIRE(reader.seen.size() == 5);
  // Rewritten after generations 1 and 3 (2 and 4 generations done) and 4, the last.
  CHECK(reader.seen[0].empty());
  CHECK(reader.seen[1].size() == 3);
  CHECK(reader.seen[2] == reader.seen[1]);
  CHECK(reader.seen[3].size() == 5);
  CHECK(reader.seen[4].size() == 6);
  const std::vector<xdream::GenerationStats>& history = run.history();
  check_rows(reader.seen[4], history);
  check_rows(reader.seen[3], {history.begin(), history.begin() + 4});
  check_rows(lines_of(read_text(path)), history);
  // The clean scores of the noise model are there.
  CHECK_FALSE(fields_of(reader.seen[4][1])[5].empty());
  std::filesystem::remove(path);
}

TEST_CASE("ScoresFile after a resume holds every generation once, from the restored history") {
  const auto checkpoint = temp("resume.ckpt");
  const auto path = temp("resume.csv");
  std::filesystem::remove(path);
  {
    NoisyRun first = make_noisy_run();
    first.run(budget::generations(3), callbacks::ScoresFile(path));
    xdream::io::save_checkpoint(checkpoint, first);
  }
  NoisyRun resumed = make_noisy_run();
  xdream::io::load_checkpoint(checkpoint, resumed);
  resumed.run_until(budget::generations(7), callbacks::ScoresFile(path));
  const std::vector<std::string> lines = lines_of(read_text(path));
  check_rows(lines, resumed.history());
  for (std::size_t g = 0; g + 1 < lines.size(); ++g)
    CHECK(fields_of(lines[g + 1])[0] == std::to_string(g));

  // The same numbers as the uninterrupted run (but the wall time).
  NoisyRun uninterrupted = make_noisy_run();
  uninterrupted.run(budget::generations(7));
  REQUIRE(resumed.history().size() == uninterrupted.history().size());
  for (std::size_t g = 0; g < 7; ++g) {
    CAPTURE(g);
    CHECK(resumed.history()[g].best == uninterrupted.history()[g].best);
    CHECK(resumed.history()[g].best_clean == uninterrupted.history()[g].best_clean);
  }
  std::filesystem::remove(path);
  std::filesystem::remove(checkpoint);
}

TEST_CASE("ScoresFile::write writes a given history now; every = 0 is rejected") {
  const auto path = temp("write.csv");
  std::vector<xdream::GenerationStats> history(1);
  history[0].stimuli = 8;
  history[0].best = 1.25;
  callbacks::ScoresFile(path).write(history);
  CHECK(read_text(path) == header + "\n0,8,1.25,,,,0,0\n");
  std::filesystem::remove(path);
  CHECK_THROWS_WITH_AS(callbacks::ScoresFile(path, 0), doctest::Contains("every"),
                       std::invalid_argument);
}
