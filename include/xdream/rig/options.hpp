#pragma once
/// @file
/// The settings of a rig session and how a stimulus's responses become its score. Defaults are
/// what labs need (docs/rig.md, the fault table); every one is checked at construction.

#include <xdream/detail/validate.hpp>
#include <xdream/objectives/population_pattern.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace xdream::rig {

/// Which channels make a stimulus's score: one label, the mean over a set of labels, or a
/// population pattern: how well the response vector over a set of labels matches a target
/// (PopulationPattern's measures). The score of a stimulus is the mean over its valid
/// presentations of that value.
///
/// A pattern's target is given (one value per label, in the responses' units), or is the mean
/// response of a named reference image in the same generation's blocks; with `zscore`, each
/// channel is z-scored against the reference images' presentations of that generation (their
/// mean and standard deviation), responses and target alike. A generation where the pattern
/// cannot be formed (no reference response to z-score against or to take the target from, a
/// constant target for a cosine or correlation) scores NaN.
struct ScorePolicy {
  enum class Kind { channel, mean, pattern };
  Kind kind = Kind::channel;
  std::vector<std::string> labels;  ///< one label (channel), the set (mean, pattern)
  PatternMeasure measure = PatternMeasure::cosine;  ///< pattern only
  std::vector<double> target{};                     ///< pattern: one value per label, or
  std::string target_reference{};  ///< pattern: the reference image whose responses are it
  bool zscore = false;             ///< pattern: z-score against the reference images

  static ScorePolicy channel(std::string label) { return {Kind::channel, {std::move(label)}}; }
  static ScorePolicy mean(std::vector<std::string> labels) {
    return {Kind::mean, std::move(labels)};
  }
  static ScorePolicy pattern(std::vector<std::string> labels, PatternMeasure measure,
                             std::vector<double> target, std::string target_reference,
                             bool zscore) {
    return {Kind::pattern,     std::move(labels),           measure,
            std::move(target), std::move(target_reference), zscore};
  }
};

/// The most optimizers one session runs.
inline constexpr std::size_t max_threads = 16;

