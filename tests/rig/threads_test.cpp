// Several optimizers in one rig session: the blocks hold every thread's images and the
// references, responses are routed back by id and scored with each thread's own policy, a
// thread short of responses is re-issued alone, a thread that is done shows nothing, and the
// drivers of RigThreads meet in the same blocks whatever the timing, checkpoint together,
// resume to the same result, and stop together when one fails.
#include <xdream/algorithms/sep_cmaes.hpp>
#include <xdream/any_algorithm.hpp>
#include <xdream/io/archive.hpp>
#include <xdream/optimizer.hpp>
#include <xdream/rig/threads.hpp>

#include "fake_rig.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {
using namespace xdream::rig;
using namespace rig_test;
using xdream::Scores;

// Two threads: "ga" scored on channel a (the neuron), "cma" on channel b (1 everywhere unless
// the script says otherwise).
RigOptions two_threads(RigOptions options) {
  options.threads = {{"ga", ScorePolicy::channel("a")}, {"cma", ScorePolicy::channel("b")}};
  return options;
}

int count_with(const RigBlock& block, const std::string& part) {
  return static_cast<int>(
      std::count_if(block.stimuli.begin(), block.stimuli.end(),
                    [&](const RigStimulus& s) { return s.id.find(part) != std::string::npos; }));
}
}  // namespace

TEST_CASE(
    "rig threads: a block holds every thread's images and the references; each is "
    "scored by its own policy") {
  Session s;
  s.options = two_threads(s.options);
  Objective objective = s.make();
  const RigImages a = images(3), b = images(2);
  const std::vector<Scores> scores = objective.evaluate_threads({&a, &b});
  REQUIRE(s.rig.blocks.size() == 1);
  const RigBlock& block = s.rig.blocks[0];
  CHECK(block.stimuli.size() == 6);
  CHECK(count_with(block, std::string(session_tag) + "-ga-g0-") == 3);
  CHECK(count_with(block, std::string(session_tag) + "-cma-g0-") == 2);
  CHECK(count_with(block, "ref-face") == 1);
  for (const RigStimulus& st : block.stimuli) {
    const bool ga = st.id.find("-ga-") != std::string::npos;
    CHECK(st.thread == (st.kind == StimulusKind::reference ? -1 : ga ? 0 : 1));
  }
  // Shuffled across threads: not the order given.
  std::vector<std::string> given, shown;
  for (const RigStimulus& st : block.stimuli) shown.push_back(st.id);
  for (int i = 0; i < 3; ++i)
    given.push_back(std::string(session_tag) + "-ga-g0-" + std::to_string(i));
  for (int i = 0; i < 2; ++i)
    given.push_back(std::string(session_tag) + "-cma-g0-" + std::to_string(i));
  given.push_back("ref-face");
  CHECK(shown != given);
  REQUIRE(scores.size() == 2);
  REQUIRE(scores[0].size() == 3);
  REQUIRE(scores[1].size() == 2);
  for (xdream::Index i = 0; i < 3; ++i) CHECK(scores[0][i] == doctest::Approx(10.0 * i));
  for (xdream::Index i = 0; i < 2; ++i) CHECK(scores[1][i] == 1.0);
  // One OPTIMIZER_TOLD per thread, named.
  std::vector<std::string> told;
  for (const JournalEntry& e : s.journal.entries)
    if (e.kind == EntryKind::generation_done) told.push_back(e.thread);
  CHECK(told == std::vector<std::string>{"ga", "cma"});
  CHECK(objective.state().generation == 1);
}

TEST_CASE(
    "rig threads: a thread short of responses is re-issued alone; the other keeps its "
    "scores") {
  Session s;
  s.options = two_threads(s.options);
  s.options.max_reshows = 0;
  s.rig.script = [](FakeRig& rig, const RigBlock& b) {
    std::set<std::string> skip;  // attempt 1: every "cma" image is missed
    for (const RigStimulus& st : b.stimuli)
      if (b.attempt == 1 && st.id.find("-cma-") != std::string::npos) skip.insert(st.id);
    Responses r = rig.responses(b);
    for (auto& row : r.rows)
      if (skip.count(row.stim_id)) row.values = {NAN, NAN};
    rig.at(10.0, r);
  };
  Objective objective = s.make();
  const RigImages a = images(4), b = images(4);
  const std::vector<Scores> scores = objective.evaluate_threads({&a, &b});
  REQUIRE(s.rig.blocks.size() == 2);
  CHECK(s.rig.blocks[1].attempt == 2);
  CHECK(count_with(s.rig.blocks[1], "-ga-") == 0);
  CHECK(count_with(s.rig.blocks[1], "-cma-") == 4);
  const JournalEntry* reissue = s.journal.last(EntryKind::reissue);
  REQUIRE(reissue != nullptr);
  CHECK(reissue->thread == "cma");
  CHECK(s.journal.count(EntryKind::generation_done) == 2);
  for (xdream::Index i = 0; i < 4; ++i) {
    CHECK(scores[0][i] == doctest::Approx(10.0 * i));
    CHECK(scores[1][i] == 1.0);
  }
}

