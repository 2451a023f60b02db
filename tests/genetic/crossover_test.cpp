// Crossover policies (include/xdream/genetic/crossover/): the gene-source law of each, one
// conformance battery shared by all of them, and their parameter errors.
#include <xdream/concepts.hpp>
#include <xdream/genetic/crossover/blend.hpp>
#include <xdream/genetic/crossover/heritability.hpp>
#include <xdream/genetic/crossover/one_point.hpp>

#include <doctest/doctest.h>

#include "../support/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace {
using xdream::BlendCrossover;
using xdream::Code;
using xdream::Engine;
using xdream::HeritabilityCrossover;
using xdream::Index;
using xdream::OnePointCrossover;
using xdream::Population;
using xdream_test::binomial_se;
using xdream_test::z;

// Parents whose genes are all distinct, so a child's gene tells where it came from.
Code parent_one(Index n) { return Code::LinSpaced(n, 1.0f, static_cast<float>(n)); }
Code parent_two(Index n) { return -parent_one(n); }

// Per-position frequency of genes from parent 1, and of adjacent pairs (2j, 2j + 1) both from
// parent 1, over `trials` crossovers.
struct SourceCounts {
  std::vector<double> from_first;
  std::vector<double> pair_from_first;
  bool every_gene_from_a_parent = true;
};

SourceCounts count_sources(const HeritabilityCrossover& crossover, Index n, int trials,
                           std::uint64_t seed) {
  const Code a = parent_one(n);
  const Code b = parent_two(n);
  Code child(n);
  Engine rng(seed);
  SourceCounts counts;
  counts.from_first.assign(static_cast<std::size_t>(n), 0.0);
  counts.pair_from_first.assign(static_cast<std::size_t>(n / 2), 0.0);
  for (int t = 0; t < trials; ++t) {
    crossover.cross(a, b, child, rng);
    for (Index i = 0; i < n; ++i) {
      const bool first = child[i] == a[i];
      if (!first && child[i] != b[i]) counts.every_gene_from_a_parent = false;
      counts.from_first[static_cast<std::size_t>(i)] += first ? 1.0 : 0.0;
    }
    for (Index j = 0; j + 1 < n; j += 2) {
      const bool both = child[j] == a[j] && child[j + 1] == a[j + 1];
      counts.pair_from_first[static_cast<std::size_t>(j / 2)] += both ? 1.0 : 0.0;
    }
  }
  for (double& c : counts.from_first) c /= trials;
  for (double& c : counts.pair_from_first) c /= trials;
  return counts;
}

TEST_CASE("HeritabilityCrossover takes parent 1's gene with probability heritability") {
  const Index n = 64;
  const int trials = 2000;
  for (double h : {0.5, 0.75, 0.9}) {
    CAPTURE(h);
    const HeritabilityCrossover crossover(h);
    CHECK(crossover.heritability() == h);
    const SourceCounts counts = count_sources(crossover, n, trials, 17);
    CHECK(counts.every_gene_from_a_parent);
    // All genes pooled: n * trials Bernoulli(h) decisions.
    double pooled = 0.0;
    for (double f : counts.from_first) pooled += f;
    pooled /= static_cast<double>(n);
    const auto decisions = static_cast<std::uint64_t>(n) * trials;
    CHECK(std::abs(pooled - h) <= z * binomial_se(h, decisions));
    // Decisions are independent: a pair of neighbours (lanes of one 64-gene mask)
    // both come from parent 1 with probability h^2.
    double pairs = 0.0;
    for (double f : counts.pair_from_first) pairs += f;
    pairs /= static_cast<double>(counts.pair_from_first.size());
    const auto pair_trials = static_cast<std::uint64_t>(n / 2) * trials;
    CHECK(std::abs(pairs - h * h) <= z * binomial_se(h * h, pair_trials));
  }
}

TEST_CASE("HeritabilityCrossover mirrors a heritability below 0.5") {
  const HeritabilityCrossover crossover(0.25);
  CHECK(crossover.heritability() == 0.75);
  const Index n = 64;
  const int trials = 2000;
  const SourceCounts counts = count_sources(crossover, n, trials, 23);
  double pooled = 0.0;
  for (double f : counts.from_first) pooled += f;
  pooled /= static_cast<double>(n);
  CHECK(std::abs(pooled - 0.75) <= z * binomial_se(0.75, static_cast<std::uint64_t>(n) * trials));
}

