// Selection policies (include/xdream/genetic/selection/): XDream's Boltzmann roulette against a
// NumPy reference, the sampling distributions of every policy, one conformance battery shared by
// all of them, and their parameter errors.
#include <xdream/concepts.hpp>
#include <xdream/genetic/selection/boltzmann.hpp>
#include <xdream/genetic/selection/tournament.hpp>
#include <xdream/genetic/selection/truncation.hpp>

#include <doctest/doctest.h>

#include "../support/algorithm_runs.hpp"
#include "../support/statistics.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace {
using xdream::BoltzmannSelection;
using xdream::Engine;
using xdream::Index;
using xdream::Scores;
using xdream::TournamentSelection;
using xdream::TruncationSelection;
using xdream_test::binomial_se;

// Scores as a Selection is prepared with them: the valid ones, sorted high to low.
Scores descending(std::initializer_list<double> values) { return xdream_test::scores(values); }

// Frequencies of each index over `draws` draws from one engine.
template <class S>
std::vector<double> frequencies(const S& selection, Index n, std::uint64_t draws,
                                std::uint64_t seed) {
  Engine rng(seed);
  std::vector<std::uint64_t> counts(static_cast<std::size_t>(n), 0);
  std::uint64_t out_of_range = 0;
  for (std::uint64_t k = 0; k < draws; ++k) {
    const Index i = selection.draw(rng);
    if (i < 0 || i >= n) {
      ++out_of_range;
    } else {
      ++counts[static_cast<std::size_t>(i)];
    }
  }
  REQUIRE(out_of_range == 0);
  std::vector<double> f(counts.size());
  for (std::size_t i = 0; i < counts.size(); ++i) {
    f[i] = static_cast<double>(counts[i]) / static_cast<double>(draws);
  }
  return f;
}

// Every frequency within z binomial standard errors of its probability.
void check_frequencies(const std::vector<double>& observed, const std::vector<double>& expected,
                       std::uint64_t draws) {
  REQUIRE(observed.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CAPTURE(expected[i]);
    CHECK(std::abs(observed[i] - expected[i]) <= xdream_test::z * binomial_se(expected[i], draws));
  }
}

// The reference: /usr/bin/python3, NumPy 1.24.2, the rule of XDream's selection step:
//
//   import numpy as np
//   def probs(s, sel):
//       s = np.sort(np.asarray(s, dtype=np.float64))[::-1]
//       kT = max(np.std(s) / sel, 1e-8)           # ddof 0, unclipped
//       c = np.minimum(s, np.percentile(s, 95))   # numpy default: linear
//       f = np.exp((c - c.max()) / kT)
//       return kT, f / f.sum()
//
// The vector has an outlier at the top, so clipping, the choice of std (clipped or not, ddof 0
// or 1) and the percentile's interpolation each change the numbers.
const Scores outlier_scores = descending({9.0, 2.5, 2.0, 1.25, 1.0, 0.5, 0.0, -0.75, -1.0, -3.0});

// probs(outlier_scores, 2.0)
constexpr double kT_selectivity_2 = 1.5116216457830975;
const std::vector<double> p_selectivity_2 = {
    0.767435800845789,    0.07209935028434186, 0.051794006198128045, 0.031535646182493694,
    0.026728575337071053, 0.01920100515768507, 0.013793424992394252, 0.00839835730298523,
    0.007118171119166555, 0.001895662579945391};
// probs(outlier_scores, 0.5)
constexpr double kT_selectivity_half = 6.04648658313239;
const std::vector<double> p_selectivity_half = {
    0.21900373611262516, 0.121247794573335,   0.11162484943613303, 0.09860329856438747,
    0.09460954693546626, 0.08710077135056382, 0.08018793679498355, 0.07083364602952433,
    0.06796465489706122, 0.04882376530591999};

// Both computations are a handful of double operations: they agree to a few ulps. 1e-12
// relative leaves room for a different summation order and nothing more.
constexpr double reference_relative = 1e-12;

TEST_CASE("BoltzmannSelection probabilities equal the NumPy reference at selectivity 2") {
  BoltzmannSelection selection(2.0);
  selection.prepare(outlier_scores);
  CHECK(selection.temperature() == doctest::Approx(kT_selectivity_2).epsilon(reference_relative));
  const std::vector<double>& p = selection.probabilities();
  REQUIRE(p.size() == p_selectivity_2.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    CAPTURE(i);
    CHECK(p[i] == doctest::Approx(p_selectivity_2[i]).epsilon(reference_relative));
  }
}