TEST_CASE("rig threads: a thread that is done shows nothing while the other goes on") {
  Session s;
  s.options = two_threads(s.options);
  Objective objective = s.make();
  const RigImages a = images(3);
  const std::vector<Scores> scores = objective.evaluate_threads({&a, nullptr});
  REQUIRE(s.rig.blocks.size() == 1);
  CHECK(s.rig.blocks[0].stimuli.size() == 4);
  CHECK(count_with(s.rig.blocks[0], "-cma-") == 0);
  CHECK(scores[0].size() == 3);
  CHECK(scores[1].size() == 0);
  CHECK_THROWS_AS(objective.evaluate_threads({nullptr, nullptr}), std::invalid_argument);
  CHECK_THROWS_AS(objective.evaluate_threads({&a}), std::invalid_argument);
  CHECK_THROWS_AS(objective.evaluate(a), std::logic_error);
}

TEST_CASE("rig threads: the threads' settings are checked") {
  Session s;
  const auto refused = [&](std::vector<RigThread> threads, const std::string& text) {
    s.options.threads = std::move(threads);
    try {
      (void)s.make();
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK_MESSAGE(std::string(e.what()).find(text) != std::string::npos, e.what());
    }
  };
  refused({{"ga", ScorePolicy::channel("a")}, {"ga", ScorePolicy::channel("b")}},
          "thread 'ga' is given twice");
  refused({{"g a", ScorePolicy::channel("a")}}, "thread name 'g a'");
  refused({{"", ScorePolicy::channel("a")}}, "thread name ''");
  refused({{"ga", ScorePolicy::mean({})}}, "thread 'ga': score needs");
  refused({{"ga",
            ScorePolicy::pattern({"a", "b"}, xdream::PatternMeasure::cosine, {}, "nosuch", false)}},
          "target reference 'nosuch'");
}

