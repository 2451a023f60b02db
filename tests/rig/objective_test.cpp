// RigObjective on virtual time, against an in-process fake rig: every fault of the fault table
// that the objective handles (fixation breaks, a never-scored image, a silent or paused rig,
// too few responses, duplicates and conflicts, unknown ids, late data, channel changes, drift,
// dead channels, an operator's stop), checkpoint and recovery, and the driver on top.
#include <xdream/generators/identity.hpp>
#include <xdream/io/checkpoint.hpp>
#include <xdream/optimizer.hpp>
#include <xdream/rig/objective.hpp>

#include "fake_rig.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {
using namespace xdream::rig;
using namespace rig_test;
using xdream::Scores;
}  // namespace

TEST_CASE("rig: a block holds the generation and the references, shuffled; scores come back") {
  Session s;
  Objective objective = s.make();
  const Scores scores = objective.evaluate(images(5));
  REQUIRE(s.rig.blocks.size() == 1);
  const RigBlock block = s.rig.blocks[0];
  CHECK(block.number == 1);
  CHECK(block.stimuli.size() == 6);
  std::set<std::string> ids;
  for (const auto& st : block.stimuli) ids.insert(st.id);
  CHECK(ids.count("0a1b2c3d-g0-0"));
  CHECK(ids.count("0a1b2c3d-g0-4"));
  CHECK(ids.count("ref-face"));
  for (int i = 0; i < 5; ++i) CHECK(scores[i] == doctest::Approx(10.0 * i));
  CHECK(s.journal.count(EntryKind::block_submitted) == 1);
  CHECK(s.journal.last(EntryKind::block_closed)->reason == "complete");
  CHECK(s.journal.last(EntryKind::block_closed)->reference_mean == doctest::Approx(7.0));
  CHECK(s.rig.retired == 1);
  // The next generation: new ids, the next block number, the same references.
  objective.evaluate(images(5));
  CHECK(s.rig.blocks[1].number == 2);
  const std::string first = s.rig.blocks[1].stimuli[0].id;
  const bool next_generation = first.find("-g1-") != std::string::npos || first == "ref-face";
  CHECK(next_generation);
  // The order is shuffled with the seed: the same in another session with that seed.
  Session again;
  Objective same = again.make();
  same.evaluate(images(5));
  for (std::size_t i = 0; i < block.stimuli.size(); ++i)
    CHECK(again.rig.blocks[0].stimuli[i].id == block.stimuli[i].id);
}

TEST_CASE("rig: images without a response are shown again, then NaN after max_reshows") {
  Session s;
  s.options.max_reshows = 2;
  // Image 1 is never scored (a frozen rig on that image); image 2 misses only its first block.
  s.rig.script = [](FakeRig& rig, const RigBlock& b) {
    std::set<std::string> skip{"0a1b2c3d-g0-1"};
    if (b.number == 1) skip.insert("0a1b2c3d-g0-2");
    rig.respond(b, 5.0, skip);
  };
  Objective objective = s.make();
  const Scores scores = objective.evaluate(images(4));
  REQUIRE(s.rig.blocks.size() == 3);  // the block and 2 re-shows
  CHECK(s.rig.blocks[1].reshow);
  CHECK(s.rig.blocks[1].stimuli.size() == 3);  // images 1 and 2, and the reference
  CHECK(s.rig.blocks[2].stimuli.size() == 2);  // image 1 and the reference
  CHECK(std::isnan(scores[1]));
  CHECK(scores[2] == doctest::Approx(20.0));
  CHECK(scores[3] == doctest::Approx(30.0));
  CHECK(s.journal.count(EntryKind::reshow) == 2);
  CHECK(s.journal.last(EntryKind::generation_done)->valid == 3);
}

