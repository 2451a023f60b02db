#pragma once
// The rig objective's unit tests' fixture: an in-process fake rig on a ManualClock that a
// script drives block by block, a journal that keeps every entry, and a session holding both.

#include <xdream/rig/objective.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace rig_test {
using namespace xdream::rig;
using xdream::Scores;

inline constexpr const char* session_tag = "0a1b2c3d";

inline RigImage grey(float level) { return RigImage{std::vector<float>(4, level), 1, 2, 2}; }

// The value a "neuron" gives a stimulus: its image's mean level x 100 (references: 7).
inline double neuron(const RigStimulus& s) {
  if (s.kind == StimulusKind::reference) return 7.0;
  double sum = 0.0;
  for (float p : s.image->pixels) sum += p;
  return 100.0 * sum / static_cast<double>(s.image->pixels.size());
}

// A rig in the same process, on the test's ManualClock. For each block it submits, a script
// decides what happens: when the responses come (`delay`), which presentations are missing
// (`drop`), extra events.
struct FakeRig {
  ManualClock* clock;
  std::vector<RigBlock> blocks{};
  std::map<RigTime, std::vector<RigEvent>, std::less<>> due{};
  // What to do with a block; default: all responses 10 s later on channels {"a", "b"}.
  std::function<void(FakeRig&, const RigBlock&)> script = [](FakeRig& rig, const RigBlock& b) {
    rig.respond(b, 10.0);
  };
  std::vector<std::string> channels{"a", "b"};
  int opened = 0, retired = 0;

  void open(const RigSession&) { ++opened; }
  void submit(const RigBlock& block) {
    blocks.push_back(block);
    script(*this, block);
  }
  std::vector<RigEvent> poll(RigTime deadline) {
    const auto next = due.begin();
    if (next == due.end() || next->first > deadline) {
      clock->sleep_until(deadline);
      return {};
    }
    clock->sleep_until(next->first);
    std::vector<RigEvent> events = std::move(next->second);
    due.erase(next);
    return events;
  }
  void close() {}
  void retire(std::uint32_t) { ++retired; }

  void at(double after_s, RigEvent event) {
    due[clock->now() + seconds(after_s)].push_back(std::move(event));
  }
  // Responses to every presentation of `block` (but `skip`), channel a = the neuron, b = 1.
  Responses responses(const RigBlock& block, const std::set<std::string>& skip = {}) const {
    Responses r;
    r.block = block.number;
    r.channels = channels;
    r.source = "block" + std::to_string(block.number);
    for (const RigStimulus& s : block.stimuli) {
      for (int rep = 0; rep < block.reps; ++rep) {
        const double v = skip.count(s.id) ? NAN : neuron(s);
        std::vector<double> values{v, 1.0};
        values.resize(channels.size(), 1.0);
        r.rows.push_back({s.id, s.id + ".png", rep, values});
      }
    }
    return r;
  }
  void respond(const RigBlock& block, double after_s, const std::set<std::string>& skip = {}) {
    at(after_s, responses(block, skip));
  }
};

struct Journal {
  std::vector<JournalEntry> entries;
  std::vector<RigBlock> submitted;
  void record(const JournalEntry& e) {
    entries.push_back(e);
    if (e.submitted) submitted.push_back(*e.submitted);
  }
  int count(EntryKind kind) const {
    int n = 0;
    for (const auto& e : entries) n += e.kind == kind;
    return n;
  }
  const JournalEntry* last(EntryKind kind) const {
    for (auto it = entries.rbegin(); it != entries.rend(); ++it)
      if (it->kind == kind) return &*it;
    return nullptr;
  }
};

using Objective = RigObjective<FakeRig, ManualClock, Journal>;

struct Session {
  ManualClock clock;
  FakeRig rig{&clock};
  Journal journal;
  RigOptions options;
  Session() {
    options.score = ScorePolicy::channel("a");
    options.order_seed = 5;
  }
  Objective make(std::vector<ReferenceImage> references = {{"face", grey(0.5f)}}) {
    return Objective(rig, clock, journal, session_tag, std::move(references), options);
  }
};

inline RigImages images(int n) {
  RigImages out;
  for (int i = 0; i < n; ++i) out.push_back(grey(0.1f * static_cast<float>(i)));
  return out;
}
}  // namespace rig_test
