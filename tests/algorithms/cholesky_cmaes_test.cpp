// CholeskyCMAES (include/xdream/algorithms/cholesky_cmaes.hpp): the conformance battery, the
// strategy constants and two generations checked number by number against Wang & Ponce's
// reference code (transcribed to NumPy, fed the same draws), the factor invariants, the deferred
// schedule, convergence, and the parameter errors.
#include "../support/algorithm_runs.hpp"
#include "../support/conformance.hpp"

#include <xdream/algorithms/cholesky_cmaes.hpp>
#include <xdream/objectives/sphere.hpp>

#include <doctest/doctest.h>
#include <Eigen/Cholesky>
#include <Eigen/LU>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace {
using xdream::CholeskyCMAES;
using xdream::Code;
using xdream::Index;
using xdream::Population;
using xdream::Scores;
using xdream_test::Ellipsoid;
using xdream_test::scores;

double max_abs_difference(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return (a - b).cwiseAbs().maxCoeff();
}
}  // namespace

TEST_CASE("CholeskyCMAES conforms to the Algorithm battery") {
  xdream_test::check_algorithm_conformance([](std::uint64_t seed) {
    return CholeskyCMAES(8, {.population_size = 6, .update_interval = 2, .seed = seed});
  });
}

TEST_CASE("CholeskyCMAES strategy constants are the reference's for n 2 and lambda 4") {
  const CholeskyCMAES a(2, {.population_size = 4});
  // mu = 2; raw weights ln(2.5) - ln(1) = 0.9162907, ln(2.5) - ln(2) = 0.2231436, sum 1.1394343
  // -> w = (0.8041629, 0.1958371); mu_eff = 1 / (0.6466779 + 0.0383522) = 1.4597899.
  CHECK(a.mu() == 2);
  CHECK(a.weights()[0] == doctest::Approx(0.80416285993272951).epsilon(1e-14));
  CHECK(a.weights()[1] == doctest::Approx(0.19583714006727054).epsilon(1e-14));
  CHECK(a.mu_eff() == doctest::Approx(1.4597898888525862).epsilon(1e-14));
  // c_1 = 2 / (2 + 1.4142136)^2 = 2 / 11.656854 = 0.1715729.
  CHECK(a.c_1() == doctest::Approx(0.1715728752538099).epsilon(1e-14));
  // c_sigma = sqrt(1.4597899) / (sqrt(1.4597899) + sqrt(2)) = 1.2082177 / 2.6224313 = 0.4607242.
  CHECK(a.c_sigma() == doctest::Approx(0.46072424858823219).epsilon(1e-14));
  // c_c = 4 / (2 + 4) = 2/3.
  CHECK(a.c_c() == doctest::Approx(2.0 / 3.0).epsilon(1e-14));
  // d_sigma = 1 + c_sigma + 2 max(0, sqrt(0.4597899 / 3) - 1) = 1 + c_sigma (the max is 0).
  CHECK(a.d_sigma() == doctest::Approx(1.0 + 0.46072424858823219).epsilon(1e-14));
  // No rank-mu update.
  CHECK(a.c_mu() == 0.0);
  // E|N(0, I_2)| ~ sqrt(2) (1 - 1/8 + 1/84) = 1.4142136 * 0.8869048 = 1.2542727.
  CHECK(a.chi_n() == doctest::Approx(1.254272742818995).epsilon(1e-14));
  CHECK(a.sigma() == 3.0);

  // Odd lambda with mu defaulted: ln((lambda + 1) / 2) - ln i, as Hansen's and the reference's
  // lambda / 2 + 1/2; lambda = 5 -> mu = 2, raw weights ln 3 - ln 1, ln 3 - ln 2.
  const CholeskyCMAES odd(2, {.population_size = 5});
  const double w0 = std::log(3.0), w1 = std::log(3.0) - std::log(2.0);
  CHECK(odd.mu() == 2);
  CHECK(odd.weights()[0] == doctest::Approx(w0 / (w0 + w1)).epsilon(1e-14));
  // An explicit mu uses ln(mu + 1/2) - ln i.
  const CholeskyCMAES explicit_mu(2, {.population_size = 5, .mu = 2});
  const double e0 = std::log(2.5), e1 = std::log(2.5) - std::log(2.0);
  CHECK(explicit_mu.weights()[0] == doctest::Approx(e0 / (e0 + e1)).epsilon(1e-14));
}