TEST_CASE("rig: a silent rig is waited for; progress extends the deadline; then NaN") {
  Session s;
  s.options.hard_deadline_s = 600;
  s.options.max_reshows = 0;
  s.options.min_valid_fraction = 0.0;
  SUBCASE("silence: closed after the hard deadline, a warning at the soft one") {
    s.rig.script = [](FakeRig&, const RigBlock&) {};
    Objective objective = s.make();
    const RigTime start = s.clock.now();
    const Scores scores = objective.evaluate(images(3));
    CHECK(std::isnan(scores[0]));
    CHECK(in_seconds(s.clock.now() - start) == doctest::Approx(600.0).epsilon(0.01));
    CHECK(s.journal.last(EntryKind::block_closed)->reason == "timeout");
    REQUIRE(s.journal.last(EntryKind::waiting) != nullptr);
    CHECK(s.journal.last(EntryKind::waiting)->t == doctest::Approx(135.0).epsilon(0.01));
    CHECK(s.journal.last(EntryKind::waiting)->reason.find("no word from the rig") !=
          std::string::npos);
  }
  SUBCASE("a 15-minute pause with progress: waited for, scores kept") {
    s.rig.script = [](FakeRig& rig, const RigBlock& b) {
      for (int minute = 1; minute <= 15; ++minute)
        rig.at(60.0 * minute, Progress{b.number, 0, 0, true});
      rig.respond(b, 960.0);
    };
    Objective objective = s.make();
    const Scores scores = objective.evaluate(images(3));
    CHECK(scores[2] == doctest::Approx(20.0));
    CHECK(s.journal.last(EntryKind::block_closed)->reason == "complete");
    CHECK(s.journal.last(EntryKind::waiting)->reason.find("paused") != std::string::npos);
  }
}

TEST_CASE("rig: too few responses re-issue the same generation; then a clean stop") {
  Session s;
  s.options.max_reshows = 0;
  s.options.max_reissues = 2;
  int attempts_answered = 1;  // the first attempt gets 1 of 4; the second all
  s.rig.script = [&](FakeRig& rig, const RigBlock& b) {
    std::set<std::string> skip;
    if (static_cast<int>(b.attempt) <= attempts_answered)
      for (int i = 1; i < 4; ++i) skip.insert("0a1b2c3d-g0-" + std::to_string(i));
    rig.respond(b, 5.0, skip);
  };
  SUBCASE("re-issued once, then told") {
    Objective objective = s.make();
    const Scores scores = objective.evaluate(images(4));
    REQUIRE(s.rig.blocks.size() == 2);
    CHECK(s.rig.blocks[1].attempt == 2);
    CHECK(s.rig.blocks[1].generation == 0);
    CHECK(scores[3] == doctest::Approx(30.0));
    CHECK(s.journal.count(EntryKind::reissue) == 1);
    CHECK(objective.state().generation == 1);
  }
  SUBCASE("every re-issue fails: RigStop, the generation never told") {
    attempts_answered = 100;
    Objective objective = s.make();
    CHECK_THROWS_AS(objective.evaluate(images(4)), RigStop);
    CHECK(s.rig.blocks.size() == 3);  // the first try and 2 re-issues
    CHECK(s.journal.count(EntryKind::generation_done) == 0);
    CHECK(objective.state().generation == 0);
    try {
      objective.evaluate(images(4));
    } catch (const RigStop& stop) {
      CHECK(stop.reason() == StopReason::reissue_budget_exhausted);
    }
  }
}

TEST_CASE("rig: duplicates add nothing, a conflict keeps the first, unknown ids are dropped") {
  Session s;
  s.rig.script = [](FakeRig& rig, const RigBlock& b) {
    Responses first = rig.responses(b);
    first.final = false;
    first.rows.resize(2);
    rig.at(1.0, first);
    Responses again = first;  // sent again after a restart
    rig.at(2.0, again);
    Responses conflicting = first;
    conflicting.rows[0].values[0] += 1000.0;
    conflicting.rows.resize(1);
    rig.at(3.0, conflicting);
    Responses rest = rig.responses(b);
    rest.rows.push_back({"", "block001_009_other-session.png", 0, {1.0, 1.0}});
    rig.at(4.0, rest);
  };
  Objective objective = s.make();
  const Scores scores = objective.evaluate(images(3));
  for (int i = 0; i < 3; ++i) CHECK(scores[i] == doctest::Approx(10.0 * i));
  int duplicates = 0, conflicts = 0, unknown = 0;
  for (const auto& e : s.journal.entries) {
    if (e.kind != EntryKind::rejected) continue;
    duplicates += e.reason.rfind("duplicate", 0) == 0 ? static_cast<int>(e.responses.size()) : 0;
    conflicts += e.reason.rfind("conflict", 0) == 0 ? static_cast<int>(e.responses.size()) : 0;
    unknown += e.reason.rfind("unknown", 0) == 0 ? static_cast<int>(e.responses.size()) : 0;
  }
  CHECK(duplicates == 2 * 2 + 2 * 2);  // the re-sent two rows, and the final file's first two
  CHECK(conflicts == 2);
  CHECK(unknown == 2);
  // Every presentation is accepted exactly once.
  std::map<std::pair<std::string, std::string>, int> accepted;
  for (const auto& e : s.journal.entries)
    if (e.kind == EntryKind::responses)
      for (const auto& r : e.responses) ++accepted[{r.stim_id, r.channel}];
  CHECK(accepted.size() == 4 * 2);
  for (const auto& [key, n] : accepted) CHECK(n == 1);
}