namespace {
// Codes -> grey images (the level of each is the code's first value, clipped to [0, 1]).
struct ToImages {
  xdream::Index code_size() const { return 4; }
  RigImages generate(const xdream::Population& codes) const {
    RigImages out;
    for (xdream::Index i = 0; i < codes.cols(); ++i)
      out.push_back(grey(std::clamp(0.5f + 0.1f * codes(0, i), 0.0f, 1.0f)));
    return out;
  }
};

using Threads = RigThreads<Objective>;
using ThreadObjective = RigThreadObjective<Objective>;
using Driver = xdream::Optimizer<ToImages, ThreadObjective, xdream::AnyAlgorithm>;

// Sleeps a little in some generations, so that the threads arrive in varying order.
struct Jitter {
  int salt;
  void on_generation(const xdream::StimuliReport<RigImages>& report) const {
    if ((report.stats.generation + salt) % 3 == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
};

// The two drivers of a session: a GA (6 generations) and sep-CMA-ES (3 generations).
struct TwoDrivers {
  Session s;
  Objective objective;
  Threads threads;
  std::vector<Driver> drivers;
  std::vector<std::uint64_t> budgets{6, 3};
  std::vector<std::vector<std::uint32_t>> told_generations;  // at each joint checkpoint

  explicit TwoDrivers(std::function<void(TwoDrivers&)> after_told = {})
      : s(),
        objective((s.options = two_threads(s.options), s.options.max_reshows = 0, s.make())),
        threads(objective, [this, after_told] {
          told_generations.push_back({drivers[0].state().generation, drivers[1].state().generation,
                                      objective.state().generation});
          if (after_told) after_told(*this);
        }) {
    drivers.emplace_back(
        ToImages{}, ThreadObjective(threads, 0),
        xdream::AnyAlgorithm(xdream::Genetic<>(4, {.population_size = 6, .seed = 3})));
    drivers.emplace_back(
        ToImages{}, ThreadObjective(threads, 1),
        xdream::AnyAlgorithm(xdream::SepCMAES(4, {.population_size = 5, .seed = 4})));
  }

  void save(xdream::io::ArchiveWriter& out) const {
    objective.save(out);
    for (const Driver& d : drivers) d.save(out);
  }
  void load(xdream::io::ArchiveReader& in) {
    objective.load(in);
    for (Driver& d : drivers) d.load(in);
  }

  void run(int salt = 0) {
    std::vector<std::function<void()>> bodies;
    for (std::size_t t = 0; t < drivers.size(); ++t) {
      bodies.push_back([this, t, salt] {
        drivers[t].run_until(xdream::budget::generations(budgets[t]),
                             Jitter{salt + static_cast<int>(t)},
                             RigThreadTold<Objective>{&threads, t});
      });
    }
    threads.run(std::move(bodies));
  }
};

bool same_codes(const xdream::Population& a, const xdream::Population& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() && a == b;
}
}  // namespace

TEST_CASE(
    "rig threads: two drivers share the blocks; the one that is done stops showing "
    "images; any timing gives the same session") {
  TwoDrivers first;
  first.run(0);
  CHECK(first.drivers[0].history().size() == 6);
  CHECK(first.drivers[1].history().size() == 3);
  REQUIRE(first.s.rig.blocks.size() == 6);
  for (std::size_t b = 0; b < 6; ++b) {
    const RigBlock& block = first.s.rig.blocks[b];
    CHECK(count_with(block, "-ga-g" + std::to_string(b) + "-") == 6);
    CHECK(count_with(block, "-cma-g" + std::to_string(b) + "-") == (b < 3 ? 5 : 0));
    CHECK(count_with(block, "ref-") == 1);
  }
  // The joint checkpoint saw both drivers told, and agreeing with the objective.
  REQUIRE(first.told_generations.size() == 6);
  for (std::size_t r = 0; r < 6; ++r) {
    CHECK(first.told_generations[r][0] == r + 1);
    CHECK(first.told_generations[r][1] == std::min<std::uint32_t>(r + 1, 3));
    CHECK(first.told_generations[r][2] == r + 1);
  }
  // The GA climbs on channel a; CMA's channel b is 1 everywhere.
  CHECK(first.drivers[0].state().best.score > 55.0);
  CHECK(first.drivers[1].state().best.score == 1.0);

  TwoDrivers second;
  second.run(1);  // other sleeps: the threads arrive in another order
  for (std::size_t t = 0; t < 2; ++t) {
    CHECK(same_codes(first.drivers[t].last_codes(), second.drivers[t].last_codes()));
  }
  REQUIRE(second.s.rig.blocks.size() == 6);
  for (std::size_t b = 0; b < 6; ++b) {
    std::vector<std::string> x, y;
    for (const RigStimulus& st : first.s.rig.blocks[b].stimuli) x.push_back(st.id);
    for (const RigStimulus& st : second.s.rig.blocks[b].stimuli) y.push_back(st.id);
    CHECK(x == y);
  }
}

TEST_CASE(
    "rig threads: a session resumed from its joint checkpoint ends as an uninterrupted "
    "one") {
  TwoDrivers whole;
  whole.run();
  std::vector<std::byte> saved;
  {
    TwoDrivers interrupted([&saved](TwoDrivers& d) {
      if (d.objective.state().generation == 2) {
        xdream::io::ArchiveWriter out;
        d.save(out);
        saved = out.bytes();
        throw RigStop(StopReason::operator_abort, "the test stops after generation 2");
      }
    });
    CHECK_THROWS_AS(interrupted.run(), RigStop);
  }
  REQUIRE(!saved.empty());
  TwoDrivers resumed;
  xdream::io::ArchiveReader in(saved, "the joint checkpoint");
  resumed.load(in);
  CHECK(resumed.drivers[0].state().generation == 2);
  resumed.run(2);
  for (std::size_t t = 0; t < 2; ++t) {
    CHECK(same_codes(whole.drivers[t].last_codes(), resumed.drivers[t].last_codes()));
    CHECK(whole.drivers[t].state().best.score == resumed.drivers[t].state().best.score);
  }
  CHECK(resumed.s.rig.blocks.front().number == 3);  // the numbering goes on
}

TEST_CASE("rig threads: one thread's failure stops the others, and the session rethrows it") {
  Session s;
  s.options = two_threads(s.options);
  Objective objective = s.make();
  Threads threads(objective);
  std::vector<Driver> drivers;
  drivers.emplace_back(
      ToImages{}, ThreadObjective(threads, 0),
      xdream::AnyAlgorithm(xdream::Genetic<>(4, {.population_size = 6, .seed = 3})));
  drivers.emplace_back(
      ToImages{}, ThreadObjective(threads, 1),
      xdream::AnyAlgorithm(xdream::Genetic<>(4, {.population_size = 6, .seed = 5})));
  struct Breaks {
    void on_generation(const xdream::StimuliReport<RigImages>& report) const {
      if (report.stats.generation == 2) throw std::runtime_error("disk gone");
    }
  };
  std::vector<std::function<void()>> bodies{
      [&] {
        drivers[0].run_until(xdream::budget::generations(10),
                             RigThreadTold<Objective>{&threads, 0});
      },
      [&] {
        drivers[1].run_until(xdream::budget::generations(10), Breaks{},
                             RigThreadTold<Objective>{&threads, 1});
      }};
  try {
    threads.run(std::move(bodies));
    FAIL("the session went on");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "disk gone");
  }
  CHECK(drivers[0].history().size() == 3);
  CHECK(s.rig.blocks.size() == 3);
}