TEST_CASE("CholeskyCMAES: two generations step by step against the reference code at n 2") {
  // Expected values: Wang & Ponce's CholeskyCMAES.step_simple (ActMax-Optimizer-Dev,
  // core/Optimizers.py) transcribed to NumPy in row-vector form, fed these same draws, with
  // Aupdate_freq forcing an update every step. Its A is the transpose of ours (it samples
  // z @ A); the numbers below are in our column form.
  Code m0(2);
  m0 << 1.0f, -1.0f;
  CholeskyCMAES a(m0, {.population_size = 4, .sigma = 0.5, .update_interval = 1, .seed = 11});

  // Generation 0: the draws of streams (11, 0, k) (Boost.Random: fixed on every platform).
  Eigen::MatrixXd z0(2, 4);
  z0 << 0.77550301869002491, -0.73385318871325589, -1.548691383996001, -0.47809953405004185,
      0.27623354482950524, 0.066726740800205117, 0.79214336759045056, 1.4476256413330726;
  REQUIRE(max_abs_difference(a.standard_normal_draws(), z0) == 0.0);
  // A = I: x_k = m + 0.5 z_k (in float).
  for (Index k = 0; k < 4; ++k) {
    CHECK(a.ask()(0, k) == static_cast<float>(1.0 + 0.5 * z0(0, k)));
    CHECK(a.ask()(1, k) == static_cast<float>(-1.0 + 0.5 * z0(1, k)));
  }

  // Scores (1, 4, 2, 3): best is sample 1, then sample 3.
  a.tell(scores({1, 4, 2, 3}));
  // z_w = 0.8041629 z_1 + 0.1958371 z_3
  //     = (0.8041629 * -0.7338532 + 0.1958371 * -0.4780995,
  //        0.8041629 * 0.0667267 + 0.1958371 * 1.4476256) = (-0.6837671, 0.3371580)
  // y_w = A z_w = z_w.
  // m = (1, -1) + 0.5 y_w = (0.6581164, -0.8314210).
  CHECK(a.mean()[0] == doctest::Approx(0.65811643778887).epsilon(1e-13));
  CHECK(a.mean()[1] == doctest::Approx(-0.8314209838986999).epsilon(1e-13));
  // p_s = sqrt(c_sigma (2 - c_sigma) mu_eff) z_w = sqrt(0.4607242 * 1.5392758 * 1.4597899) z_w
  //     = 1.0174754 z_w = (-0.6957162, 0.3430500); |p_s| = 0.7756961.
  CHECK(a.state().path_sigma[0] == doctest::Approx(-0.6957162394405119).epsilon(1e-13));
  CHECK(a.state().path_sigma[1] == doctest::Approx(0.3430500091085101).epsilon(1e-13));
  // p_c = sqrt(c_c (2 - c_c) mu_eff) y_w = sqrt(2/3 * 4/3 * 1.4597899) y_w = 1.1391185 y_w
  //     = (-0.7788918, 0.3840630).
  CHECK(a.state().path_c[0] == doctest::Approx(-0.7788917977097273).epsilon(1e-13));
  CHECK(a.state().path_c[1] == doctest::Approx(0.3840629600851985).epsilon(1e-13));
  // sigma = 0.5 exp(c_sigma / d_sigma (0.7756961 / 1.2542727 - 1)) = 0.5 exp(0.3154081 *
  // -0.3815571)
  //       = 0.5 * 0.8866134 = 0.4433067.
  CHECK(a.sigma() == doctest::Approx(0.4433067201684941).epsilon(1e-13));
  // Update (generation 1 is a multiple of 1): v = A^{-1} p_c = p_c, |v|^2 = 0.7541768;
  // a = sqrt(1 - 0.1715729) = 0.9101797, s = sqrt(1 + 0.1715729 / 0.8284271 * 0.7541768)
  // = 1.0752651; A = a I + a (s - 1) / |v|^2 p_c p_c^T = a I + 0.0908339 p_c p_c^T:
  //   A_00 = 0.9101797 + 0.0908339 * 0.6066724 = 0.9652861, A_01 = 0.0908339 * -0.2991435
  //   = -0.0271724, A_11 = 0.9101797 + 0.0908339 * 0.1475044 = 0.9235781.
  Eigen::Matrix2d expected_a, expected_inverse;
  expected_a << 0.9652861342217313, -0.02717236488566179, -0.0271723648856618, 0.9235781147411141;
  expected_inverse << 1.0368209298800444, 0.03050405393775358, 0.03050405393775358,
      1.0836429007032378;
  CHECK(max_abs_difference(a.factor(), expected_a) < 1e-14);
  CHECK(max_abs_difference(a.inverse_factor(), expected_inverse) < 1e-14);
  CHECK(a.state().factor.rank() == 1);  // low-rank form: 0.9101797 I + (b p_c) v^T

  // Generation 1: scores (3, 1, 4, 2): best is sample 2, then sample 0. The second update
  // would exceed n / 2 = 1 rank-one terms: A and A^{-1} become dense.
  Eigen::MatrixXd z1(2, 4);
  z1 << -1.161819950816732, 2.0145465064447472, 0.8944797424117451, -1.0757850681006949,
      1.5345429445614329, -0.090750601686966206, -2.3782833209935421, 0.75965974463366293;
  REQUIRE(max_abs_difference(a.standard_normal_draws(), z1) == 0.0);
  a.tell(scores({3, 1, 4, 2}));
  CHECK(a.mean()[0] == doctest::Approx(0.8879755569556995).epsilon(1e-13));
  CHECK(a.mean()[1] == doctest::Approx(-1.4973460779844332).epsilon(1e-13));
  CHECK(a.state().path_sigma[0] == doctest::Approx(0.12519105180880108).epsilon(1e-12));
  CHECK(a.state().path_sigma[1] == doctest::Approx(-1.4551785505045278).epsilon(1e-13));
  CHECK(a.state().path_c[0] == doctest::Approx(0.3310141365653457).epsilon(1e-12));
  CHECK(a.state().path_c[1] == doctest::Approx(-1.583136493964493).epsilon(1e-13));
  CHECK(a.sigma() == doctest::Approx(0.4669091794602442).epsilon(1e-13));
  expected_a << 0.8866798215360071, -0.07155040995080032, -0.06345215162919572, 1.0645410639215294;
  expected_inverse << 1.133253567274013, 0.07616874544788765, 0.06754777210764142,
      0.9439119869025875;
  CHECK(a.state().factor.is_dense());
  CHECK(max_abs_difference(a.factor(), expected_a) < 1e-14);
  CHECK(max_abs_difference(a.inverse_factor(), expected_inverse) < 1e-14);
}