TEST_CASE("rig: late responses of an earlier block of the generation are merged") {
  Session s;
  s.options.hard_deadline_s = 100;
  s.options.max_reshows = 1;
  s.rig.script = [](FakeRig& rig, const RigBlock& b) {
    if (b.number == 1) {
      rig.at(150.0, rig.responses(b));  // after the block was given up
    } else {
      rig.respond(b, 200.0, {"0a1b2c3d-g0-0", "0a1b2c3d-g0-1"});
    }
  };
  Objective objective = s.make();
  const Scores scores = objective.evaluate(images(2));
  CHECK(scores[1] == doctest::Approx(10.0));
  const JournalEntry* late = nullptr;
  for (const auto& e : s.journal.entries)
    if (e.kind == EntryKind::responses && e.block == 1) late = &e;
  REQUIRE(late != nullptr);
  CHECK(late->reason.find("late, merged") != std::string::npos);
  // Responses of a generation already told are journaled as late, not counted.
  s.rig.script = [](FakeRig& rig, const RigBlock& b) {
    Responses old = rig.responses(rig.blocks[0]);
    rig.at(1.0, old);
    rig.respond(b, 2.0);
  };
  objective.evaluate(images(2));
  bool rejected_late = false;
  for (const auto& e : s.journal.entries)
    if (e.kind == EntryKind::rejected && e.reason.rfind("late:", 0) == 0) rejected_late = true;
  CHECK(rejected_late);
}

TEST_CASE("rig: channels: the score's label must be there; a changed set raises an alarm") {
  Session s;
  s.options.min_valid_fraction = 0.0;
  s.options.max_reshows = 0;
  s.options.hard_deadline_s = 50;
  Objective objective = s.make();
  objective.evaluate(images(2));
  CHECK(objective.state().channels == std::vector<std::string>{"a", "b"});
  s.rig.channels = {"a", "b", "c"};
  objective.evaluate(images(2));
  REQUIRE(s.journal.last(EntryKind::alarm) != nullptr);
  CHECK(s.journal.last(EntryKind::alarm)->reason.find("channels changed") != std::string::npos);
  s.rig.channels = {"x", "b"};
  const Scores scores = objective.evaluate(images(2));
  CHECK(std::isnan(scores[0]));
  CHECK(s.journal.last(EntryKind::rejected)->reason.find("the score's channel 'a'") !=
        std::string::npos);
}

TEST_CASE("rig: a mean over labels scores the mean of the channels") {
  Session s;
  s.options.score = ScorePolicy::mean({"a", "b"});
  Objective objective = s.make();
  const Scores scores = objective.evaluate(images(3));
  CHECK(scores[2] == doctest::Approx((20.0 + 1.0) / 2));
}