TEST_CASE("BoltzmannSelection probabilities equal the NumPy reference at selectivity 0.5") {
  BoltzmannSelection selection(0.5);
  selection.prepare(outlier_scores);
  CHECK(selection.temperature() ==
        doctest::Approx(kT_selectivity_half).epsilon(reference_relative));
  const std::vector<double>& p = selection.probabilities();
  REQUIRE(p.size() == p_selectivity_half.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    CAPTURE(i);
    CHECK(p[i] == doctest::Approx(p_selectivity_half[i]).epsilon(reference_relative));
  }
}

TEST_CASE("BoltzmannSelection temperature has a floor of 1e-8") {
  // Scores 1e-12 apart: std / 2 ~ 5e-13, far below the floor. Without the floor the best would
  // take nearly all the mass; with it the fitness is ~exp(-1e-4 k), nearly uniform.
  // probs([1.0 + 1e-12, 1.0, 1.0 - 1e-12, 1.0 - 2e-12], 2.0) with the snippet above.
  BoltzmannSelection selection(2.0);
  selection.prepare(descending({1.0 + 1e-12, 1.0, 1.0 - 1e-12, 1.0 - 2e-12}));
  CHECK(selection.temperature() == 1e-8);
  const std::vector<double> expected = {0.25003468781591687, 0.2500134361020037,
                                        0.24998843656143643, 0.24996343952064293};
  // A score difference near 1.0 carries an absolute rounding error of ~2.2e-16, which the
  // division by kT = 1e-8 turns into ~2.2e-8 in the exponent: 1e-7 relative covers it.
  const std::vector<double>& p = selection.probabilities();
  REQUIRE(p.size() == expected.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    CAPTURE(i);
    CHECK(p[i] == doctest::Approx(expected[i]).epsilon(1e-7));
  }
}

TEST_CASE("BoltzmannSelection gives equal scores equal probabilities") {
  BoltzmannSelection selection(2.0);
  selection.prepare(Scores::Constant(8, 3.25));
  CHECK(selection.temperature() == 1e-8);
  for (double p : selection.probabilities()) CHECK(p == doctest::Approx(1.0 / 8.0).epsilon(1e-15));
  constexpr std::uint64_t draws = 80'000;
  check_frequencies(frequencies(selection, 8, draws, 11), std::vector<double>(8, 1.0 / 8.0), draws);
}

TEST_CASE("BoltzmannSelection with a single score always draws it") {
  BoltzmannSelection selection(2.0);
  selection.prepare(descending({-4.5}));
  REQUIRE(selection.probabilities().size() == 1);
  CHECK(selection.probabilities()[0] == 1.0);
  Engine rng(5);
  int other = 0;
  for (int k = 0; k < 1000; ++k) other += selection.draw(rng) != 0 ? 1 : 0;
  CHECK(other == 0);
}

TEST_CASE("BoltzmannSelection draw frequencies match its probabilities") {
  for (double selectivity : {2.0, 0.5}) {
    CAPTURE(selectivity);
    BoltzmannSelection selection(selectivity);
    selection.prepare(outlier_scores);
    constexpr std::uint64_t draws = 200'000;
    check_frequencies(frequencies(selection, 10, draws, 2024), selection.probabilities(), draws);
  }
}

TEST_CASE("TournamentSelection rank frequencies follow the order-statistic law") {
  // P(rank i) = ((n - i)^k - (n - i - 1)^k) / n^k: the best of k uniform draws is i.
  const Index n = 6;
  for (int k : {1, 2, 3}) {
    CAPTURE(k);
    TournamentSelection selection(k);
    selection.prepare(descending({6, 5, 4, 3, 2, 1}));
    std::vector<double> expected;
    for (Index i = 0; i < n; ++i) {
      const double above = std::pow(static_cast<double>(n - i), k);
      const double below = std::pow(static_cast<double>(n - i - 1), k);
      expected.push_back((above - below) / std::pow(static_cast<double>(n), k));
    }
    constexpr std::uint64_t draws = 120'000;
    check_frequencies(frequencies(selection, n, draws, 300 + static_cast<std::uint64_t>(k)),
                      expected, draws);
  }
}

