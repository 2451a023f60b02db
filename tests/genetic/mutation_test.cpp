// Mutation policies (include/xdream/genetic/mutation/): which genes are hit, the law of what is
// added, the reported change flag, AnnealedMutation's schedule, and parameter errors.
#include <xdream/concepts.hpp>
#include <xdream/genetic/mutation/annealed.hpp>
#include <xdream/genetic/mutation/gaussian.hpp>

#include <doctest/doctest.h>

#include "../support/statistics.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace {
using xdream::AnnealedMutation;
using xdream::Code;
using xdream::Engine;
using xdream::GaussianMutation;
using xdream::Index;
using xdream_test::binomial_se;
using xdream_test::z;

static_assert(xdream::Mutation<GaussianMutation>);
static_assert(xdream::Mutation<AnnealedMutation>);

// P(|X| < sigma) for a normal X: erf(1 / sqrt(2)).
const double within_one_sigma = std::erf(1.0 / std::sqrt(2.0));

// Pools what `mutation` adds to many children that start at `start`.
template <class M>
std::vector<double> added_values(const M& mutation, Index n, int trials, float start,
                                 std::uint64_t seed) {
  std::vector<double> added;
  Engine rng(seed);
  Code child(n);
  for (int t = 0; t < trials; ++t) {
    child.setConstant(start);
    mutation.mutate(child, rng);
    for (Index i = 0; i < n; ++i) {
      if (child[i] != start) added.push_back(static_cast<double>(child[i]) - start);
    }
  }
  return added;
}

// Checks that `added` looks like m draws of N(0, size^2): mean, variance (chi-square law) and the
// share within one std (a shape check a non-normal law with the right variance fails).
void check_normal(const std::vector<double>& added, double size) {
  xdream_test::RunningMoments m;
  std::uint64_t inside = 0;
  for (double x : added) {
    m.add(x);
    inside += std::abs(x) < size ? 1 : 0;
  }
  const auto n = static_cast<std::uint64_t>(added.size());
  REQUIRE(n > 1000);
  CHECK(std::abs(m.mean) <= z * xdream_test::mean_se(size, n));
  CHECK(std::abs(m.variance() - size * size) <= z * xdream_test::normal_variance_se(size, n));
  const double share = static_cast<double>(inside) / static_cast<double>(n);
  CHECK(std::abs(share - within_one_sigma) <= z * binomial_se(within_one_sigma, n));
}

TEST_CASE("GaussianMutation hits each gene with probability rate") {
  const Index n = 64;
  const int trials = 2000;
  for (double rate : {0.1, 0.5, 0.9}) {
    CAPTURE(rate);
    const GaussianMutation mutation(rate, 0.5);
    Engine rng(101);
    Code child(n);
    std::uint64_t hits = 0;
    std::uint64_t pair_hits = 0;
    for (int t = 0; t < trials; ++t) {
      child.setZero();
      mutation.mutate(child, rng);
      for (Index i = 0; i < n; ++i) hits += child[i] != 0.0f ? 1 : 0;
      for (Index j = 0; j + 1 < n; j += 2) pair_hits += (child[j] != 0.0f && child[j + 1] != 0.0f);
    }
    const auto genes = static_cast<std::uint64_t>(n) * trials;
    CHECK(std::abs(static_cast<double>(hits) / genes - rate) <= z * binomial_se(rate, genes));
    // Neighbours are lanes of one 64-gene mask: they must still be independent.
    const auto pairs = static_cast<std::uint64_t>(n / 2) * trials;
    CHECK(std::abs(static_cast<double>(pair_hits) / pairs - rate * rate) <=
          z * binomial_se(rate * rate, pairs));
  }
}

TEST_CASE("GaussianMutation gives the last gene of an odd-sized code the same rate") {
  const double rate = 0.3;
  const GaussianMutation mutation(rate, 1.0);
  const int trials = 20'000;
  for (Index n : {1, 3}) {
    CAPTURE(n);
    Engine rng(202);
    Code child(n);
    std::vector<double> hits(static_cast<std::size_t>(n), 0.0);
    for (int t = 0; t < trials; ++t) {
      child.setZero();
      mutation.mutate(child, rng);
      for (Index i = 0; i < n; ++i) hits[static_cast<std::size_t>(i)] += child[i] != 0.0f;
    }
    for (Index i = 0; i < n; ++i) {
      CAPTURE(i);
      CHECK(std::abs(hits[static_cast<std::size_t>(i)] / trials - rate) <=
            z * binomial_se(rate, trials));
    }
  }
}

TEST_CASE("GaussianMutation adds N(0 size^2) to the gene it hits") {
  // Children start at 100, not 0: a mutation that replaced the gene instead of adding to it
  // would give values near 0 - 100.
  for (double size : {0.5, 1.5}) {
    CAPTURE(size);
    const GaussianMutation mutation(0.5, size);
    check_normal(added_values(mutation, 32, 1000, 100.0f, 303), size);
  }
}