TEST_CASE("rig: a population pattern scores the response vector against its target") {
  // Channel a is the neuron (100 x the image's level; the references 7), b is 1.
  const auto run = [](ScorePolicy policy,
                      std::vector<ReferenceImage> references = {{"face", grey(0.5f)}}) {
    Session s;
    s.options.score = std::move(policy);
    s.options.min_valid_fraction = 0.0;
    Objective objective = s.make(std::move(references));
    return objective.evaluate(images(3));  // levels 0, 0.1, 0.2: a = 0, 10, 20
  };
  SUBCASE("dot with a reference image's responses: 7 a + 1") {
    const Scores scores =
        run(ScorePolicy::pattern({"a", "b"}, xdream::PatternMeasure::dot, {}, "face", false));
    for (int i = 0; i < 3; ++i) CHECK(scores[i] == doctest::Approx(7.0 * 10 * i + 1.0));
  }
  SUBCASE("negative MSE against given values {10, 1}: -(a - 10)^2 / 2") {
    const Scores scores = run(ScorePolicy::pattern({"a", "b"}, xdream::PatternMeasure::negative_mse,
                                                   {10.0, 1.0}, "", false));
    for (int i = 0; i < 3; ++i) {
      const double a = 10.0 * i;
      CHECK(scores[i] == doctest::Approx(-(a - 10.0) * (a - 10.0) / 2.0));
    }
  }
  SUBCASE("cosine against {1, 0}: a / sqrt(a^2 + 1)") {
    const Scores scores = run(
        ScorePolicy::pattern({"a", "b"}, xdream::PatternMeasure::cosine, {1.0, 0.0}, "", false));
    for (int i = 0; i < 3; ++i) {
      const double a = 10.0 * i;
      CHECK(scores[i] == doctest::Approx(a / std::sqrt(a * a + 1.0)));
    }
  }
  SUBCASE("z-scored against the references (mean 7 and 1, no spread: std 1): dot with {1, 1}") {
    // z = (a - 7, b - 1) = (a - 7, 0); the target {1, 1} becomes (-6, 0): dot = -6 (a - 7).
    const Scores scores =
        run(ScorePolicy::pattern({"a", "b"}, xdream::PatternMeasure::dot, {1.0, 1.0}, "", true));
    for (int i = 0; i < 3; ++i) CHECK(scores[i] == doctest::Approx(-6.0 * (10.0 * i - 7.0)));
  }
  SUBCASE("a pattern that cannot be formed scores NaN: the reference's own z-scored pattern is 0") {
    const Scores scores =
        run(ScorePolicy::pattern({"a", "b"}, xdream::PatternMeasure::cosine, {}, "face", true));
    for (int i = 0; i < 3; ++i) CHECK(std::isnan(scores[i]));
  }
  SUBCASE("bad patterns are refused at construction") {
    using M = xdream::PatternMeasure;
    CHECK_THROWS_AS(run(ScorePolicy::pattern({"a", "b"}, M::dot, {1.0}, "", false)),
                    std::invalid_argument);  // a target of another length
    CHECK_THROWS_AS(run(ScorePolicy::pattern({"a", "b"}, M::dot, {1.0, 2.0}, "face", false)),
                    std::invalid_argument);  // two targets
    CHECK_THROWS_AS(run(ScorePolicy::pattern({"a", "b"}, M::dot, {}, "", false)),
                    std::invalid_argument);  // no target
    CHECK_THROWS_AS(run(ScorePolicy::pattern({"a", "b"}, M::dot, {}, "house", false)),
                    std::invalid_argument);  // no such reference
    CHECK_THROWS_AS(run(ScorePolicy::pattern({"a"}, M::correlation, {1.0}, "", false)),
                    std::invalid_argument);  // a correlation of one channel
    CHECK_THROWS_AS(run(ScorePolicy::pattern({"a", "b"}, M::dot, {1.0, 1.0}, "", true), {}),
                    std::invalid_argument);  // z-scoring without references
    CHECK_THROWS_AS(run(ScorePolicy::pattern({"a", "a"}, M::dot, {1.0, 1.0}, "", false)),
                    std::invalid_argument);  // a channel twice
  }
}

TEST_CASE("rig: reps are averaged; a NaN presentation is left out") {
  Session s;
  s.options.reps = 3;
  s.rig.script = [](FakeRig& rig, const RigBlock& b) {
    Responses r = rig.responses(b);
    for (auto& row : r.rows) {
      if (row.rep == 1) row.values[0] += 3.0;
      if (row.rep == 2) row.values[0] = NAN;
    }
    rig.at(1.0, r);
  };
  Objective objective = s.make();
  const Scores scores = objective.evaluate(images(2));
  CHECK(scores[1] == doctest::Approx(10.0 + 1.5));
}