TEST_CASE("HeritabilityCrossover with heritability 0 or 1 copies parent 1 exactly") {
  // 1 always takes parent 1; 0 is mirrored to 1.
  for (double h : {0.0, 1.0}) {
    CAPTURE(h);
    const HeritabilityCrossover crossover(h);
    CHECK(crossover.heritability() == 1.0);
    for (Index n : {1, 3, 64}) {
      const SourceCounts counts = count_sources(crossover, n, 500, 5);
      for (double f : counts.from_first) CHECK(f == 1.0);
    }
  }
}

TEST_CASE("HeritabilityCrossover gives every position of an odd-sized code the same law") {
  // The last gene of an odd code is decided by its own draw: it must follow h like the others.
  const double h = 0.75;
  const HeritabilityCrossover crossover(h);
  const int trials = 20'000;
  for (Index n : {1, 3}) {
    CAPTURE(n);
    const SourceCounts counts = count_sources(crossover, n, trials, 41);
    CHECK(counts.every_gene_from_a_parent);
    for (std::size_t i = 0; i < counts.from_first.size(); ++i) {
      CAPTURE(i);
      CHECK(std::abs(counts.from_first[i] - h) <= z * binomial_se(h, trials));
    }
  }
}

TEST_CASE("OnePointCrossover joins a prefix of parent 1 to a suffix of parent 2 at a uniform cut") {
  for (Index n : {2, 3, 8}) {
    CAPTURE(n);
    const Code a = parent_one(n);
    const Code b = parent_two(n);
    Code child(n);
    Engine rng(1234);
    const OnePointCrossover crossover;
    const int trials = 30'000;
    std::vector<double> cuts(static_cast<std::size_t>(n), 0.0);
    int malformed = 0;
    for (int t = 0; t < trials; ++t) {
      crossover.cross(a, b, child, rng);
      Index cut = 0;
      while (cut < n && child[cut] == a[cut]) ++cut;
      bool suffix = true;
      for (Index i = cut; i < n; ++i) suffix = suffix && child[i] == b[i];
      if (!suffix || cut < 1 || cut > n - 1) {
        ++malformed;
      } else {
        cuts[static_cast<std::size_t>(cut)] += 1.0;
      }
    }
    CHECK(malformed == 0);
    const double p = 1.0 / static_cast<double>(n - 1);  // cut uniform on 1 ... n - 1
    for (Index k = 1; k < n; ++k) {
      CAPTURE(k);
      CHECK(std::abs(cuts[static_cast<std::size_t>(k)] / trials - p) <= z * binomial_se(p, trials));
    }
  }
}

TEST_CASE("OnePointCrossover of a one-gene code is parent 1") {
  const Code a = Code::Constant(1, 2.5f);
  const Code b = Code::Constant(1, -7.0f);
  Code child(1);
  Engine rng(3);
  for (int t = 0; t < 100; ++t) {
    OnePointCrossover{}.cross(a, b, child, rng);
    REQUIRE(child[0] == 2.5f);
  }
}

TEST_CASE("BlendCrossover draws each gene uniformly from the extended parents' interval") {
  // Genes with parent 1 above, below and level with parent 2; n = 5 (odd) on purpose.
  Code a(5);
  Code b(5);
  a << 1.0f, -2.0f, 0.5f, 3.0f, 10.0f;
  b << -1.0f, 2.0f, 0.5f, 3.5f, 4.0f;
  for (double alpha : {0.0, 0.5, 1.0}) {
    CAPTURE(alpha);
    const BlendCrossover crossover(alpha);
    const int trials = 20'000;
    std::vector<xdream_test::RunningMoments> moments(5);
    int outside = 0;
    Code child(5);
    Engine rng(777);
    for (int t = 0; t < trials; ++t) {
      crossover.cross(a, b, child, rng);
      for (Index i = 0; i < 5; ++i) {
        const double lo = std::min(a[i], b[i]);
        const double hi = std::max(a[i], b[i]);
        const double d = hi - lo;
        // float arithmetic: allow one float ulp of the interval's ends
        const double slack = 1e-6 * (std::abs(lo) + std::abs(hi) + d);
        if (child[i] < lo - alpha * d - slack || child[i] > hi + alpha * d + slack) ++outside;
        moments[static_cast<std::size_t>(i)].add(child[i]);
      }
    }
    CHECK(outside == 0);
    for (Index i = 0; i < 5; ++i) {
      CAPTURE(i);
      const double lo = std::min(a[i], b[i]);
      const double hi = std::max(a[i], b[i]);
      const double width = (1.0 + 2.0 * alpha) * (hi - lo);
      const auto& m = moments[static_cast<std::size_t>(i)];
      if (width == 0.0) {
        CHECK(m.mean == doctest::Approx(lo));
        CHECK(m.variance() == 0.0);
        continue;
      }
      // Uniform of width w: mean (lo + hi) / 2, variance w^2 / 12, fourth moment w^4 / 80.
      const double variance = width * width / 12.0;
      CHECK(std::abs(m.mean - (lo + hi) / 2.0) <=
            z * xdream_test::mean_se(std::sqrt(variance), trials));
      CHECK(std::abs(m.variance() - variance) <=
            z * xdream_test::variance_se(variance, std::pow(width, 4) / 80.0, trials));
    }
  }
}