TEST_CASE(
    "CholeskyCMAES factor invariants: deferred updates and C = A A^T and the inverse factor") {
  // The test keeps its own dense A, updated immediately by the rank-one formula at the update
  // generations with the path the algorithm reports, and C by C <- (1 - c_1) C + c_1 p_c p_c^T.
  // n = 6: the low-rank form holds up to 3 terms, so the run crosses into the dense form.
  const Index n = 6;
  for (const Index interval : {Index{1}, Index{3}}) {
    CAPTURE(interval);
    CholeskyCMAES a(n,
                    {.population_size = 8, .sigma = 1.0, .update_interval = interval, .seed = 3});
    const Ellipsoid objective{n, 1e3};
    const double c_1 = a.c_1(), scale = std::sqrt(1.0 - c_1);
    Eigen::MatrixXd immediate = Eigen::MatrixXd::Identity(n, n);
    Eigen::MatrixXd covariance = Eigen::MatrixXd::Identity(n, n);
    bool was_low_rank = false, became_dense = false;
    for (int g = 1; g <= 15; ++g) {
      const Eigen::MatrixXd before = a.factor();
      a.tell(objective.evaluate(a.ask()));
      const Eigen::VectorXd& p = a.state().path_c;
      if (g % interval == 0) {
        const Eigen::VectorXd v = immediate.inverse() * p;
        const double v2 = v.squaredNorm();
        const double s = std::sqrt(1.0 + c_1 / (1.0 - c_1) * v2);
        immediate = scale * immediate + scale * (s - 1.0) / v2 * p * v.transpose();
        covariance = (1.0 - c_1) * covariance + c_1 * p * p.transpose();
      } else {
        CHECK(max_abs_difference(a.factor(), before) == 0.0);  // deferred: A untouched
      }
      was_low_rank = was_low_rank || (!a.state().factor.is_dense() && a.state().factor.rank() > 0);
      became_dense = became_dense || a.state().factor.is_dense();
      const Eigen::MatrixXd factor = a.factor();
      CHECK(max_abs_difference(factor, immediate) < 1e-12);
      const Eigen::MatrixXd c = a.covariance();
      CHECK(max_abs_difference(c, c.transpose()) < 1e-15);
      CHECK(max_abs_difference(c, covariance) < 1e-12);
      CHECK(Eigen::LLT<Eigen::MatrixXd>(c).info() == Eigen::Success);  // positive definite
      CHECK(max_abs_difference(a.inverse_factor() * factor, Eigen::MatrixXd::Identity(n, n)) <
            1e-12);
    }
    CHECK(was_low_rank);
    CHECK(became_dense);  // 15 updates (interval 1) or 5 (interval 3): both pass n / 2 = 3
  }
}

