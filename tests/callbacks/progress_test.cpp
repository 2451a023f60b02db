// Progress (include/xdream/callbacks/progress.hpp): a line every few generations and one at the
// end, the percentage done when the run's length is known, or one line rewritten in place.
#include "../support/files.hpp"
#include "../support/runs.hpp"

#include <xdream/callbacks/progress.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {
using xdream_test::lines_of;
using xdream_test::sphere_optimizer;
namespace budget = xdream::budget;
namespace callbacks = xdream::callbacks;

TEST_CASE("Progress writes one line every few generations and one at the end") {
  struct Case {
    unsigned every;
    std::uint64_t generations;
    std::vector<std::string> starts;
  };
  for (const Case& c : {Case{1, 3, {"gen    0", "gen    1", "gen    2"}},
                        Case{3, 10, {"gen    0", "gen    3", "gen    6", "gen    9"}},
                        Case{4, 10, {"gen    0", "gen    4", "gen    8", "gen    9"}}}) {
    CAPTURE(c.every);
    auto opt = sphere_optimizer(8, 5);
    std::ostringstream out;
    opt.run(budget::generations(c.generations), callbacks::Progress(out, c.every));
    const std::vector<std::string> lines = lines_of(out.str());
    REQUIRE(lines.size() == c.starts.size());
    for (std::size_t k = 0; k < lines.size(); ++k) {
      CAPTURE(lines[k]);
      CHECK(lines[k].rfind(c.starts[k], 0) == 0);
      CHECK(lines[k].find("best-so-far") != std::string::npos);
    }
  }
  std::ostringstream out;
  CHECK_THROWS_WITH_AS(callbacks::Progress(out, 0), doctest::Contains("every"),
                       std::invalid_argument);
}

TEST_CASE("Progress starts each line with the percentage done when the run's length is known") {
  auto opt = sphere_optimizer(8, 5);
  std::ostringstream out;
  opt.run(budget::generations(10), callbacks::Progress(out, {.every = 5, .total_generations = 10}));
  const std::vector<std::string> lines = lines_of(out.str());
  REQUIRE(lines.size() == 3);
  // Generations 0, 5 and 9 (the last): 1, 6 and 10 of 10 done.
  CHECK(lines[0].rfind(" 10%  gen    0", 0) == 0);
  CHECK(lines[1].rfind(" 60%  gen    5", 0) == 0);
  CHECK(lines[2].rfind("100%  gen    9", 0) == 0);
}

TEST_CASE("Progress with overwrite rewrites one line in place and ends it at the run's end") {
  auto opt = sphere_optimizer(8, 5);
  std::ostringstream out;
  opt.run(budget::generations(3), callbacks::Progress(out, {.overwrite = true}));
  const std::string text = out.str();
  // One line: each generation returns to its start and erases what is left of the previous one.
  CHECK(lines_of(text).size() == 1);
  CHECK(text.back() == '\n');
  std::size_t returns = 0, erases = 0;
  for (std::size_t at = text.find('\r'); at != std::string::npos; at = text.find('\r', at + 1))
    ++returns;
  for (std::size_t at = text.find("\x1b[K"); at != std::string::npos;
       at = text.find("\x1b[K", at + 1))
    ++erases;
  CHECK(returns == 3);
  CHECK(erases == 3);
  CHECK(text.find("\rgen    2") != std::string::npos);
}
}  // namespace
