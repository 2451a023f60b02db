// LMMAES (include/xdream/algorithms/lm_ma_es.hpp): the conformance battery, the reference
// constants, three generations checked against PyPop7's LMMAES (transcribed to NumPy, fed the same
// draws), the sampling transform, convergence, the NaN rule and the parameter errors.
#include "../support/algorithm_runs.hpp"
#include "../support/conformance.hpp"

#include <xdream/algorithms/lm_ma_es.hpp>
#include <xdream/objectives/sphere.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace {
using xdream::Code;
using xdream::Index;
using xdream::LMMAES;
using xdream::Population;
using xdream::Scores;
using xdream_test::Ellipsoid;
using xdream_test::scores;
}  // namespace

TEST_CASE("LMMAES conforms to the Algorithm battery") {
  xdream_test::check_algorithm_conformance([](std::uint64_t seed) {
    return LMMAES(8, {.population_size = 6, .memory = 3, .seed = seed});
  });
}

TEST_CASE("LMMAES constants are the reference's") {
  const LMMAES big(4096);
  // lambda = m = 4 + floor(3 ln 4096) = 4 + floor(24.953) = 28; mu = 14.
  CHECK(big.population_size() == 28);
  CHECK(big.options().memory == 28);
  CHECK(big.mu() == 14);
  CHECK(big.c_sigma() == doctest::Approx(2.0 * 28.0 / 4096.0).epsilon(1e-15));
  const LMMAES a(10, {.population_size = 4, .memory = 2});
  // w = (ln 2.5, ln 2.5 - ln 2) / 1.1394343 = (0.8041629, 0.1958371), mu_eff = 1.4597899.
  CHECK(a.weights()[0] == doctest::Approx(0.8041628599327294).epsilon(1e-14));
  CHECK(a.mu_eff() == doctest::Approx(1.4597898888525866).epsilon(1e-14));
  // c_s = 2 * 4 / 10 = 0.8; c_d = (1 / 10, 1 / (1.5 * 10)); c_c = (4 / 10, 4 / (4 * 10)).
  CHECK(a.c_sigma() == doctest::Approx(0.8).epsilon(1e-15));
  CHECK(a.c_d()[0] == doctest::Approx(0.1).epsilon(1e-15));
  CHECK(a.c_d()[1] == doctest::Approx(1.0 / 15.0).epsilon(1e-15));
  CHECK(a.c_c()[0] == doctest::Approx(0.4).epsilon(1e-15));
  CHECK(a.c_c()[1] == doctest::Approx(0.1).epsilon(1e-15));
}

TEST_CASE("LMMAES: three generations against the reference code at n 10") {
  // Expected values: PyPop7's LMMAES.iterate / _update_distribution transcribed to NumPy,
  // maximizing, fed the draws of streams (21, t, k).
  LMMAES a(Code::Ones(10), {.population_size = 4, .memory = 2, .sigma = 0.5, .seed = 21});
  // Generation 0 uses no direction vector (min(t, m) = 0): d = z.
  CHECK(a.search_directions() == a.standard_normal_draws());
  a.tell(scores({1, 4, 2, 3}));  // best: sample 1, then sample 3
  // y = 1 + 0.5 z_w; p_s = sqrt(1.4597899 * 0.8 * 1.2) z_w = 1.1838067 z_w;
  // M_1 = sqrt(1.4597899 * 0.4 * 1.6) z_w = 0.9665741 z_w, M_2 = sqrt(1.4597899 * 0.1 * 1.9) z_w
  // = 0.5266499 z_w; sigma = 0.5 exp(0.4 (|p_s|^2 / 10 - 1)) = 0.5 exp(0.4 * -0.1500708)
  // = 0.4708689.
  CHECK(a.mean()[0] == doctest::Approx(1.1807702406973002).epsilon(1e-14));
  CHECK(a.mean()[9] == doctest::Approx(1.42406040722875).epsilon(1e-14));
  CHECK(a.sigma() == doctest::Approx(0.47086893499325805).epsilon(1e-14));
  CHECK(a.state().directions(0, 0) == doctest::Approx(0.34945567253837106).epsilon(1e-14));
  CHECK(a.state().directions(2, 1) == doctest::Approx(0.5315451571715444).epsilon(1e-14));
  a.tell(scores({3, 1, 4, 2}));
  CHECK(a.mean()[0] == doctest::Approx(0.762835720545394).epsilon(1e-14));
  CHECK(a.sigma() == doctest::Approx(0.3726405077578193).epsilon(1e-14));
  CHECK(a.state().directions(1, 0) == doctest::Approx(-0.17157542529649272).epsilon(1e-13));
  a.tell(scores({2, 3, 1, 4}));
  const double expected_mean[] = {1.3098600256802568, 1.1084887646340844, 1.388604611413376,
                                  0.8510219854640397, 0.8161314282340781, 0.08730721578146537,
                                  1.637616181403215,  1.3862358685602365, 1.8595089503217808,
                                  1.2761156746154427};
  for (Index i = 0; i < 10; ++i) {
    CHECK(a.mean()[i] == doctest::Approx(expected_mean[i]).epsilon(1e-13));
  }
  CHECK(a.sigma() == doctest::Approx(0.47977645496377574).epsilon(1e-13));
  CHECK(a.state().directions(0, 0) == doctest::Approx(1.2496122987478586).epsilon(1e-13));
  CHECK(a.state().directions(0, 1) == doctest::Approx(0.6168512816598174).epsilon(1e-13));
  CHECK(a.state().path_sigma[0] == doctest::Approx(1.8421536184792209).epsilon(1e-13));
}

