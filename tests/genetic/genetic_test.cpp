// XDream's genetic algorithm (include/xdream/genetic/genetic.hpp, presets.hpp): the published
// code's rules end to end, with hand-picked scores; genealogy; reproducibility (seed,
// threads, checkpoint); the statistics of parent choice; the published presets.
#include <xdream/concepts.hpp>
#include <xdream/genetic/crossover/one_point.hpp>
#include <xdream/genetic/genetic.hpp>
#include <xdream/genetic/mutation/annealed.hpp>
#include <xdream/genetic/presets.hpp>
#include <xdream/genetic/selection/tournament.hpp>
#include <xdream/objectives/sphere.hpp>

#include <doctest/doctest.h>

#include "../support/algorithm_runs.hpp"
#include "../support/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

namespace {
using xdream::BoltzmannSelection;
using xdream::Code;
using xdream::GaussianMutation;
using xdream::Genetic;
using xdream::GeneticOptions;
using xdream::HeritabilityCrossover;
using xdream::Index;
using xdream::IndividualId;
using xdream::Lineage;
using xdream::Origin;
using xdream::Population;
using xdream::Scores;
using xdream_test::binomial_se;
using xdream_test::z;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

GeneticOptions options(Index population, Index conserve = 0, std::uint64_t seed = 0,
                       int threads = 1) {
  return GeneticOptions{population, conserve, seed, threads};
}

// Scores written inline (the name `scores` is left to the local variables).
Scores scores_of(std::initializer_list<double> values) { return xdream_test::scores(values); }

// Drives a GA for `generations` on the sphere (deterministic scores of the codes).
template <class GA>
void evolve(GA& ga, int generations) {
  const xdream::Sphere sphere(ga.code_size());
  for (int g = 0; g < generations; ++g) ga.tell(sphere.evaluate(ga.ask()));
}

std::vector<std::string> genealogy(const std::vector<Lineage>& lineage) {
  std::vector<std::string> text;
  for (const Lineage& l : lineage) text.push_back(l.to_string());
  return text;
}

bool same_id(const IndividualId& a, const IndividualId& b) { return a == b; }

// --- the rules of one generation ----------------------------------------------------------------

TEST_CASE("Genetic copies the n_conserve best bit-exactly into the first slots with their ids") {
  Genetic<> ga(16, options(8, 3, 1));
  const Population before = ga.ask();
  const std::vector<Lineage> ids_before = ga.lineage();
  // Best three: individual 4 (7.0), 1 (3.0), 7 (2.5), in that order.
  ga.tell(scores_of({0.5, 3.0, -1.0, 2.0, 7.0, 0.0, 1.0, 2.5}));
  const Population& after = ga.ask();
  const std::vector<Lineage>& ids = ga.lineage();
  const Index elites[] = {4, 1, 7};
  for (Index slot = 0; slot < 3; ++slot) {
    CAPTURE(slot);
    const Index from = elites[slot];
    CHECK(after.col(slot) == before.col(from));
    CHECK(same_id(ids[static_cast<std::size_t>(slot)].id,
                  ids_before[static_cast<std::size_t>(from)].id));
    CHECK(ids[static_cast<std::size_t>(slot)].origin == Origin::conserved);
    CHECK_FALSE(ids[static_cast<std::size_t>(slot)].mutated);
  }
  for (std::size_t slot = 3; slot < 8; ++slot) {
    CAPTURE(slot);
    CHECK(ids[slot].origin == Origin::child);
    CHECK(ids[slot].id.generation == 1);
  }
}

TEST_CASE("Genetic carries NaN-scored individuals unchanged into the last slots with their ids") {
  Genetic<> ga(12, options(8, 1, 2));
  const Population before = ga.ask();
  const std::vector<Lineage> ids_before = ga.lineage();
  ga.tell(scores_of({1.0, 2.0, nan, 0.5, -1.0, nan, 3.0, 0.0}));
  const Population& after = ga.ask();
  const std::vector<Lineage>& ids = ga.lineage();
  // Elite first (individual 6), then 5 children, then 2 and 5 in population order.
  CHECK(after.col(0) == before.col(6));
  CHECK(after.col(6) == before.col(2));
  CHECK(after.col(7) == before.col(5));
  CHECK(same_id(ids[6].id, ids_before[2].id));
  CHECK(same_id(ids[7].id, ids_before[5].id));
  CHECK(ids[6].origin == Origin::carried);
  CHECK(ids[7].origin == Origin::carried);
  for (std::size_t slot = 1; slot < 6; ++slot) {
    CAPTURE(slot);
    CHECK(ids[slot].origin == Origin::child);
    // An individual without a score cannot be a parent.
    for (const IndividualId& parent : {ids[slot].parent1, ids[slot].parent2}) {
      CHECK_FALSE(same_id(parent, ids_before[2].id));
      CHECK_FALSE(same_id(parent, ids_before[5].id));
    }
  }
}

TEST_CASE("Genetic conserves no more elites than there are valid scores") {
  Genetic<> ga(4, options(6, 4, 3));
  const Population before = ga.ask();
  ga.tell(scores_of({nan, 1.0, nan, nan, 2.0, nan}));
  const Population& after = ga.ask();
  // Two elites (4 then 1), no child, four carried in order 0, 2, 3, 5.
  const Index order[] = {4, 1, 0, 2, 3, 5};
  for (Index slot = 0; slot < 6; ++slot) CHECK(after.col(slot) == before.col(order[slot]));
  for (std::size_t slot = 0; slot < 2; ++slot)
    CHECK(ga.lineage()[slot].origin == Origin::conserved);
  for (std::size_t slot = 2; slot < 6; ++slot) CHECK(ga.lineage()[slot].origin == Origin::carried);
}

TEST_CASE("Genetic leaves the population unchanged after an all-NaN generation") {
  Genetic<> ga(10, options(5, 1, 4));
  evolve(ga, 2);
  const Population before = ga.ask();
  const std::vector<Lineage> ids_before = ga.lineage();
  ga.tell(Scores::Constant(5, nan));
  CHECK(ga.ask() == before);
  CHECK(ga.generation() == 3);
  for (std::size_t i = 0; i < 5; ++i) CHECK(same_id(ga.lineage()[i].id, ids_before[i].id));
  // And the run goes on afterwards.
  evolve(ga, 1);
  CHECK(ga.ask() != before);
}

TEST_CASE("Genetic children record their parents and mutate flag truthfully") {
  // A low mutation rate over 8 genes: children without any mutation are common (0.9^8 = 0.43),
  // so both kinds are checked. An unmutated child's genes all come from its recorded parents at
  // the same positions; a mutated child has a gene that neither parent has.
  Genetic<BoltzmannSelection, HeritabilityCrossover, GaussianMutation> ga(
      8, options(20, 2, 5), BoltzmannSelection(), HeritabilityCrossover(),
      GaussianMutation(0.1, 0.5));
  const xdream::Sphere sphere(8);
  int mutated = 0;
  int clean = 0;
  for (int g = 0; g < 10; ++g) {
    const Population parents = ga.ask();
    const std::vector<Lineage> parent_ids = ga.lineage();
    ga.tell(sphere.evaluate(parents));
    const auto column_of = [&](const IndividualId& id) -> Index {
      for (std::size_t i = 0; i < parent_ids.size(); ++i) {
        if (parent_ids[i].id == id) return static_cast<Index>(i);
      }
      return -1;
    };
    for (std::size_t slot = 2; slot < 20; ++slot) {
      const Lineage& child = ga.lineage()[slot];
      CAPTURE(g);
      CAPTURE(slot);
      REQUIRE(child.origin == Origin::child);
      CHECK(child.id.generation == ga.generation());
      const Index p1 = column_of(child.parent1);
      const Index p2 = column_of(child.parent2);
      REQUIRE(p1 >= 0);  // parents are individuals of the previous generation
      REQUIRE(p2 >= 0);
      bool from_parents = true;
      for (Index d = 0; d < 8; ++d) {
        const float gene = ga.ask()(d, static_cast<Index>(slot));
        from_parents = from_parents && (gene == parents(d, p1) || gene == parents(d, p2));
      }
      CHECK(child.mutated == !from_parents);
      const std::string expected = child.parent1.to_string() + "+" + child.parent2.to_string() +
                                   (child.mutated ? "+mut" : "");
      CHECK(child.to_string() == expected);
      (child.mutated ? mutated : clean) += 1;
    }
  }
  CHECK(mutated > 0);
  CHECK(clean > 0);
}

TEST_CASE("Genetic ids read like gen003_000061 and are unique across a run") {
  CHECK(IndividualId{3, 61}.to_string() == "gen003_000061");
  CHECK(IndividualId{0, 0}.to_string() == "gen000_000000");
  CHECK(IndividualId{1234, 1234567}.to_string() == "gen1234_1234567");
  Lineage child{{2, 50}, Origin::child, {2, 41}, {2, 47}, true};
  CHECK(child.to_string() == "gen002_000041+gen002_000047+mut");
  child.mutated = false;
  CHECK(child.to_string() == "gen002_000041+gen002_000047");

  // Population 20, no elites: generation g's children are serials 20 g ... 20 g + 19.
  Genetic<> plain(4, options(20, 0, 6));
  evolve(plain, 3);
  CHECK(plain.lineage()[1].id.to_string() == "gen003_000061");

  // With elites and NaN scores: every newborn gets a fresh serial, in a contiguous range per
  // generation; a conserved or carried individual keeps an id already seen.
  Genetic<> ga(4, options(10, 2, 7));
  std::set<std::uint32_t> seen;
  for (const Lineage& l : ga.lineage()) CHECK(seen.insert(l.id.serial).second);
  const xdream::Sphere sphere(4);
  for (int g = 1; g <= 20; ++g) {
    Scores s = sphere.evaluate(ga.ask());
    s[g % 10] = nan;  // one individual without a score each generation
    const std::uint32_t first_new = *seen.rbegin() + 1;
    ga.tell(s);
    std::vector<std::uint32_t> born;
    for (const Lineage& l : ga.lineage()) {
      if (l.origin == Origin::child) {
        born.push_back(l.id.serial);
        CHECK(seen.insert(l.id.serial).second);
      } else {
        CHECK(seen.count(l.id.serial) == 1);
      }
    }
    std::sort(born.begin(), born.end());
    REQUIRE(born.size() == 7);  // 10 - 2 elites - 1 carried
    for (std::size_t k = 0; k < born.size(); ++k) CHECK(born[k] == first_new + k);
  }
}

TEST_CASE("Genetic::tell rejects a wrong number of scores or an infinite score") {
  Genetic<> ga(6, options(5, 0, 8));
  const Population before = ga.ask();
  CHECK_THROWS_WITH_AS(ga.tell(Scores::Zero(4)), doctest::Contains("4 scores"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(ga.tell(Scores::Zero(6)), doctest::Contains("population of 5"),
                       std::invalid_argument);
  const double inf = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH_AS(ga.tell(scores_of({0, 1, inf, 2, 3})), doctest::Contains("infinite"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(ga.tell(scores_of({0, 1, 2, 3, -inf})), doctest::Contains("infinite"),
                       std::invalid_argument);
  // A rejected tell changes nothing.
  CHECK(ga.generation() == 0);
  CHECK(ga.ask() == before);
}

TEST_CASE("Genetic rejects every invalid setting at construction, naming it") {
  CHECK_THROWS_WITH_AS(Genetic<>(8, options(1)), doctest::Contains("population_size"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Genetic<>(8, options(0)), doctest::Contains("population_size"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Genetic<>(8, options(10, 10)), doctest::Contains("n_conserve"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Genetic<>(8, options(10, -1)), doctest::Contains("n_conserve"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Genetic<>(8, options(10, 0, 0, 0)), doctest::Contains("threads"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Genetic<>(0, options(10)), doctest::Contains("code_size"),
                       std::invalid_argument);
  CHECK_NOTHROW(Genetic<>(1, options(2, 1)));

  Population initial = Population::Zero(3, 4);
  CHECK_NOTHROW(Genetic<>(initial, options(4)));
  CHECK_THROWS_WITH_AS(Genetic<>(initial, options(5)), doctest::Contains("population_size"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Genetic<>(Population(0, 4), options(4)), doctest::Contains("code_size"),
                       std::invalid_argument);
  initial(1, 2) = static_cast<float>(nan);
  CHECK_THROWS_WITH_AS(Genetic<>(initial, options(4)), doctest::Contains("NaN"),
                       std::invalid_argument);
  initial(1, 2) = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH_AS(Genetic<>(initial, options(4)), doctest::Contains("inf"),
                       std::invalid_argument);
}

// --- the initial population ---------------------------------------------------------------------

TEST_CASE("Genetic starts from i.i.d. N(0 1) codes") {
  Genetic<> ga(64, options(20, 0, 9));
  const Population& codes = ga.ask();
  REQUIRE(codes.rows() == 64);
  REQUIRE(codes.cols() == 20);
  xdream_test::RunningMoments m;
  std::uint64_t inside = 0;
  for (Index i = 0; i < codes.size(); ++i) {
    m.add(codes.data()[i]);
    inside += std::abs(codes.data()[i]) < 1.0f ? 1 : 0;
  }
  const auto n = static_cast<std::uint64_t>(codes.size());
  CHECK(std::abs(m.mean) <= z * xdream_test::mean_se(1.0, n));
  CHECK(std::abs(m.variance() - 1.0) <= z * xdream_test::normal_variance_se(1.0, n));
  const double p = std::erf(1.0 / std::sqrt(2.0));
  CHECK(std::abs(static_cast<double>(inside) / n - p) <= z * binomial_se(p, n));
  // Independent individuals: no two columns share a gene value.
  for (Index a = 0; a < 20; ++a) {
    for (Index b = a + 1; b < 20; ++b) CHECK((codes.col(a).array() != codes.col(b).array()).all());
  }
  for (std::size_t i = 0; i < 20; ++i) {
    CHECK(ga.lineage()[i].origin == Origin::initial);
    CHECK(same_id(ga.lineage()[i].id, IndividualId{0, static_cast<std::uint32_t>(i)}));
  }
}

TEST_CASE("Genetic uses a user matrix as given and never clips codes") {
  // Codes far outside N(0, 1): a GA that clipped or renormalized codes would pull them in.
  Population initial(5, 6);
  for (Index j = 0; j < 6; ++j) initial.col(j) = Code::Constant(5, 1000.0f + static_cast<float>(j));
  Genetic<> ga(initial, options(6, 1, 10));
  CHECK(ga.ask() == initial);
  CHECK(ga.code_size() == 5);
  ga.tell(scores_of({0, 1, 2, 3, 4, 5}));
  // Children mix genes in [1000, 1005] and add N(0, 0.5^2): far from any clip bound.
  CHECK(ga.ask().minCoeff() > 990.0f);
  CHECK(ga.ask().col(0) == initial.col(5));
}

// --- reproducibility ----------------------------------------------------------------------------

TEST_CASE("Genetic with the same seed is bit-identical after 20 generations") {
  Genetic<> first(16, options(12, 1, 42));
  Genetic<> second(16, options(12, 1, 42));
  Genetic<> other(16, options(12, 1, 43));
  evolve(first, 20);
  evolve(second, 20);
  evolve(other, 20);
  CHECK(first.ask() == second.ask());
  CHECK(genealogy(first.lineage()) == genealogy(second.lineage()));
  CHECK(first.ask() != other.ask());
}

TEST_CASE("Genetic gives bit-identical runs with 1 2 and 3 threads") {
  const xdream::Sphere sphere(16);
  Genetic<> one(16, options(15, 2, 11, 1));
  Genetic<> two(16, options(15, 2, 11, 2));
  Genetic<> three(16, options(15, 2, 11, 3));
  CHECK(one.ask() == two.ask());
  CHECK(one.ask() == three.ask());
  for (int g = 0; g < 10; ++g) {
    Scores s = sphere.evaluate(one.ask());
    s[g % 15] = nan;  // the carried slots too
    one.tell(s);
    two.tell(s);
    three.tell(s);
    CAPTURE(g);
    REQUIRE(one.ask() == two.ask());
    REQUIRE(one.ask() == three.ask());
    REQUIRE(genealogy(one.lineage()) == genealogy(two.lineage()));
    REQUIRE(genealogy(one.lineage()) == genealogy(three.lineage()));
  }
}

TEST_CASE("Genetic restored from a state continues exactly as the uninterrupted run") {
  Genetic<> uninterrupted(10, options(8, 1, 12));
  evolve(uninterrupted, 5);
  const xdream::GeneticState saved = uninterrupted.state();
  evolve(uninterrupted, 7);

  Genetic<> resumed(10, options(8, 1, 12));  // a fresh process: same options, nothing else
  resumed.restore(saved);
  CHECK(resumed.generation() == 5);
  evolve(resumed, 7);
  CHECK(resumed.generation() == uninterrupted.generation());
  CHECK(resumed.ask() == uninterrupted.ask());
  CHECK(genealogy(resumed.lineage()) == genealogy(uninterrupted.lineage()));

  // A later tell must give fresh serials, not reuse the ones born after the checkpoint.
  CHECK(resumed.state().next_serial == uninterrupted.state().next_serial);
}

TEST_CASE("Genetic with an annealed mutation resumes on the same schedule") {
  using Annealed = Genetic<BoltzmannSelection, HeritabilityCrossover, xdream::AnnealedMutation>;
  const auto make = [] {
    return Annealed(6, options(8, 0, 13), BoltzmannSelection(), HeritabilityCrossover(),
                    xdream::AnnealedMutation(0.5, 1.0, 0.01, 10));
  };
  Annealed uninterrupted = make();
  // Genetic advances the schedule: the children of generation g get size(g).
  CHECK(uninterrupted.mutation().size() == doctest::Approx(1.0));
  evolve(uninterrupted, 4);
  CHECK(uninterrupted.mutation().size() == doctest::Approx(std::pow(0.01, 0.4)));
  const xdream::GeneticState saved = uninterrupted.state();
  evolve(uninterrupted, 6);
  CHECK(uninterrupted.mutation().size() == doctest::Approx(0.01));

  Annealed resumed = make();
  resumed.restore(saved);
  evolve(resumed, 6);
  CHECK(resumed.ask() == uninterrupted.ask());
}

TEST_CASE("Genetic::restore rejects a state of another shape") {
  Genetic<> ga(10, options(8));
  xdream::GeneticState other = Genetic<>(10, options(9)).state();
  CHECK_THROWS_AS(ga.restore(other), std::invalid_argument);
  other = Genetic<>(11, options(8)).state();
  CHECK_THROWS_AS(ga.restore(other), std::invalid_argument);
}

// --- the statistics of parent choice ------------------------------------------------------------

TEST_CASE("Genetic chooses parents with BoltzmannSelection's probabilities") {
  // One generation repeated from the same state with different seeds: each child's two parents
  // are independent draws, so the parent counts of individual i are Binomial(M, p_i), with p_i
  // the Boltzmann probability of i's rank among the valid scores; a NaN-scored individual is
  // never a parent; and a child has the same parent twice with probability sum_i p_i^2.
  const Scores scores = scores_of({0.3,  -1.2, 2.2, nan,  0.9, 1.7, -0.4, 5.0,  0.1, 1.1,
                                   -2.0, 0.6,  1.4, -0.8, 2.0, 0.0, -1.5, 0.75, 1.9, -0.1});
  const Index n = scores.size();
  const xdream::GeneticState start = Genetic<>(8, options(n, 0, 100)).state();

  std::vector<Index> valid;
  for (Index i = 0; i < n; ++i) {
    if (!std::isnan(scores[i])) valid.push_back(i);
  }
  std::sort(valid.begin(), valid.end(), [&](Index a, Index b) { return scores[a] > scores[b]; });
  Scores sorted(static_cast<Index>(valid.size()));
  for (std::size_t k = 0; k < valid.size(); ++k) sorted[static_cast<Index>(k)] = scores[valid[k]];
  BoltzmannSelection reference(2.0);
  reference.prepare(sorted);
  std::vector<double> expected(static_cast<std::size_t>(n), 0.0);
  double same_parent = 0.0;
  for (std::size_t k = 0; k < valid.size(); ++k) {
    expected[static_cast<std::size_t>(valid[k])] = reference.probabilities()[k];
    same_parent += reference.probabilities()[k] * reference.probabilities()[k];
  }

  std::map<std::uint32_t, Index> column_of_serial;
  for (std::size_t i = 0; i < start.lineage.size(); ++i) {
    column_of_serial[start.lineage[i].id.serial] = static_cast<Index>(i);
  }
  std::vector<double> counts(static_cast<std::size_t>(n), 0.0);
  std::uint64_t draws = 0;
  std::uint64_t children = 0;
  std::uint64_t selfed = 0;
  const int repeats = 600;
  for (int r = 0; r < repeats; ++r) {
    Genetic<> ga(8, options(n, 0, 1000 + static_cast<std::uint64_t>(r)));
    ga.restore(start);
    ga.tell(scores);
    for (const Lineage& l : ga.lineage()) {
      if (l.origin != Origin::child) continue;
      ++children;
      selfed += l.parent1 == l.parent2 ? 1 : 0;
      for (const IndividualId& parent : {l.parent1, l.parent2}) {
        counts[static_cast<std::size_t>(column_of_serial.at(parent.serial))] += 1.0;
        ++draws;
      }
    }
  }
  REQUIRE(children == static_cast<std::uint64_t>(repeats) * 19);
  for (Index i = 0; i < n; ++i) {
    CAPTURE(i);
    const double p = expected[static_cast<std::size_t>(i)];
    CAPTURE(p);
    CHECK(std::abs(counts[static_cast<std::size_t>(i)] / draws - p) <= z * binomial_se(p, draws));
  }
  CHECK(std::abs(static_cast<double>(selfed) / children - same_parent) <=
        z * binomial_se(same_parent, children));
}

// --- presets ------------------------------------------------------------------------------------

TEST_CASE("presets carry the published settings") {
  struct Row {
    const char* name;
    const xdream::GeneticPreset& preset;
    Index population;
    double rate, size, selectivity, heritability;
    Index conserve;
  };
  namespace p = xdream::presets;
  // The published settings: population / rate / size / selectivity / heritability, n_conserve 0
  // (the paper), and Wang & Ponce's lab GA with 10 elites.
  const Row rows[] = {
      {"norm1", p::norm1, 15, 1.0, 1.5, 2.0, 0.5, 0},
      {"norm2", p::norm2, 10, 0.5, 0.7, 4.0, 0.5, 0},
      {"conv3", p::conv3, 12, 0.65, 0.75, 2.25, 0.5, 0},
      {"conv4", p::conv4, 10, 0.9, 0.75, 2.5, 0.5, 0},
      {"pool5", p::pool5, 10, 0.6, 1.0, 2.5, 0.75, 0},
      {"fc6", p::fc6, 20, 0.5, 0.5, 2.0, 0.5, 0},
      {"fc7", p::fc7, 45, 0.6, 0.3, 1.25, 0.5, 0},
      {"fc8", p::fc8, 20, 0.2, 0.6, 2.0, 0.5, 0},
      {"wang_ponce_lab", p::wang_ponce_lab, 40, 0.25, 0.75, 0.5, 0.75, 10},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    CHECK(row.preset.population_size == row.population);
    CHECK(row.preset.mutation_rate == row.rate);
    CHECK(row.preset.mutation_size == row.size);
    CHECK(row.preset.selectivity == row.selectivity);
    CHECK(row.preset.heritability == row.heritability);
    CHECK(row.preset.n_conserve == row.conserve);
  }
  // The defaults of Genetic<> are the paper's fc6 row.
  const Genetic<> defaults(8);
  CHECK(defaults.population_size() == p::fc6.population_size);
  CHECK(defaults.options().n_conserve == p::fc6.n_conserve);
  CHECK(defaults.selection().selectivity() == p::fc6.selectivity);
  CHECK(defaults.crossover().heritability() == p::fc6.heritability);
  CHECK(defaults.mutation().rate() == p::fc6.mutation_rate);
  CHECK(defaults.mutation().size() == p::fc6.mutation_size);
}

TEST_CASE("make_genetic applies every field of a preset") {
  for (const xdream::GeneticPreset& preset :
       {xdream::presets::wang_ponce_lab, xdream::presets::fc7, xdream::presets::pool5}) {
    CAPTURE(preset.population_size);
    const Genetic<> ga = xdream::make_genetic(24, preset, 77, 2);
    CHECK(ga.population_size() == preset.population_size);
    CHECK(ga.ask().cols() == preset.population_size);
    CHECK(ga.ask().rows() == 24);
    CHECK(ga.options().n_conserve == preset.n_conserve);
    CHECK(ga.options().seed == 77);
    CHECK(ga.options().threads == 2);
    CHECK(ga.selection().selectivity() == preset.selectivity);
    CHECK(ga.crossover().heritability() == preset.heritability);
    CHECK(ga.mutation().rate() == preset.mutation_rate);
    CHECK(ga.mutation().size() == preset.mutation_size);
  }
}

// --- other policies compose ---------------------------------------------------------------------

TEST_CASE("Genetic runs with non-default policies") {
  using Custom = Genetic<xdream::TournamentSelection, xdream::OnePointCrossover, GaussianMutation>;
  static_assert(xdream::Algorithm<Custom>);
  static_assert(xdream::Algorithm<Genetic<>>);
  Custom ga(12, options(10, 1, 14), xdream::TournamentSelection(3));
  const xdream::Sphere sphere(12);
  const double first_best = sphere.evaluate(ga.ask()).maxCoeff();
  for (int g = 0; g < 30; ++g) {
    const double best = sphere.evaluate(ga.ask()).maxCoeff();
    ga.tell(sphere.evaluate(ga.ask()));
    // The elite (slot 0) is the best of the previous generation, unchanged.
    CHECK(sphere.evaluate(ga.ask())[0] == best);
  }
  CHECK(sphere.evaluate(ga.ask()).maxCoeff() > first_best);
}
}  // namespace