TEST_CASE("rig: reference drift and a dead channel raise alarms, never stop the run") {
  Session s;
  s.options.drift_baseline_blocks = 2;
  s.options.dead_channel_blocks = 3;
  double reference_level = 7.0;
  s.rig.script = [&](FakeRig& rig, const RigBlock& b) {
    Responses r = rig.responses(b);
    for (auto& row : r.rows) {
      if (row.stim_id == "ref-face") row.values[0] = reference_level;
      row.values[1] = 1.0;  // channel b flat
    }
    rig.at(1.0, r);
  };
  Objective objective = s.make();
  objective.evaluate(images(2));
  objective.evaluate(images(2));
  reference_level = 1.0;  // below 0.3 x 7
  objective.evaluate(images(2));
  int drift = 0, dead = 0;
  for (const auto& e : s.journal.entries) {
    if (e.kind != EntryKind::alarm) continue;
    drift += e.reason.rfind("reference drift", 0) == 0;
    dead += e.reason.find("channel 'b' has been flat for 3 blocks") != std::string::npos;
  }
  CHECK(drift == 1);
  CHECK(dead == 1);
}

TEST_CASE("rig: the drift compares each reference image with its own first responses") {
  // A strong and a weak reference image; in the third block the strong one loses its response
  // (a fixation break). The mean over the images that responded falls from 50.5 to 1, but
  // each image responds as before: no alarm, drift 1. Then both halve: drift 0.5.
  Session s;
  s.options.drift_baseline_blocks = 2;
  double strong = 100.0, weak = 1.0;
  s.rig.script = [&](FakeRig& rig, const RigBlock& b) {
    Responses r = rig.responses(b);
    for (auto& row : r.rows) {
      if (row.stim_id == "ref-strong") row.values[0] = strong;
      if (row.stim_id == "ref-weak") row.values[0] = weak;
    }
    rig.at(1.0, r);
  };
  Objective objective = s.make({{"strong", grey(0.2f)}, {"weak", grey(0.8f)}});
  objective.evaluate(images(2));
  objective.evaluate(images(2));
  strong = std::nan("");
  objective.evaluate(images(2));
  strong = 50.0, weak = 0.5;
  objective.evaluate(images(2));
  std::vector<double> drifts;
  int alarms = 0;
  for (const auto& e : s.journal.entries) {
    if (e.kind == EntryKind::block_closed) drifts.push_back(e.reference_drift);
    alarms += e.kind == EntryKind::alarm && e.reason.rfind("reference drift", 0) == 0;
  }
  REQUIRE(drifts.size() == 4);
  CHECK(std::isnan(drifts[0]));  // the baselines are filling
  CHECK(std::isnan(drifts[1]));
  CHECK(drifts[2] == doctest::Approx(1.0));
  CHECK(drifts[3] == doctest::Approx(0.5));
  CHECK(alarms == 0);
  // Each image's mean over the blocks where it had a score.
  const std::vector<double> means = objective.reference_scores();
  REQUIRE(means.size() == 2);
  CHECK(means[0] == doctest::Approx((100.0 + 100.0 + 50.0) / 3));
  CHECK(means[1] == doctest::Approx((1.0 + 1.0 + 1.0 + 0.5) / 4));
}

TEST_CASE("rig: an operator's stop ends the session cleanly") {
  Session s;
  std::atomic<bool> stop{false};
  s.options.stop_requested = &stop;
  s.rig.script = [&](FakeRig& rig, const RigBlock&) {
    rig.at(30.0, PeerUp{"rig"});
    stop = true;
  };
  Objective objective = s.make();
  try {
    objective.evaluate(images(2));
    FAIL("no stop");
  } catch (const RigStop& e) {
    CHECK(e.reason() == StopReason::operator_abort);
  }
  CHECK(objective.state().generation == 0);
}

