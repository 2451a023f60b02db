// CsvLog (include/xdream/callbacks/csv_log.hpp): a header, then one row per generation.
#include "../support/files.hpp"
#include "../support/runs.hpp"

#include <xdream/callbacks/csv_log.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace {
using xdream_test::lines_of;
using xdream_test::sphere_optimizer;
namespace budget = xdream::budget;
namespace callbacks = xdream::callbacks;

TEST_CASE("CsvLog writes a header and one row per generation") {
  auto opt = sphere_optimizer(8, 6);
  std::ostringstream out;
  const xdream::Result result = opt.run(budget::generations(5), callbacks::CsvLog(out));
  const std::vector<std::string> lines = lines_of(out.str());
  REQUIRE(lines.size() == 6);
  CHECK(lines[0] == "generation,stimuli,best,mean,std,best_clean,missing,seconds");
  for (std::size_t g = 0; g < 5; ++g) {
    CAPTURE(lines[g + 1]);
    const std::string& row = lines[g + 1];
    CHECK(std::count(row.begin(), row.end(), ',') == 7);
    std::istringstream fields(row);
    std::string generation, stimuli, best;
    std::getline(fields, generation, ',');
    std::getline(fields, stimuli, ',');
    std::getline(fields, best, ',');
    CHECK(generation == std::to_string(g));
    CHECK(stimuli == std::to_string(20 * (g + 1)));
    CHECK(std::stod(best) == doctest::Approx(result.history[g].best).epsilon(1e-8));
  }
}
}  // namespace
