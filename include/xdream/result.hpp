#pragma once
/// @file
/// What a run reports: per-generation statistics, the best individual, the result.

#include <xdream/population.hpp>

#include <cstdint>
#include <limits>
#include <tuple>
#include <vector>

namespace xdream {

inline constexpr double not_a_score = std::numeric_limits<double>::quiet_NaN();

/// Statistics of one evaluated generation.
struct GenerationStats {
  std::uint32_t generation = 0;     ///< 0 = the initial population
  std::uint64_t stimuli = 0;        ///< stimuli presented so far, this generation included
  double best = not_a_score;        ///< max of the valid scores (what the algorithm saw)
  double mean = not_a_score;        ///< mean of the valid scores
  double std_dev = not_a_score;     ///< population std (ddof 0) of the valid scores
  double best_clean = not_a_score;  ///< max clean score, when the objective reports one
  Index missing = 0;                ///< NaN scores ("no response")
  double seconds = 0.0;             ///< wall time since the run started
  /// All fields, in a fixed order: the checkpoint format (io/archive.hpp).
  auto tie() {
    return std::tie(generation, stimuli, best, mean, std_dev, best_clean, missing, seconds);
  }
  auto tie() const {
    return std::tie(generation, stimuli, best, mean, std_dev, best_clean, missing, seconds);
  }
};

/// The best individual found so far by one criterion.
struct Best {
  Code code;
  double score = not_a_score;        ///< its score as the algorithm saw it
  double clean_score = not_a_score;  ///< its clean score, when the objective reports one
  std::uint32_t generation = 0;
  Index index = 0;  ///< column in that generation's population
  /// All fields, in a fixed order: the checkpoint format (io/archive.hpp).
  auto tie() { return std::tie(code, score, clean_score, generation, index); }
  auto tie() const { return std::tie(code, score, clean_score, generation, index); }
  bool found() const noexcept { return code.size() > 0; }
};

/// The outcome of `Optimizer::run`.
struct Result {
  Best best;        ///< highest score seen (for a noisy objective: the luckiest sample)
  Best best_clean;  ///< highest clean score seen (only when the objective reports clean scores)
  std::vector<GenerationStats> history;  ///< one entry per evaluated generation
  std::uint64_t stimuli = 0;             ///< stimuli presented by this run
  std::uint32_t generations = 0;         ///< generations evaluated by this run
  bool stopped_early = false;            ///< a callback asked to stop
  double seconds = 0.0;
};

/// Seconds the driver spent in each step of one generation (steady clock). `tell` is 0 in the
/// report `on_generation` sees (the algorithm has not been told yet) and measured in `on_tell`'s.
struct GenerationTimings {
  double ask = 0.0;       ///< `algorithm.ask()`
  double generate = 0.0;  ///< `generator.generate(codes)`
  double evaluate = 0.0;  ///< `objective.evaluate(stimuli)`
  double tell = 0.0;      ///< `algorithm.tell(scores)`
};

/// What a callback's `on_generation` sees, right after a generation was scored and before the
/// algorithm is told.
struct GenerationReport {
  const GenerationStats& stats;
  const Population& codes;
  const Scores& scores;
  const Scores& clean_scores;  ///< empty when the objective reports no clean scores
  const Best& best;            ///< best so far (this generation included)
  const GenerationTimings& timings;
};

/// The same report with the generation's stimuli (what the generator made of `codes`), for
/// callbacks that look at them (an image writer). The driver passes this to `on_generation`; a
/// callback that takes `const GenerationReport&` sees its base.
template <class Stimuli>
struct StimuliReport : GenerationReport {
  const Stimuli& stimuli;
};

/// What a callback's `on_tell` sees, right after the algorithm was told a generation's scores:
/// the driver's and the algorithm's states agree again, so this is where a checkpoint is taken.
/// (The codes and stimuli are gone by then: the algorithm has moved on to the next generation.)
struct TellReport {
  const GenerationStats& stats;
  const Best& best;
  const GenerationTimings& timings;
  /// Whether this is the run's last generation: the budget is spent or a callback asked to stop.
  bool last = false;
};

}  // namespace xdream