TEST_CASE("CholeskyCMAES samples are m + sigma A z and the low-rank form stays low rank") {
  const Index n = 64;
  CholeskyCMAES a(n, {.update_interval = 10, .seed = 9});
  const xdream::Sphere sphere(n);
  for (int g = 0; g < 75; ++g) a.tell(sphere.evaluate(a.ask()));
  // 75 generations at interval 10: 7 updates, one column each.
  CHECK(a.state().factor.rank() == 7);
  CHECK(a.state().inverse_factor.rank() == 7);
  CHECK_FALSE(a.state().factor.is_dense());
  const Eigen::MatrixXd expected =
      (a.sigma() * a.factor() * a.standard_normal_draws()).colwise() + a.mean();
  CHECK(max_abs_difference(a.ask().cast<double>(), expected) <
        1e-5 * expected.cwiseAbs().maxCoeff());
}

TEST_CASE("CholeskyCMAES: results do not depend on the thread count") {
  CholeskyCMAES one(40, {.population_size = 19, .update_interval = 2, .seed = 4, .threads = 1});
  CholeskyCMAES three(40, {.population_size = 19, .update_interval = 2, .seed = 4, .threads = 3});
  xdream_test::run_side_by_side(one, three, xdream::Sphere(40), 30);
  CHECK(one.recommendation() == three.recommendation());
}

TEST_CASE("CholeskyCMAES: NaN ranks below every valid score; all-NaN changes nothing") {
  xdream_test::check_mean_search_nan_rule(
      [] { return CholeskyCMAES(4, {.population_size = 6, .seed = 2}); });
}