/// A thread's name is part of its images' ids (`SESSION-NAME-gG-I`): 1 to 16 letters, digits
/// and `_` (no `-`, so that an id names one thread only).
inline bool is_thread_name(const std::string& name) {
  return !name.empty() && name.size() <= 16 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

/// One optimizer of a session that runs several ("threads": GA against CMA, two generators, two
/// channels): its name, which its images' ids carry (`SESSION-NAME-gG-I`), and its score.
struct RigThread {
  std::string name;  ///< 1 to 16 letters, digits and _; unique within the session
  ScorePolicy score;
};

/// Settings of RigObjective.
struct RigOptions {
  /// Presentations of each stimulus in a block; default 1; range [1, 100].
  int reps = 1;
  /// Blocks that show again what a generation's earlier blocks missed; default 2; [0, 10].
  int max_reshows = 2;
  /// Below this share of synthetic stimuli with a response the generation is shown again (a new
  /// attempt) instead of being told to the optimizer; default 0.5; range [0, 1].
  double min_valid_fraction = 0.5;
  /// Re-issues of one generation before the session stops; default 3; range [0, 100].
  int max_reissues = 3;
  /// How long a block is expected to take (seconds); default 45; range (0, 3600].
  double expected_block_s = 45.0;
  /// A warning when a block takes longer than max(soft_factor x expected, soft_min_s).
  double soft_factor = 3.0;
  double soft_min_s = 90.0;
  /// A block with no response and no progress for this long is closed with NaN for what is
  /// missing; default 1200 s (a file transport: 1800 s); range (0, 86400].
  double hard_deadline_s = 1200.0;
  /// How often the transport is polled when nothing happens (seconds); default 0.25.
  double poll_s = 0.25;
  /// The reference images' response below this share of its first blocks' mean raises an
  /// alarm (the unit may be lost); default 0.3; over `drift_baseline_blocks` (5) blocks.
  double drift_alarm_fraction = 0.3;
  int drift_baseline_blocks = 5;
  /// A channel NaN or flat for this many blocks in a row raises an alarm; default 3.
  int dead_channel_blocks = 3;
  /// What makes a score (of a session with one optimizer).
  ScorePolicy score = ScorePolicy::channel("0");
  /// The optimizers of a session with several, each with its own score; empty: one, scored by
  /// `score`, its images' ids without a name (`SESSION-gG-I`). The reference images' drift and
  /// mean scores are taken with the first thread's score.
  std::vector<RigThread> threads;
  /// The channel labels the session expects; empty = the first block's.
  std::vector<std::string> channels;
  /// Seed of the images' order in each block (recorded with the session).
  std::uint64_t order_seed = 0;
  /// Set to ask the session to stop (an operator's SIGINT); checked while a block runs.
  const std::atomic<bool>* stop_requested = nullptr;

  /// Throws std::invalid_argument naming the setting, its value and the allowed range.
  void validate() const {
    constexpr const char* where = "xdream::rig::RigOptions";
    xdream::detail::require_closed(where, "reps", reps, 1, 100);
    xdream::detail::require_closed(where, "max_reshows", max_reshows, 0, 10);
    xdream::detail::require_closed(where, "min_valid_fraction", min_valid_fraction, 0.0, 1.0);
    xdream::detail::require_closed(where, "max_reissues", max_reissues, 0, 100);
    positive(where, "expected_block_s", expected_block_s, 3600.0);
    positive(where, "soft_factor", soft_factor, 1000.0);
    xdream::detail::require_closed(where, "soft_min_s", soft_min_s, 0.0, 86400.0);
    positive(where, "hard_deadline_s", hard_deadline_s, 86400.0);
    positive(where, "poll_s", poll_s, 60.0);
    xdream::detail::require_closed(where, "drift_alarm_fraction", drift_alarm_fraction, 0.0, 1.0);
    xdream::detail::require_closed(where, "drift_baseline_blocks", drift_baseline_blocks, 1, 1000);
    xdream::detail::require_closed(where, "dead_channel_blocks", dead_channel_blocks, 1, 1000);
    if (threads.empty()) validate_score(score, "");
    if (threads.size() > max_threads) {
      throw std::invalid_argument(std::string(where) + ": " + std::to_string(threads.size()) +
                                  " threads; a session runs at most " +
                                  std::to_string(max_threads));
    }
    for (std::size_t t = 0; t < threads.size(); ++t) {
      const std::string& name = threads[t].name;
      if (!is_thread_name(name)) {
        throw std::invalid_argument(std::string(where) + ": thread name '" + name +
                                    "' is not 1 to 16 letters, digits and _");
      }
      for (std::size_t u = 0; u < t; ++u) {
        if (threads[u].name == name)
          throw std::invalid_argument(std::string(where) + ": thread '" + name +
                                      "' is given twice");
      }
      validate_score(threads[t].score, "thread '" + name + "'");
    }
  }

  /// How many optimizers the session serves (1 when `threads` is empty).
  std::size_t thread_count() const noexcept { return threads.empty() ? 1 : threads.size(); }
  /// Thread `t`'s score.
  const ScorePolicy& score_of(std::size_t t) const {
    return threads.empty() ? score : threads.at(t).score;
  }

  /// The soft deadline of a block (seconds).
  double soft_deadline_s() const { return std::max(soft_factor * expected_block_s, soft_min_s); }

 private:
  // One score policy's rules; `what` names its thread in the message (empty: the session's).
  void validate_score(const ScorePolicy& score, const std::string& what) const {
    const std::string where =
        "xdream::rig::RigOptions" + (what.empty() ? std::string() : ": " + what);
    if (score.labels.empty() ||
        (score.kind == ScorePolicy::Kind::channel && score.labels.size() != 1)) {
      throw std::invalid_argument(where +
                                  ": score needs one channel label, or a set of labels for a mean");
    }
    if (score.kind == ScorePolicy::Kind::pattern) {
      if (score.target.empty() == score.target_reference.empty()) {
        throw std::invalid_argument(where +
                                    ": a pattern score needs a target: the values, or a reference "
                                    "image's name (one of the two)");
      }
      if (!score.target.empty() && score.target.size() != score.labels.size()) {
        throw std::invalid_argument(where + ": the pattern's target has " +
                                    std::to_string(score.target.size()) + " values for " +
                                    std::to_string(score.labels.size()) + " channels");
      }
      for (double v : score.target) {
        if (!std::isfinite(v))
          throw std::invalid_argument(where + ": the pattern's target is not finite");
      }
      if (score.measure == PatternMeasure::correlation && score.labels.size() < 2) {
        throw std::invalid_argument(where + ": a correlation pattern needs at least 2 channels");
      }
    } else if (!score.target.empty() || !score.target_reference.empty() || score.zscore) {
      throw std::invalid_argument(where + ": a target and z-scoring are for a pattern score only");
    }
    for (std::size_t i = 0; i < score.labels.size(); ++i) {
      if (std::find(score.labels.begin(), score.labels.begin() + static_cast<std::ptrdiff_t>(i),
                    score.labels[i]) != score.labels.begin() + static_cast<std::ptrdiff_t>(i)) {
        throw std::invalid_argument(where + ": the score's channel '" + score.labels[i] +
                                    "' is given twice");
      }
    }
    for (const std::string& label : score.labels) {
      if (label.empty()) throw std::invalid_argument(where + ": an empty channel label");
      if (!channels.empty() &&
          std::find(channels.begin(), channels.end(), label) == channels.end()) {
        throw std::invalid_argument(where + ": the score's channel '" + label +
                                    "' is not one of the session's channels");
      }
    }
  }

  static void positive(const char* where, const char* name, double value, double max) {
    if (!(value > 0.0 && value <= max)) {
      xdream::detail::invalid(where, name, xdream::detail::to_text(value),
                              "(0, " + xdream::detail::to_text(max) + "]");
    }
  }
};

}  // namespace xdream::rig