TEST_CASE("TruncationSelection draws uniformly from the best ceil(fraction n)") {
  struct Case {
    double fraction;
    Index n;
    Index breeders;
  };
  // 0.28 * 25 is 7.000000000000001 in double: ceil must still give 7, not 8.
  for (const Case c :
       {Case{0.35, 10, 4}, Case{0.28, 25, 7}, Case{1.0, 7, 7}, Case{0.01, 9, 1}, Case{0.5, 1, 1}}) {
    CAPTURE(c.fraction);
    CAPTURE(c.n);
    TruncationSelection selection(c.fraction);
    selection.prepare(Scores::LinSpaced(c.n, 10.0, 0.0));
    CHECK(selection.breeders() == c.breeders);
    std::vector<double> expected(static_cast<std::size_t>(c.n), 0.0);
    for (Index i = 0; i < c.breeders; ++i) {
      expected[static_cast<std::size_t>(i)] = 1.0 / static_cast<double>(c.breeders);
    }
    constexpr std::uint64_t draws = 40'000;
    check_frequencies(frequencies(selection, c.n, draws, 77), expected, draws);
  }
}

// --- one battery for every Selection policy (Boost.Random's conformance-suite approach) ---------

TEST_CASE_TEMPLATE("Selection conformance: draws stay in range after every prepare", S,
                   BoltzmannSelection, TournamentSelection, TruncationSelection) {
  static_assert(xdream::Selection<S>);
  S selection;
  Engine rng(99);
  // Growing then shrinking: a policy keeping state from an earlier prepare would overrun.
  for (Index n : {1, 2, 7, 20, 3, 1}) {
    CAPTURE(n);
    selection.prepare(Scores::LinSpaced(n, 1.0, -1.0));
    int out_of_range = 0;
    for (int k = 0; k < 2000; ++k) {
      const Index i = selection.draw(rng);
      out_of_range += (i < 0 || i >= n) ? 1 : 0;
    }
    CHECK(out_of_range == 0);
  }
}

TEST_CASE_TEMPLATE("Selection conformance: draw is const and determined by the engine", S,
                   BoltzmannSelection, TournamentSelection, TruncationSelection) {
  S selection;
  selection.prepare(Scores::LinSpaced(12, 5.0, -5.0));
  const S& view = selection;  // draw must be callable on a const policy (threads share it)
  const S copy = selection;   // and a copy must draw the same
  Engine first(31);
  Engine second(31);
  int differ = 0;
  for (int k = 0; k < 1000; ++k) differ += view.draw(first) != copy.draw(second) ? 1 : 0;
  CHECK(differ == 0);
  // Different engines must not give the same sequence (the engine is actually used).
  Engine third(32);
  Engine fourth(33);
  int equal = 0;
  for (int k = 0; k < 1000; ++k) equal += view.draw(third) == view.draw(fourth) ? 1 : 0;
  CHECK(equal < 1000);
}

TEST_CASE_TEMPLATE("Selection conformance: better scores are favoured", S, BoltzmannSelection,
                   TournamentSelection, TruncationSelection) {
  // Every policy with its default parameters prefers the top: the mean drawn rank lies below
  // the uniform mean (n - 1) / 2 by more than z standard errors of a uniform mean rank.
  const Index n = 11;
  S selection;
  selection.prepare(Scores::LinSpaced(n, 10.0, 0.0));
  constexpr std::uint64_t draws = 20'000;
  Engine rng(8);
  double sum = 0.0;
  for (std::uint64_t k = 0; k < draws; ++k) sum += static_cast<double>(selection.draw(rng));
  const double mean_rank = sum / static_cast<double>(draws);
  const double uniform_sd = std::sqrt((static_cast<double>(n * n) - 1.0) / 12.0);
  CHECK(mean_rank < (n - 1) / 2.0 - xdream_test::z * xdream_test::mean_se(uniform_sd, draws));
}

// --- parameter errors ---------------------------------------------------------------------------

TEST_CASE("BoltzmannSelection rejects a selectivity that is not finite and positive") {
  for (double bad : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity()}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(BoltzmannSelection{bad}, doctest::Contains("selectivity"),
                         std::invalid_argument);
  }
  CHECK_NOTHROW(BoltzmannSelection{1e-6});
}

TEST_CASE("TruncationSelection rejects a fraction of 0 or less or above 1") {
  for (double bad : {0.0, -0.25, 1.0000001, 2.0, std::numeric_limits<double>::quiet_NaN()}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(TruncationSelection{bad}, doctest::Contains("fraction"),
                         std::invalid_argument);
  }
  CHECK_NOTHROW(TruncationSelection{1.0});
}

TEST_CASE("TournamentSelection rejects a size below 1") {
  for (int bad : {0, -3}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(TournamentSelection{bad}, doctest::Contains("size"),
                         std::invalid_argument);
  }
  CHECK_NOTHROW(TournamentSelection{1});
}
}  // namespace
