// SepCMAES (include/xdream/algorithms/sep_cmaes.hpp): the conformance battery, agreement with the
// `cmaes` Python package's SepCMA replaying our samples, convergence on separable ellipsoids, and
// parameter errors.
#include "../support/algorithm_runs.hpp"
#include "../support/conformance.hpp"
#include "../support/python_oracle.hpp"

#include <xdream/algorithms/sep_cmaes.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace {
// Separable ellipsoid, maximized: -sum cond^(i / (n - 1)) (x_i - 1)^2 (condition 1e6 unless
// given).
xdream::Scores ellipsoid(const xdream::Population& x, double condition = 1e6) {
  return xdream_test::Ellipsoid{x.rows(), condition}.evaluate(x);
}
}  // namespace

TEST_CASE("SepCMAES conforms to the Algorithm battery") {
  xdream_test::check_algorithm_conformance(
      [](std::uint64_t seed) { return xdream::SepCMAES(8, {.population_size = 6, .seed = seed}); });
}

TEST_CASE("SepCMAES replays exactly through the python cmaes SepCMA oracle") {
  // Our samples and scores are given to cmaes.SepCMA's tell(); its mean, sigma and diagonal C
  // after each of 12 generations must equal ours to rounding (relative 1e-9).
  for (const auto& [n, lambda] : {std::pair{2, 6}, std::pair{6, 9}, std::pair{10, 20}}) {
    CAPTURE(n);
    xdream::SepCMAES es(xdream::Code::Constant(n, 0.3f),
                        {.population_size = lambda, .sigma = 0.7, .seed = 4});
    const int generations = 12;
    xdream_test::OracleReplay oracle(
        std::filesystem::path(__FILE__).parent_path() / "sep_cmaes_oracle.py",
        "xdream_sep_oracle_" + std::to_string(n), lambda, es.sigma(), generations, es.mean());
    std::vector<Eigen::VectorXd> means, variances;
    std::vector<double> sigmas;
    for (int g = 0; g < generations; ++g) {
      const xdream::Population x = es.ask();
      const xdream::Scores s = ellipsoid(x, 1e2);
      oracle.add_generation(x, s);
      es.tell(s);
      means.push_back(es.mean());
      sigmas.push_back(es.sigma());
      variances.push_back(es.variances());
    }
    oracle.run();
    for (int g = 0; g < generations; ++g) {
      const Eigen::VectorXd mean = oracle.read("mean", n);
      const double sigma = oracle.read("sigma", 1)[0];
      const Eigen::VectorXd c = oracle.read("variances", n);
      const auto gi = static_cast<std::size_t>(g);
      CHECK((means[gi] - mean).cwiseAbs().maxCoeff() <=
            1e-9 * std::max(mean.cwiseAbs().maxCoeff(), sigma));
      CHECK(std::abs(sigmas[gi] - sigma) <= 1e-9 * sigma);
      CHECK((variances[gi] - c).cwiseAbs().maxCoeff() <= 1e-9 * c.cwiseAbs().maxCoeff());
    }
  }
}

TEST_CASE("SepCMAES converges on separable problems within a stated budget") {
  // Budgets: sep-CMA-ES is invariant to axis scaling on separable problems, so the ellipsoid
  // costs about as much as the sphere after C has learned the scales (Ros & Hansen 2008: linear
  // time in n). Bounds are 1.5x the most that seeds 0-2 took here (f > -1e-8 at 2,500-2,810
  // evaluations for n = 10 and 13,875-14,400 for n = 40, with the default lambda).
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    CAPTURE(seed);
    for (const xdream::Index n : {10, 40}) {
      CAPTURE(n);
      xdream::SepCMAES es(n, {.sigma = 1.0, .seed = seed});
      const long budget = n == 10 ? 4200 : 21600;
      long evaluations = 0;
      double best = -INFINITY;
      while (evaluations < budget && best < -1e-8) {
        const xdream::Scores s = ellipsoid(es.ask());
        best = std::max(best, s.maxCoeff());
        evaluations += es.population_size();
        es.tell(s);
      }
      CHECK(best >= -1e-8);
    }
  }
}

TEST_CASE("SepCMAES rejects bad parameters") {
  CHECK_THROWS_WITH_AS(xdream::SepCMAES(1), doctest::Contains("code_size"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(xdream::SepCMAES(4, {.sigma = 0.0}), doctest::Contains("sigma"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(xdream::SepCMAES(4, {.sigma = NAN}), doctest::Contains("sigma"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(xdream::SepCMAES(4, {.population_size = 1}),
                       doctest::Contains("population_size"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(xdream::SepCMAES(4, {.threads = 0}), doctest::Contains("threads"),
                       std::invalid_argument);
  CHECK_THROWS_AS(xdream::SepCMAES(xdream::Code::Constant(4, NAN)), std::invalid_argument);
}