TEST_CASE("LMMAES samples are y + sigma (product of the direction transforms) z") {
  const Index n = 30;
  LMMAES a(n, {.memory = 4, .seed = 6});
  const xdream::Sphere sphere(n);
  for (int g = 0; g < 7; ++g) {
    // With t = generation: d = T_min(t,m) ... T_1 z, T_j = (1 - c_d,j) I + c_d,j M_j M_j^T.
    Eigen::MatrixXd transform = Eigen::MatrixXd::Identity(n, n);
    const Index used = std::min<Index>(g, 4);
    for (Index j = 0; j < used; ++j) {
      const Eigen::VectorXd m = a.state().directions.col(j);
      const Eigen::MatrixXd t =
          (1.0 - a.c_d()[j]) * Eigen::MatrixXd::Identity(n, n) + a.c_d()[j] * m * m.transpose();
      transform = t * transform;
    }
    const Eigen::MatrixXd d = transform * a.standard_normal_draws();
    CHECK((a.search_directions() - d).cwiseAbs().maxCoeff() < 1e-12 * d.cwiseAbs().maxCoeff());
    const Eigen::MatrixXd x = (a.sigma() * d).colwise() + a.mean();
    CHECK((a.ask().cast<double>() - x).cwiseAbs().maxCoeff() < 1e-6 * x.cwiseAbs().maxCoeff());
    a.tell(sphere.evaluate(a.ask()));
  }
}

TEST_CASE("LMMAES converges on the sphere and an ellipsoid") {
  // Budgets: about 1.4x the generations seeds 1-3 took (sphere n = 100: 527-551; ellipsoid
  // n = 50, condition 1e2: 864-974).
  LMMAES sphere(100, {.seed = 1});
  CHECK(xdream_test::generations_to_optimum(sphere, xdream::Sphere(100), 780) <= 780);
  LMMAES ellipsoid(50, {.seed = 1});
  CHECK(xdream_test::generations_to_optimum(ellipsoid, Ellipsoid{50, 1e2}, 1360) <= 1360);
}

TEST_CASE("LMMAES: results do not depend on the thread count") {
  LMMAES one(40, {.population_size = 9, .seed = 4, .threads = 1});
  LMMAES three(40, {.population_size = 9, .seed = 4, .threads = 3});
  xdream_test::run_side_by_side(one, three, xdream::Sphere(40), 20);
  CHECK(one.recommendation() == three.recommendation());
}

TEST_CASE("LMMAES: NaN ranks below every valid score; all-NaN changes nothing") {
  xdream_test::check_mean_search_nan_rule(
      [] { return LMMAES(20, {.population_size = 6, .seed = 2}); });
}

TEST_CASE("LMMAES rejects bad parameters at construction") {
  using xdream::LMMAESOptions;
  const auto rejects = [](Index n, LMMAESOptions o, const char* parameter) {
    xdream_test::check_rejects<LMMAES>(n, o, parameter);
  };
  rejects(1, {}, "code_size");
  rejects(40, {.population_size = 1}, "population_size");
  rejects(40, {.population_size = 6, .mu = 7}, "mu");
  rejects(40, {.memory = -1}, "memory");
  rejects(40, {.sigma = 0.0}, "sigma");
  rejects(40, {.c_sigma = 2.0}, "c_sigma");
  rejects(8, {.population_size = 8}, "c_sigma");  // default 2 * 8 / 8 = 2
  rejects(4, {.population_size = 8, .c_sigma = 0.5}, "population_size / code_size");
  rejects(40, {.threads = 0}, "threads");
  LMMAES a(40);
  auto state = a.state();
  state.directions.resize(40, 3);
  CHECK_THROWS_AS(a.restore(state), std::invalid_argument);
}

TEST_CASE("LMMAES: the docs/algorithms.md example compiles and runs at n 256") {
  const Index n = 256;
  const auto score = [](const Population& codes) {
    return Scores(-codes.cast<double>().colwise().squaredNorm().transpose());
  };
  // From docs/algorithms.md, with 4096 replaced by n:
  xdream::LMMAES lm(n, {.population_size = 40, .sigma = 3.0, .seed = 7});  // m = 20 vectors here
  for (int g = 0; g < 75; ++g) {
    const xdream::Population& codes = lm.ask();  // n x 40
    lm.tell(score(codes));
  }
  xdream::Code best_guess = lm.recommendation();  // the mean
  CHECK(lm.options().memory == 20);
  CHECK(best_guess.squaredNorm() < 9.0f * static_cast<float>(n));  // moved inward from sigma 3
}