TEST_CASE("rig: every setting is checked at construction") {
  Session s;
  const auto bad = [&](auto change, const char* text) {
    Session t;
    change(t.options);
    CHECK_THROWS_WITH_AS(t.make(), doctest::Contains(text), std::invalid_argument);
  };
  bad([](RigOptions& o) { o.reps = 0; }, "reps = 0");
  bad([](RigOptions& o) { o.min_valid_fraction = 1.5; }, "min_valid_fraction");
  bad([](RigOptions& o) { o.hard_deadline_s = 0; }, "hard_deadline_s");
  bad([](RigOptions& o) { o.max_reshows = -1; }, "max_reshows");
  bad([](RigOptions& o) { o.score = ScorePolicy::mean({}); }, "score needs");
  bad([](RigOptions& o) { o.channels = {"x"}; }, "not one of the session's channels");
  for (const char* tag : {"", "a/b", "ref-1", "two words", "0123456789abcdef0123456789abcdef0"}) {
    CHECK_THROWS_WITH_AS(Objective(s.rig, s.clock, s.journal, tag, {}, s.options),
                         doctest::Contains("session_tag"), std::invalid_argument);
  }
  CHECK(xdream::rig::is_session_tag("monkeyA_2026-12-02"));
  CHECK_FALSE(xdream::rig::is_session_tag("référence"));
  CHECK_THROWS_AS(s.make({{"same", grey(0)}, {"same", grey(1)}}), std::invalid_argument);
  CHECK_THROWS_AS(s.make({{"bad", RigImage{{0.0f}, 2, 1, 1}}}), std::invalid_argument);
}

TEST_CASE("rig: the state checkpoints with the optimizer and a resumed session re-attaches") {
  Session s;
  Objective objective = s.make();
  objective.evaluate(images(3));
  xdream::io::ArchiveWriter out;
  objective.save(out);
  // Generation 1 is submitted, gets half its responses, then the process dies.
  s.rig.script = [](FakeRig& rig, const RigBlock& b) {
    Responses part = rig.responses(b);
    part.final = false;
    part.rows.resize(2);
    rig.at(1.0, part);
  };
  s.options.hard_deadline_s = 5;
  s.options.max_reshows = 0;
  s.options.min_valid_fraction = 0.0;
  Objective doomed = s.make();
  xdream::io::ArchiveReader restore(out.bytes(), "test");
  doomed.load(restore);
  doomed.evaluate(images(3));
  const RigBlock outstanding = s.rig.blocks.back();
  RecoveredBlock recovered;
  recovered.number = outstanding.number;
  recovered.generation = outstanding.generation;
  recovered.attempt = outstanding.attempt;
  for (const auto& st : outstanding.stimuli) recovered.stim_ids.push_back(st.id);
  for (const auto& e : s.journal.entries)
    if (e.kind == EntryKind::responses && e.block == outstanding.number)
      recovered.responses.insert(recovered.responses.end(), e.responses.begin(), e.responses.end());
  REQUIRE(recovered.responses.size() == 4);  // 2 rows x 2 channels

  Session resumed;
  resumed.rig.script = [](FakeRig& rig, const RigBlock& b) { rig.respond(b, 2.0); };
  Objective back = resumed.make();
  xdream::io::ArchiveReader again(out.bytes(), "test");
  back.load(again);
  CHECK(back.state().next_block == 2);
  back.recover({recovered});
  const Scores scores = back.evaluate(images(3));
  REQUIRE(resumed.rig.blocks.size() == 1);
  CHECK(resumed.rig.blocks[0].reattached);
  CHECK(resumed.rig.blocks[0].number == outstanding.number);
  for (std::size_t i = 0; i < outstanding.stimuli.size(); ++i)
    CHECK(resumed.rig.blocks[0].stimuli[i].id == outstanding.stimuli[i].id);
  CHECK(resumed.journal.count(EntryKind::block_reattached) == 1);
  CHECK(scores[2] == doctest::Approx(20.0));
  // The two rows journaled before the crash are not counted twice.
  int accepted = 0;
  for (const auto& e : resumed.journal.entries)
    if (e.kind == EntryKind::responses) accepted += static_cast<int>(e.responses.size());
  CHECK(accepted == (4 - 2) * 2);

  // Another session's checkpoint is refused and changes nothing.
  Session other;
  Objective stranger(other.rig, other.clock, other.journal, "ffffffff", {}, other.options);
  xdream::io::ArchiveReader foreign(out.bytes(), "test");
  CHECK_THROWS_AS(stranger.load(foreign), std::invalid_argument);
  CHECK(stranger.state().next_block == 1);
}

