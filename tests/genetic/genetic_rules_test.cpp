// The GA's crossover and mutation rules observed through Genetic::tell on a fixed score vector
// (the policy classes are tested alone elsewhere; this checks that Genetic wires them as the
// paper does: parent 1 = the first parent drawn, recorded in the lineage; children mutated).
#include <xdream/genetic/genetic.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <map>

namespace {
// Column of each individual of a population, by id.
std::map<std::uint32_t, xdream::Index> columns_by_serial(const std::vector<xdream::Lineage>& l) {
  std::map<std::uint32_t, xdream::Index> out;
  for (std::size_t i = 0; i < l.size(); ++i) out[l[i].id.serial] = static_cast<xdream::Index>(i);
  return out;
}
}  // namespace

TEST_CASE("Genetic: a child takes the recorded parent 1's gene with frequency = heritability") {
  const xdream::Index d = 256, n = 10;
  const xdream::Scores scores = xdream::Scores::LinSpaced(n, 0.0, 1.0);
  long from_parent1 = 0, decided = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    xdream::Genetic<> ga(d, {.population_size = n, .seed = seed}, xdream::BoltzmannSelection(2.0),
                         xdream::HeritabilityCrossover(0.75),
                         xdream::GaussianMutation(0.0, 0.5));  // no mutation: genes are traceable
    const xdream::Population before = ga.ask();
    const auto column = columns_by_serial(ga.lineage());
    ga.tell(scores);
    for (xdream::Index c = 0; c < n; ++c) {
      const xdream::Lineage& child = ga.lineage()[static_cast<std::size_t>(c)];
      REQUIRE(child.origin == xdream::Origin::child);
      if (child.parent1 == child.parent2) continue;  // no information in a self-cross
      const auto p1 = before.col(column.at(child.parent1.serial));
      const auto p2 = before.col(column.at(child.parent2.serial));
      for (xdream::Index g = 0; g < d; ++g) {
        const float gene = ga.ask()(g, c);
        REQUIRE((gene == p1[g] || gene == p2[g]));
        if (p1[g] == p2[g]) continue;
        ++decided;
        from_parent1 += gene == p1[g];
      }
    }
  }
  REQUIRE(decided > 10000);
  const double share = static_cast<double>(from_parent1) / static_cast<double>(decided);
  CHECK(std::abs(share - 0.75) <= 5.0 * std::sqrt(0.75 * 0.25 / static_cast<double>(decided)));
}

TEST_CASE("Genetic: children are mutated gene by gene at the rate, with the size as std") {
  // All initial codes equal: every child before mutation equals that code, so child - code is
  // exactly the mutation.
  const xdream::Index d = 512, n = 10;
  const double rate = 0.3, size = 0.7;
  const xdream::Population same = xdream::Population::Constant(d, n, 2.0f);
  xdream::Genetic<> ga(same, {.population_size = n, .seed = 5}, xdream::BoltzmannSelection(2.0),
                       xdream::HeritabilityCrossover(0.5), xdream::GaussianMutation(rate, size));
  ga.tell(xdream::Scores::LinSpaced(n, 0.0, 1.0));
  long hits = 0;
  double sum_sq = 0.0;
  const xdream::Population steps = ga.ask().array() - 2.0f;
  for (xdream::Index k = 0; k < steps.size(); ++k) {
    if (steps.data()[k] == 0.0f) continue;
    ++hits;
    sum_sq += static_cast<double>(steps.data()[k]) * steps.data()[k];
  }
  const double trials = static_cast<double>(d * n);
  CHECK(std::abs(hits / trials - rate) <= 5.0 * std::sqrt(rate * (1 - rate) / trials));
  // The variance estimate of hits normal steps has relative std sqrt(2 / hits).
  const double variance = sum_sq / static_cast<double>(hits);
  CHECK(std::abs(variance / (size * size) - 1.0) <= 5.0 * std::sqrt(2.0 / hits));
}

// --- parity with XDream's published code on the two rules where a choice had to be made ---------

TEST_CASE("Genetic: among tied top scores, TieOrder::first conserves the first, ::last the last") {
  const xdream::Index d = 4, n = 6;
  // Columns 1, 3 and 4 share the top score.
  const xdream::Scores scores{{0.0, 5.0, 1.0, 5.0, 5.0, 2.0}};
  for (const auto& [order, expected] : {std::pair{xdream::TieOrder::first, xdream::Index{1}},
                                        std::pair{xdream::TieOrder::last, xdream::Index{4}}}) {
    xdream::Genetic<> ga(d, {.population_size = n, .n_conserve = 1, .seed = 3, .tie_order = order});
    const xdream::Population before = ga.ask();
    ga.tell(scores);
    CHECK(ga.lineage()[0].origin == xdream::Origin::conserved);
    CHECK(ga.ask().col(0) == before.col(expected));
  }
}

TEST_CASE("BoltzmannSelection: an underflowed fitness is never picked, or XDream's smallest one") {
  // With selectivity 2000, kT = std / 2000, and the outlier's fitness exp(-(10 + 1e4) / kT)
  // underflows to 0.
  xdream::Scores sorted = xdream::Scores::Constant(20, 10.0);
  sorted[19] = -1e4;
  xdream::BoltzmannSelection never(2000.0);
  xdream::BoltzmannSelection xdream_rule(2000.0, xdream::FitnessUnderflow::smallest_positive);
  never.prepare(sorted);
  xdream_rule.prepare(sorted);
  CHECK(never.probabilities()[19] == 0.0);
  // Every other fitness is exp(0) = 1: the outlier gets 1 too, so 1/20 each.
  CHECK(xdream_rule.probabilities()[19] == doctest::Approx(1.0 / 20.0));
  xdream::Engine rng(5);
  long picked_never = 0, picked_xdream = 0;
  const long draws = 20000;
  for (long k = 0; k < draws; ++k) {
    picked_never += never.draw(rng) == 19;
    picked_xdream += xdream_rule.draw(rng) == 19;
  }
  CHECK(picked_never == 0);
  // Binomial(20000, 1/20): mean 1000, std 30.8; 5 std either side.
  CHECK(std::abs(static_cast<double>(picked_xdream) - 1000.0) < 5.0 * 30.8);
}