// --- one battery for every Crossover policy -----------------------------------------------------

TEST_CASE_TEMPLATE("Crossover conformance: identical parents give that parent", C,
                   HeritabilityCrossover, OnePointCrossover, BlendCrossover) {
  static_assert(xdream::Crossover<C>);
  const C crossover;
  Engine rng(6);
  for (Index n : {1, 2, 3, 8, 33}) {
    CAPTURE(n);
    const Code parent = Code::LinSpaced(n, -3.0f, 4.0f);
    Code child = Code::Constant(n, 99.0f);
    for (int t = 0; t < 20; ++t) {
      crossover.cross(parent, parent, child, rng);
      CHECK(child == parent);
    }
  }
}

TEST_CASE_TEMPLATE("Crossover conformance: writes only the child column and reads the parents", C,
                   HeritabilityCrossover, OnePointCrossover, BlendCrossover) {
  // The parents and child are columns of one population, as in Genetic: the neighbours of the
  // child's column must be left alone and the parents unchanged, at every odd and even size.
  const C crossover;
  Engine rng(10);
  for (Index n : {1, 2, 3, 5, 16}) {
    CAPTURE(n);
    Population block(n, 4);
    block.col(0) = parent_one(n);
    block.col(1) = Code::Constant(n, 123.0f);  // sentinel before the child
    block.col(3) = parent_two(n);
    const Population before = block;
    for (int t = 0; t < 50; ++t) {
      crossover.cross(block.col(0), block.col(3), block.col(2), rng);
      CHECK(block.col(0) == before.col(0));
      CHECK(block.col(1) == before.col(1));
      CHECK(block.col(3) == before.col(3));
      CHECK(block.col(2).allFinite());
    }
  }
}

TEST_CASE_TEMPLATE("Crossover conformance: the child is determined by the engine", C,
                   HeritabilityCrossover, OnePointCrossover, BlendCrossover) {
  const C crossover;
  const C copy = crossover;
  const Index n = 9;
  Code first(n);
  Code second(n);
  Engine rng1(55);
  Engine rng2(55);
  bool varies = false;
  Code previous = Code::Zero(n);
  for (int t = 0; t < 50; ++t) {
    crossover.cross(parent_one(n), parent_two(n), first, rng1);
    copy.cross(parent_one(n), parent_two(n), second, rng2);
    CHECK(first == second);
    varies = varies || (t > 0 && first != previous);
    previous = first;
  }
  CHECK(varies);  // the engine is used: successive children differ
}

// --- parameter errors ---------------------------------------------------------------------------

TEST_CASE("HeritabilityCrossover rejects a heritability outside 0 to 1") {
  for (double bad : {-0.1, 1.1, std::numeric_limits<double>::quiet_NaN()}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(HeritabilityCrossover{bad}, doctest::Contains("heritability"),
                         std::invalid_argument);
  }
}

TEST_CASE("BlendCrossover rejects a negative or NaN alpha") {
  for (double bad :
       {-0.5, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(BlendCrossover{bad}, doctest::Contains("alpha"), std::invalid_argument);
  }
  CHECK_NOTHROW(BlendCrossover{0.0});
}
}  // namespace