TEST_CASE("CholeskyCMAES converges on the sphere and on ellipsoids") {
  // Budgets: about 1.5x the generations the first seeds took (sphere n = 10: 84-98; sphere
  // n = 20: 141-148; ellipsoid n = 20, condition 1e2, interval 10: 372-450; ellipsoid n = 10,
  // condition 1e6, lambda 10, interval 1: 688-733).
  using xdream_test::generations_to_optimum;
  {
    CholeskyCMAES a(10, {.seed = 1});  // Wang & Ponce's settings: lambda 40, sigma 3, interval 10
    CHECK(generations_to_optimum(a, xdream::Sphere(10), 150) <= 150);
  }
  {
    CholeskyCMAES a(20, {.seed = 1});
    CHECK(generations_to_optimum(a, xdream::Sphere(20), 220) <= 220);
  }
  {
    CholeskyCMAES a(20, {.seed = 1});
    CHECK(generations_to_optimum(a, Ellipsoid{20, 1e2}, 680) <= 680);
  }
  {
    CholeskyCMAES a(10, {.population_size = 10, .sigma = 1.0, .update_interval = 1, .seed = 1});
    CHECK(generations_to_optimum(a, Ellipsoid{10, 1e6}, 1100) <= 1100);
  }
}

TEST_CASE("CholeskyCMAES rejects bad parameters at construction") {
  using xdream::CholeskyCMAESOptions;
  const auto rejects = [](Index n, CholeskyCMAESOptions o, const char* parameter) {
    xdream_test::check_rejects<CholeskyCMAES>(n, o, parameter);
  };
  rejects(1, {}, "code_size");
  rejects(4, {.population_size = 1}, "population_size");
  rejects(4, {.population_size = 6, .mu = 7}, "mu");
  rejects(4, {.mu = -1}, "mu");
  rejects(4, {.sigma = 0.0}, "sigma");
  rejects(4, {.sigma = std::numeric_limits<double>::infinity()}, "sigma");
  rejects(4, {.update_interval = 0}, "update_interval");
  rejects(4, {.c_1 = 1.0}, "c_1");
  rejects(4, {.c_1 = -0.1}, "c_1");
  rejects(4, {.c_sigma = 0.0}, "c_sigma");
  rejects(4, {.c_sigma = 1.5}, "c_sigma");
  rejects(4, {.c_c = 0.0}, "c_c");
  rejects(4, {.d_sigma = 0.0}, "d_sigma");
  rejects(4, {.threads = 0}, "threads");
  Code bad = Code::Zero(4);
  bad[2] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(CholeskyCMAES{bad}, std::invalid_argument);
  CholeskyCMAES a(4);
  auto state = a.state();
  state.factor.u.resize(3, 0);
  CHECK_THROWS_AS(a.restore(state), std::invalid_argument);
}

TEST_CASE("CholeskyCMAES: the docs/algorithms.md example compiles and runs at n 64") {
  const Index n = 64;
  const auto score = [](const Population& codes) {
    return Scores(-codes.cast<double>().colwise().squaredNorm().transpose());
  };
  // From docs/algorithms.md, with 4096 replaced by n:
  xdream::CholeskyCMAES cma(n);                   // Wang & Ponce: lambda 40, mu 20, sigma 3,
  for (int g = 0; g < 75; ++g) {                  // A updated every 10 generations
    const xdream::Population& codes = cma.ask();  // n x 40, one code per column
    cma.tell(score(codes));                       // larger is better, NaN = no response
  }
  xdream::Code best_guess = cma.recommendation();  // the mean
  // Non-deferred, from a given mean, for plain black-box use:
  xdream::CholeskyCMAES every(
      xdream::Code::Constant(10, 1.0f),
      {.population_size = 10, .sigma = 0.5, .update_interval = 1, .seed = 7});
  CHECK(best_guess.size() == n);
  // The optimum is 0; the first samples lie at squared distance sigma^2 n = 576 from it.
  CHECK(best_guess.squaredNorm() < 0.01f * 9.0f * static_cast<float>(n));
  CHECK(cma.state().factor.rank() == 7);
  CHECK(every.population_size() == 10);
}