TEST_CASE("rig: a resumed session takes up late responses where the session took them") {
  // Block 1 gets image 0's response and a final mark; image 1 is shown again in block 2, while
  // which block 1's late response to image 1 arrives (merged). The process dies before the
  // generation is told; the resume must make the same two blocks, not decide anew with the late
  // response counted in block 1.
  Session s;
  s.options.max_reshows = 1;
  s.rig.script = [](FakeRig& rig, const RigBlock& b) {
    if (b.number == 1) {
      Responses first = rig.responses(b, {"0a1b2c3d-g0-1"});
      std::erase_if(first.rows, [](const auto& row) { return row.stim_id == "0a1b2c3d-g0-1"; });
      rig.at(10.0, first);
    } else {
      Responses late = rig.responses(rig.blocks[0]);
      std::erase_if(late.rows, [](const auto& row) { return row.stim_id != "0a1b2c3d-g0-1"; });
      late.final = false;
      rig.at(5.0, late);
      rig.respond(b, 10.0, {"0a1b2c3d-g0-1"});
    }
  };
  Objective objective = s.make();
  xdream::io::ArchiveWriter before;
  objective.save(before);
  const Scores scores = objective.evaluate(images(2));
  REQUIRE(s.rig.blocks.size() == 2);
  CHECK(scores[1] == doctest::Approx(10.0));

  // What the journal holds, read back as xdream-rig's replay does.
  std::map<std::uint32_t, RecoveredBlock> blocks;
  std::uint32_t running = 0;
  for (const JournalEntry& e : s.journal.entries) {
    if (e.kind == EntryKind::block_submitted) {
      RecoveredBlock& b = blocks[e.block];
      b.number = e.block;
      b.generation = e.generation;
      b.attempt = e.attempt;
      for (const RigBlock& sent : s.journal.submitted)
        if (sent.number == e.block)
          for (const RigStimulus& st : sent.stimuli) b.stim_ids.push_back(st.id);
      running = e.block;
    } else if (e.kind == EntryKind::responses) {
      for (const JournalResponse& r : e.responses) {
        if (e.block != running) {
          blocks[running].late.emplace_back(e.block, r);
        } else {
          blocks[e.block].responses.push_back(r);
        }
      }
    } else if (e.kind == EntryKind::block_closed) {
      blocks[e.block].closed = true;
    }
  }
  REQUIRE(blocks[2].late.size() == 2);  // image 1's response on channels a and b

  Session resumed;
  resumed.options = s.options;
  Objective back = resumed.make();
  xdream::io::ArchiveReader restore(before.bytes(), "test");
  back.load(restore);
  back.recover({blocks[1], blocks[2]});
  const Scores again = back.evaluate(images(2));
  CHECK(resumed.rig.blocks.empty());  // both blocks taken up from the journal, none sent again
  CHECK(resumed.journal.count(EntryKind::block_reattached) == 2);
  CHECK(resumed.journal.count(EntryKind::reshow) == 1);
  REQUIRE(again.size() == scores.size());
  for (xdream::Index i = 0; i < scores.size(); ++i) CHECK(again[i] == scores[i]);
}

namespace {
// Codes -> grey images (the level of each is the code's first value, clipped to [0, 1]).
struct ToImages {
  xdream::Index code_size() const { return 4; }
  RigImages generate(const xdream::Population& codes) const {
    RigImages out;
    for (xdream::Index i = 0; i < codes.cols(); ++i) {
      out.push_back(grey(std::clamp(0.5f + 0.1f * codes(0, i), 0.0f, 1.0f)));
    }
    return out;
  }
};
}  // namespace

TEST_CASE("rig: the driver runs any algorithm against a rig, and checkpoints the session") {
  Session s;
  s.options.max_reshows = 1;
  s.rig.script = [](FakeRig& rig, const RigBlock& b) {
    std::set<std::string> skip;
    if (b.number % 3 == 0 && !b.reshow) skip.insert(b.stimuli[0].id);  // some fixation breaks
    rig.respond(b, 40.0, skip);
  };
  Objective objective = s.make();
  xdream::Optimizer<ToImages, Objective&, xdream::Genetic<>> optimizer(
      ToImages{}, objective, xdream::Genetic<>(4, {.population_size = 10, .seed = 3}));
  const xdream::Result result = optimizer.run(xdream::budget::generations(8));
  CHECK(result.generations == 8);
  CHECK(result.best.score > 55.0);  // the GA climbs: images brighter than the start
  CHECK(s.journal.count(EntryKind::generation_done) == 8);
  static_assert(xdream::Checkpointable<Objective>);
  xdream::io::ArchiveWriter out;
  optimizer.objective().save(out);
  CHECK(out.bytes().size() > 0);
}