TEST_CASE("GaussianMutation with rate 0 changes nothing and reports no change") {
  const GaussianMutation mutation(0.0, 2.0);
  Engine rng(4);
  const Code start = Code::LinSpaced(17, -1.0f, 1.0f);
  Code child = start;
  int reported = 0;
  for (int t = 0; t < 500; ++t) reported += mutation.mutate(child, rng) ? 1 : 0;
  CHECK(reported == 0);
  CHECK(child == start);
}

TEST_CASE("GaussianMutation with rate 1 changes every gene") {
  const GaussianMutation mutation(1.0, 0.5);
  Engine rng(5);
  for (Index n : {1, 2, 7, 64}) {
    CAPTURE(n);
    int unchanged = 0;
    for (int t = 0; t < 200; ++t) {
      const Code start = Code::Zero(n);
      Code child = start;
      CHECK(mutation.mutate(child, rng));
      for (Index i = 0; i < n; ++i) unchanged += child[i] == start[i] ? 1 : 0;
    }
    CHECK(unchanged == 0);
  }
}

TEST_CASE("GaussianMutation reports a change exactly when the child changed") {
  // Rate 0.1 over 8 genes: no gene is hit with probability 0.9^8 = 0.43, so both outcomes occur.
  const GaussianMutation mutation(0.1, 0.5);
  Engine rng(6);
  int agree = 0;
  int changed = 0;
  const int trials = 2000;
  for (int t = 0; t < trials; ++t) {
    const Code start = Code::LinSpaced(8, 0.0f, 7.0f);
    Code child = start;
    const bool reported = mutation.mutate(child, rng);
    const bool differs = child != start;
    agree += reported == differs ? 1 : 0;
    changed += differs ? 1 : 0;
  }
  CHECK(agree == trials);
  const double p_change = 1.0 - std::pow(0.9, 8);
  CHECK(std::abs(static_cast<double>(changed) / trials - p_change) <=
        z * binomial_se(p_change, trials));
}

TEST_CASE("GaussianMutation of size 0 changes nothing and reports no change") {
  // Size 0 is allowed (range [0, inf)); every gene is hit but N(0, 0) adds exactly 0. The
  // contract of mutate is "whether any gene changed", which the genealogy prints as +mut.
  const GaussianMutation mutation(1.0, 0.0);
  Engine rng(7);
  const Code start = Code::LinSpaced(9, -2.0f, 2.0f);
  Code child = start;
  CHECK_FALSE(mutation.mutate(child, rng));
  CHECK(child == start);
}

TEST_CASE("AnnealedMutation shrinks its size geometrically from initial to final") {
  AnnealedMutation mutation(0.5, 2.0, 0.02, 10);
  CHECK(mutation.size() == 2.0);
  mutation.advance(0);
  CHECK(mutation.size() == doctest::Approx(2.0));
  mutation.advance(5);  // halfway: the geometric mean sqrt(2 * 0.02) = 0.2
  CHECK(mutation.size() == doctest::Approx(0.2));
  mutation.advance(10);
  CHECK(mutation.size() == doctest::Approx(0.02));
  mutation.advance(1000);  // held at the final size after the schedule
  CHECK(mutation.size() == doctest::Approx(0.02));
  // Each step divides the size by the same factor (0.02 / 2)^(1/10).
  const double ratio = std::pow(0.01, 0.1);
  for (std::size_t g = 1; g <= 10; ++g) {
    mutation.advance(g - 1);
    const double before = mutation.size();
    mutation.advance(g);
    CHECK(mutation.size() / before == doctest::Approx(ratio));
  }
}

TEST_CASE("AnnealedMutation mutates with its current size") {
  AnnealedMutation mutation(1.0, 3.0, 0.3, 4);
  check_normal(added_values(mutation, 32, 200, 0.0f, 404), 3.0);
  mutation.advance(4);
  check_normal(added_values(mutation, 32, 200, 0.0f, 405), 0.3);
}

// --- parameter errors ---------------------------------------------------------------------------

TEST_CASE("GaussianMutation rejects a rate outside 0 to 1 and a negative size") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (double bad : {-0.1, 1.5, nan}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(GaussianMutation(bad, 0.5), doctest::Contains("rate"),
                         std::invalid_argument);
  }
  for (double bad : {-1.0, nan, std::numeric_limits<double>::infinity()}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(GaussianMutation(0.5, bad), doctest::Contains("size"),
                         std::invalid_argument);
  }
  CHECK_NOTHROW(GaussianMutation(0.0, 0.0));
  CHECK_NOTHROW(GaussianMutation(1.0, 10.0));
}

TEST_CASE("AnnealedMutation names the parameter it rejects") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH_AS(AnnealedMutation(1.5, 1.0, 0.1, 10), doctest::Contains("rate"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(AnnealedMutation(0.5, -1.0, 0.1, 10), doctest::Contains("initial_size"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(AnnealedMutation(0.5, 0.0, 0.1, 10), doctest::Contains("initial_size"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(AnnealedMutation(0.5, 1.0, 0.0, 10), doctest::Contains("final_size"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(AnnealedMutation(0.5, 1.0, nan, 10), doctest::Contains("final_size"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(AnnealedMutation(0.5, 1.0, 0.1, 0), doctest::Contains("generations"),
                       std::invalid_argument);
}
}  // namespace
