#pragma once
/// @file
/// RigObjective: a real neuron, recorded by a rig, as an Objective. Every algorithm and the
/// driver work with it unchanged: `evaluate(images)` shows a generation's images (with the
/// natural reference images) in blocks, waits for the responses through a transport, and
/// returns one score per image, through fixation breaks, a silent rig, damaged files and
/// restarts (docs/rig.md).

#include <xdream/detail/validate.hpp>
#include <xdream/io/encoding.hpp>
#include <xdream/objectives/population_pattern.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>
#include <xdream/result.hpp>
#include <xdream/rig/block.hpp>
#include <xdream/rig/clock.hpp>
#include <xdream/rig/events.hpp>
#include <xdream/rig/journal.hpp>
#include <xdream/rig/options.hpp>
#include <xdream/rig/stop.hpp>
#include <xdream/rig/transport.hpp>

#include <boost/random/uniform_int_distribution.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

namespace xdream::rig {

/// A natural reference image, shown in every block as `ref-NAME`, never optimized.
struct ReferenceImage {
  std::string name;
  RigImage image;
};

/// A block the journal recorded after the last checkpoint: what a resumed session takes up
/// again instead of making it anew (the animal saw those images).
struct RecoveredBlock {
  std::uint32_t number = 0;
  std::uint32_t generation = 0;
  std::uint32_t attempt = 1;
  bool reshow = false;
  std::vector<std::string> stim_ids;       ///< in the order shown
  std::vector<JournalResponse> responses;  ///< its own, journaled while it ran
  /// Responses to earlier blocks of the same attempt that arrived while this one ran (merged
  /// late), with their block's number: taken up at the same point, so that a resumed session
  /// decides every re-show as the session did.
  std::vector<std::pair<std::uint32_t, JournalResponse>> late;
  bool closed = false;  ///< the journal has its BLOCK_CLOSED
};

/// What RigObjective carries from one session to its resume (Checkpointable).
struct RigObjectiveState {
  std::string session;
  std::uint32_t next_block = 1;
  std::uint32_t generation = 0;
  /// Per reference image (in the session's order): its first responses, up to the drift
  /// baseline's length (the blocks where it had none are skipped).
  std::vector<std::vector<double>> reference_baselines;
  /// Per reference image: the sum of its scores over the closed blocks, and their number.
  std::vector<double> reference_sums;
  std::vector<int> reference_counts;
  std::vector<std::string> channels;  ///< the session's channel labels, once known
  std::vector<int> dead_blocks;       ///< per channel: blocks in a row NaN or flat
  auto tie() {
    return std::tie(session, next_block, generation, reference_baselines, reference_sums,
                    reference_counts, channels, dead_blocks);
  }
  auto tie() const {
    return std::tie(session, next_block, generation, reference_baselines, reference_sums,
                    reference_counts, channels, dead_blocks);
  }
};

/// The Objective of a closed loop with a recording rig.
///
/// One `evaluate` is one generation: its images get the ids `SESSION-gG-I`; a block holds them
/// and every reference image, in an order shuffled with `options.order_seed`; the transport
/// sends it and reports events (acknowledgements, progress, responses). Responses are keyed by
/// (stimulus, presentation, channel label), de-duplicated on (block, stimulus, presentation),
/// and a stimulus's score is the score policy's value averaged over its valid presentations.
/// Then, per the options:
/// - stimuli without a response are shown again in a further block, up to `max_reshows`;
/// - a block without progress for `hard_deadline_s` is closed with NaN for what is missing
///   (only progress or responses extend the wait; a warning after the soft deadline);
/// - fewer than `min_valid_fraction` of the images with a response: the same generation is
///   shown again (a new attempt), never told to the optimizer; after `max_reissues`, RigStop;
/// - the reference images' mean and every channel are watched: an alarm when the references
///   fall below `drift_alarm_fraction` of their first blocks, or a channel is NaN or flat for
///   `dead_channel_blocks` blocks.
/// Every step is a journal entry for the observer, recorded before the session goes on.
///
/// A session of several optimizers ("threads", `options.threads`) shows their generations
/// together (`evaluate_threads`): ids `SESSION-NAME-gG-I`, every block holding the images of
/// each thread still waiting for scores, each thread scored with its own policy and re-issued
/// alone when it has too few responses. RigThreads (rig/threads.hpp) runs one driver per thread
/// against it.
///
/// Time is the clock's: a ManualClock runs a whole session in a unit test with no sleep.
/// Checkpointable (`name()` "rig-objective"): the block numbering, the generation, the alarms'
/// history; `recover` takes up the blocks journaled after the checkpoint.
template <RigTransport Transport, class Clock, RigObserver Observer>
class RigObjective {
 public:
  RigObjective(Transport& transport, Clock& clock, Observer& observer, std::string session_tag,
               std::vector<ReferenceImage> references, RigOptions options)
      : transport_(&transport), clock_(&clock), observer_(&observer), options_(std::move(options)) {
    options_.validate();
    if (!is_session_tag(session_tag)) {
      xdream::detail::invalid("xdream::rig::RigObjective", "session_tag", session_tag,
                              "1 to 32 letters, digits, _ and -, not beginning with 'ref'");
    }
    state_.session = std::move(session_tag);
    state_.channels = options_.channels;
    state_.dead_blocks.assign(state_.channels.size(), 0);
    std::set<std::string> names;
    for (ReferenceImage& reference : references) {
      const std::string id = "ref-" + reference.name;
      if (reference.name.empty() || !names.insert(id).second) {
        throw std::invalid_argument(
            "xdream::rig::RigObjective: reference image names must be "
            "unique and non-empty ('" +
            reference.name + "')");
      }
      check_image(reference.image, id);
      references_.push_back({id, StimulusKind::reference,
                             std::make_shared<const RigImage>(std::move(reference.image))});
    }
    for (std::size_t t = 0; t < options_.thread_count(); ++t) {
      const ScorePolicy& policy = options_.score_of(t);
      if (!policy.target_reference.empty() && names.count("ref-" + policy.target_reference) == 0) {
        throw std::invalid_argument("xdream::rig::RigObjective: the pattern's target reference '" +
                                    policy.target_reference +
                                    "' is not one of the reference images");
      }
      if (policy.zscore && references_.empty()) {
        throw std::invalid_argument(
            "xdream::rig::RigObjective: z-scoring a pattern needs reference images");
      }
    }
    transport_->open(RigSession{state_.session, state_.channels});
  }

  RigObjective(const RigObjective&) = delete;
  RigObjective& operator=(const RigObjective&) = delete;
  RigObjective(RigObjective&&) noexcept = default;
  RigObjective& operator=(RigObjective&&) noexcept = default;

  /// Shows `images` (one generation) and returns their scores (NaN: no response after every
  /// re-show). Throws RigStop to end the session cleanly. For a session of one optimizer.
  Scores evaluate(const RigImages& images) {
    if (options_.thread_count() != 1) {
      throw std::logic_error(
          "xdream::rig::RigObjective: a session of several optimizers is evaluated with "
          "evaluate_threads");
    }
    return std::move(evaluate_threads({&images}).front());
  }

  /// Shows one generation of every optimizer of the session together: `images[t]` is thread
  /// t's (nullptr: the thread is done and shows nothing). Every block holds the images of the
  /// threads still waiting for scores and the reference images, shuffled; responses are
  /// routed back by stimulus id and scored with each thread's own policy. A thread with too
  /// few responses is shown again (a new attempt, its images only); the others keep their
  /// scores. Returns one Scores per thread (empty for a thread that showed nothing).
  std::vector<Scores> evaluate_threads(const std::vector<const RigImages*>& images) {
    const std::size_t threads = options_.thread_count();
    if (images.size() != threads) {
      throw std::invalid_argument("xdream::rig::RigObjective: " + std::to_string(images.size()) +
                                  " threads' images for a session of " + std::to_string(threads));
    }
    const std::uint32_t generation = state_.generation;
    std::vector<std::vector<RigStimulus>> synthetic(threads);
    std::vector<bool> waiting(threads, false);
    for (std::size_t t = 0; t < threads; ++t) {
      if (images[t] == nullptr) continue;
      if (images[t]->empty()) throw std::invalid_argument("xdream::rig::RigObjective: no images");
      waiting[t] = true;
      const std::string prefix = state_.session +
                                 (options_.threads.empty() ? "" : "-" + options_.threads[t].name) +
                                 "-g" + std::to_string(generation) + "-";
      for (std::size_t i = 0; i < images[t]->size(); ++i) {
        const std::string id = prefix + std::to_string(i);
        check_image((*images[t])[i], id);
        synthetic[t].push_back({id, StimulusKind::synthetic,
                                std::make_shared<const RigImage>((*images[t])[i]),
                                static_cast<int>(t)});
      }
    }
    if (std::find(waiting.begin(), waiting.end(), true) == waiting.end()) {
      throw std::invalid_argument("xdream::rig::RigObjective: no thread has images");
    }
    std::vector<Scores> result(threads);
    for (std::uint32_t attempt = 1;; ++attempt) {
      Collected collected;
      attempt_blocks_.clear();
      std::vector<RigStimulus> pending;
      for (std::size_t t = 0; t < threads; ++t) {
        if (waiting[t]) pending.insert(pending.end(), synthetic[t].begin(), synthetic[t].end());
      }
      for (int round = 0;; ++round) {
        run_block(make_block(generation, attempt, round > 0, pending), collected);
        pending.erase(std::remove_if(pending.begin(), pending.end(),
                                     [&](const RigStimulus& s) {
                                       return !std::isnan(score_of(collected, s.id, policy(s)));
                                     }),
                      pending.end());
        if (pending.empty() || round == options_.max_reshows) break;
        record({.kind = EntryKind::reshow,
                .generation = generation,
                .attempt = attempt,
                .reason = std::to_string(pending.size()) + " images without a response",
                .total = static_cast<int>(pending.size())});
      }
      for (std::size_t t = 0; t < threads; ++t) {
        if (!waiting[t]) continue;
        const Scores scores = generation_scores(collected, synthetic[t], options_.score_of(t));
        int valid = 0;
        for (Index i = 0; i < scores.size(); ++i) valid += std::isnan(scores[i]) ? 0 : 1;
        const auto total = static_cast<int>(synthetic[t].size());
        const double fraction = static_cast<double>(valid) / static_cast<double>(total);
        if (fraction >= options_.min_valid_fraction) {
          JournalEntry done{.kind = EntryKind::generation_done,
                            .generation = generation,
                            .attempt = attempt,
                            .valid = valid,
                            .total = total};
          done.scores.assign(scores.data(), scores.data() + scores.size());
          done.thread = thread_name(t);
          record(std::move(done));
          result[t] = scores;
          waiting[t] = false;
          continue;
        }
        const std::string who = thread_name(t).empty() ? "" : " (thread " + thread_name(t) + ")";
        const std::string why = std::to_string(valid) + " of " + std::to_string(total) +
                                " images have a response (below " +
                                short_text(options_.min_valid_fraction) + ")";
        if (static_cast<int>(attempt) > options_.max_reissues) {
          throw RigStop(StopReason::reissue_budget_exhausted,
                        "generation " + std::to_string(generation) + who + " after " +
                            std::to_string(attempt) + " attempts: " + why);
        }
        record({.kind = EntryKind::reissue,
                .generation = generation,
                .attempt = attempt + 1,
                .reason = why,
                .valid = valid,
                .total = total,
                .thread = thread_name(t)});
      }
      if (std::find(waiting.begin(), waiting.end(), true) == waiting.end()) {
        ++state_.generation;
        return result;
      }
    }
  }

  /// Takes up the blocks the journal recorded after the checkpoint this objective was restored
  /// from: the next `evaluate` re-attaches them (their images are not made or sent again, the
  /// responses already journaled count, and only what is missing is waited for).
  void recover(std::vector<RecoveredBlock> blocks) {
    for (RecoveredBlock& block : blocks) recovered_[block.number] = std::move(block);
  }

  const RigObjectiveState& state() const noexcept { return state_; }

  /// Each reference image's mean score over the session's blocks (NaN: it never had one), in
  /// the order the images were given.
  std::vector<double> reference_scores() const {
    std::vector<double> means(references_.size(), not_a_score);
    for (std::size_t r = 0; r < state_.reference_sums.size() && r < means.size(); ++r) {
      if (state_.reference_counts[r] > 0) {
        means[r] = state_.reference_sums[r] / state_.reference_counts[r];
      }
    }
    return means;
  }
  const std::string& session() const noexcept { return state_.session; }
  const RigOptions& options() const noexcept { return options_; }
  Transport& transport() noexcept { return *transport_; }

  /// The stable name that tags this objective's part of a checkpoint.
  static std::string name() { return "rig-objective"; }
  void save(io::ArchiveWriter& out) const { out.write(state_); }
  /// Restores the state; the session tag must be this objective's (a checkpoint of another
  /// session is refused: std::invalid_argument, nothing changed).
  void load(io::ArchiveReader& in) {
    RigObjectiveState state;
    in.read(state);
    if (state.session != state_.session) {
      throw std::invalid_argument("xdream::rig::RigObjective: the checkpoint is of session '" +
                                  state.session + "', not '" + state_.session + "'");
    }
    const std::size_t references = state.reference_sums.size();
    if (state.next_block < 1 || state.dead_blocks.size() != state.channels.size() ||
        state.reference_counts.size() != references ||
        (references != 0 && references != references_.size()) ||
        state.reference_baselines.size() > references_.size()) {
      throw std::invalid_argument(
          "xdream::rig::RigObjective: the checkpoint's state is damaged or of other reference "
          "images");
    }
    state_ = std::move(state);
  }

 private:
  // Per stimulus id: per presentation key (block, rep): the values by channel label.
  struct Presentation {
    std::map<std::string, double> values;
  };
  struct Collected {
    std::map<std::string, std::map<std::pair<std::uint32_t, int>, Presentation>> by_stimulus;
  };

  static void check_image(const RigImage& image, const std::string& id) {
    if ((image.channels != 1 && image.channels != 3) || image.height < 1 || image.width < 1 ||
        image.pixels.size() !=
            static_cast<std::size_t>(image.channels) * image.height * image.width) {
      throw std::invalid_argument("xdream::rig::RigObjective: image '" + id +
                                  "' is not C x H x W floats with C = 1 or 3");
    }
  }

  double now_s() const { return in_seconds(clock_->now()); }

  void record(JournalEntry entry) {
    entry.t = now_s();
    observer_->record(entry);
  }

  // A setting as an operator reads it: 0.7, not 0.69999999999999996.
  static std::string short_text(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", value);
    return text;
  }

  // A thread's name in ids and the journal; empty in a session of one optimizer.
  std::string thread_name(std::size_t t) const {
    return options_.threads.empty() ? std::string() : options_.threads[t].name;
  }

  // The policy that scores a stimulus: its thread's; a reference image's is the first thread's.
  const ScorePolicy& policy(const RigStimulus& s) const {
    return options_.score_of(s.thread >= 0 ? static_cast<std::size_t>(s.thread) : 0);
  }

  // The policy's value of one presentation (the mean over its labels; a pattern's too, for
  // the check that a stimulus has a response); NaN when a label is missing or not a number.
  static double presentation_value(const Presentation& p, const ScorePolicy& policy) {
    double sum = 0.0;
    for (const std::string& label : policy.labels) {
      const auto it = p.values.find(label);
      if (it == p.values.end() || !std::isfinite(it->second)) return not_a_score;
      sum += it->second;
    }
    return sum / static_cast<double>(policy.labels.size());
  }

  // A stimulus's score: the mean over its valid presentations; NaN when it has none.
  static double score_of(const Collected& collected, const std::string& id,
                         const ScorePolicy& policy) {
    const auto it = collected.by_stimulus.find(id);
    if (it == collected.by_stimulus.end()) return not_a_score;
    double sum = 0.0;
    int n = 0;
    for (const auto& [key, presentation] : it->second) {
      const double v = presentation_value(presentation, policy);
      if (!std::isnan(v)) sum += v, ++n;
    }
    return n > 0 ? sum / n : not_a_score;
  }

  // One thread's scores of the generation from everything its attempt collected.
  Scores generation_scores(const Collected& collected, const std::vector<RigStimulus>& synthetic,
                           const ScorePolicy& policy) const {
    Scores scores(static_cast<Index>(synthetic.size()));
    if (policy.kind != ScorePolicy::Kind::pattern) {
      for (std::size_t i = 0; i < synthetic.size(); ++i)
        scores[static_cast<Index>(i)] = score_of(collected, synthetic[i].id, policy);
      return scores;
    }
    const std::optional<PopulationPattern> pattern = generation_pattern(collected, policy);
    for (std::size_t i = 0; i < synthetic.size(); ++i) {
      scores[static_cast<Index>(i)] =
          pattern ? pattern_score(collected, synthetic[i].id, *pattern, policy) : not_a_score;
    }
    return scores;
  }

  // A presentation's responses on the pattern's channels, in their order; nothing when one is
  // missing or not a number.
  static std::optional<Eigen::VectorXd> presentation_vector(const Presentation& p,
                                                            const ScorePolicy& policy) {
    const std::vector<std::string>& labels = policy.labels;
    Eigen::VectorXd v(static_cast<Index>(labels.size()));
    for (std::size_t c = 0; c < labels.size(); ++c) {
      const auto it = p.values.find(labels[c]);
      if (it == p.values.end() || !std::isfinite(it->second)) return std::nullopt;
      v[static_cast<Index>(c)] = it->second;
    }
    return v;
  }

  // The pattern of this generation: its target (given, or the named reference image's mean
  // response) and z statistics (the reference images' presentations); nothing when it cannot
  // be formed.
  std::optional<PopulationPattern> generation_pattern(const Collected& collected,
                                                      const ScorePolicy& policy) const {
    const auto n = static_cast<Index>(policy.labels.size());
    std::vector<Eigen::VectorXd> all, named;
    for (const RigStimulus& reference : references_) {
      const auto it = collected.by_stimulus.find(reference.id);
      if (it == collected.by_stimulus.end()) continue;
      for (const auto& [key, presentation] : it->second) {
        const std::optional<Eigen::VectorXd> v = presentation_vector(presentation, policy);
        if (!v) continue;
        all.push_back(*v);
        if (reference.id == "ref-" + policy.target_reference) named.push_back(*v);
      }
    }
    PopulationPattern pattern;
    pattern.measure = policy.measure;
    if (!policy.target.empty()) {
      pattern.target = Eigen::Map<const Eigen::VectorXd>(policy.target.data(), n);
    } else {
      if (named.empty()) return std::nullopt;
      pattern.target = Eigen::VectorXd::Zero(n);
      for (const Eigen::VectorXd& v : named) pattern.target += v;
      pattern.target /= static_cast<double>(named.size());
    }
    if (policy.zscore) {
      if (all.empty()) return std::nullopt;
      Eigen::MatrixXd responses(n, static_cast<Index>(all.size()));
      for (std::size_t j = 0; j < all.size(); ++j) responses.col(static_cast<Index>(j)) = all[j];
      pattern.zscore = ZScore::of(responses);
    }
    try {
      pattern.validate(n);
    } catch (const std::invalid_argument&) {
      return std::nullopt;  // e.g. a target with no direction for a cosine
    }
    return pattern;
  }

  // A stimulus's pattern score: the mean over its valid presentations; NaN when it has none.
  static double pattern_score(const Collected& collected, const std::string& id,
                              const PopulationPattern& pattern, const ScorePolicy& policy) {
    const auto it = collected.by_stimulus.find(id);
    if (it == collected.by_stimulus.end()) return not_a_score;
    double sum = 0.0;
    int n = 0;
    for (const auto& [key, presentation] : it->second) {
      const std::optional<Eigen::VectorXd> v = presentation_vector(presentation, policy);
      const double score = v ? pattern.score(*v) : not_a_score;
      if (!std::isnan(score)) sum += score, ++n;
    }
    return n > 0 ? sum / n : not_a_score;
  }

  RigBlock make_block(std::uint32_t generation, std::uint32_t attempt, bool reshow,
                      const std::vector<RigStimulus>& synthetic) {
    RigBlock block;
    block.session = state_.session;
    block.number = state_.next_block++;
    block.generation = generation;
    block.attempt = attempt;
    block.reshow = reshow;
    block.reps = options_.reps;
    block.deadline_s = options_.hard_deadline_s;
    block.stimuli = synthetic;
    block.stimuli.insert(block.stimuli.end(), references_.begin(), references_.end());
    Engine rng = make_stream(options_.order_seed, block.number, 0, Purpose::rig);
    for (std::size_t i = block.stimuli.size(); i > 1; --i) {  // Fisher-Yates
      boost::random::uniform_int_distribution<std::size_t> pick(0, i - 1);
      std::swap(block.stimuli[i - 1], block.stimuli[pick(rng)]);
    }
    if (const auto it = recovered_.find(block.number); it != recovered_.end()) {
      reattach(block, it->second);
    }
    return block;
  }

  // A block the journal had: its order and ids as shown; they must be this generation's.
  void reattach(RigBlock& block, const RecoveredBlock& recovered) {
    std::map<std::string, RigStimulus> by_id;
    for (const RigStimulus& s : block.stimuli) by_id.emplace(s.id, s);
    if (recovered.generation != block.generation || recovered.attempt != block.attempt ||
        recovered.stim_ids.size() != by_id.size()) {
      throw std::runtime_error("xdream::rig: the journal's block " + std::to_string(block.number) +
                               " is not the one the resumed session makes (generation " +
                               std::to_string(recovered.generation) + " vs " +
                               std::to_string(block.generation) + ")");
    }
    block.stimuli.clear();
    for (const std::string& id : recovered.stim_ids) {
      const auto it = by_id.find(id);
      if (it == by_id.end()) {
        throw std::runtime_error("xdream::rig: the journal's block " +
                                 std::to_string(block.number) + " shows '" + id +
                                 "', which the resumed session does not have");
      }
      block.stimuli.push_back(it->second);
    }
    block.reattached = true;
  }

  void run_block(const RigBlock& block, Collected& collected) {
    if (options_.stop_requested && options_.stop_requested->load()) {
      throw RigStop(StopReason::operator_abort,
                    "the operator asked to stop before block " + std::to_string(block.number));
    }
    const RigTime start = clock_->now();
    const RecoveredBlock* recovered = nullptr;
    if (const auto it = recovered_.find(block.number); it != recovered_.end()) {
      recovered = &it->second;
    }
    current_ = &attempt_blocks_[block.number];
    for (const RigStimulus& s : block.stimuli) current_->kinds.emplace(s.id, s.kind);
    record({.kind = recovered ? EntryKind::block_reattached : EntryKind::block_submitted,
            .block = block.number,
            .generation = block.generation,
            .attempt = block.attempt,
            .submitted = &block,
            .total = static_cast<int>(block.stimuli.size())});
    bool complete = false;
    if (recovered) {
      for (const JournalResponse& r : recovered->responses) {
        current_->seen.emplace(r.stim_id, r.rep);
        collected.by_stimulus[r.stim_id][{block.number, r.rep}].values[r.channel] = r.value;
        current_->presentations[{r.stim_id, r.rep}].values[r.channel] = r.value;
      }
      for (const auto& [number, r] : recovered->late) {
        const auto earlier = attempt_blocks_.find(number);
        if (earlier == attempt_blocks_.end()) continue;
        earlier->second.seen.emplace(r.stim_id, r.rep);
        earlier->second.presentations[{r.stim_id, r.rep}].values[r.channel] = r.value;
        collected.by_stimulus[r.stim_id][{number, r.rep}].values[r.channel] = r.value;
      }
      complete = recovered->closed;
    }
    if (!complete) transport_->submit(block);

    RigTime last_activity = clock_->now();
    const RigTime soft_at = start + seconds(options_.soft_deadline_s());
    bool warned = false;
    std::string closed_because = complete ? "complete" : "";
    while (!complete) {
      if (options_.stop_requested && options_.stop_requested->load()) {
        throw RigStop(StopReason::operator_abort,
                      "the operator asked to stop during block " + std::to_string(block.number));
      }
      const RigTime now = clock_->now();
      const RigTime hard_at = last_activity + seconds(options_.hard_deadline_s);
      if (now >= hard_at) {
        closed_because = "timeout";
        break;
      }
      RigTime until = std::min(hard_at, now + seconds(1.0));  // stop requests are seen each second
      if (!warned) until = std::min(until, std::max(soft_at, now));
      for (RigEvent& event : transport_->poll(until)) {
        if (handle(event, block, collected, last_activity)) complete = true;
      }
      if (!warned && clock_->now() >= soft_at && !complete) {
        warned = true;
        record({.kind = EntryKind::waiting,
                .block = block.number,
                .generation = block.generation,
                .attempt = block.attempt,
                .reason = waiting_reason(block, last_activity)});
      }
      if (complete) closed_because = "complete";
    }
    close_block(block, collected, closed_because, start);
  }

  std::string waiting_reason(const RigBlock& block, RigTime last_activity) const {
    const std::size_t expected = block.stimuli.size() * static_cast<std::size_t>(block.reps);
    return "block " + std::to_string(block.number) + " has " +
           std::to_string(current_->presentations.size()) + " of " + std::to_string(expected) +
           " presentations; no word from the rig for " +
           xdream::detail::to_text(std::round(in_seconds(clock_->now() - last_activity))) + " s" +
           (current_->paused ? " (it said it is paused)" : "") + "; closing after " +
           xdream::detail::to_text(options_.hard_deadline_s) + " s without progress";
  }

  // One event; returns whether the block is now complete.
  bool handle(RigEvent& event, const RigBlock& block, Collected& collected,
              RigTime& last_activity) {
    if (auto* ack = std::get_if<Ack>(&event)) {
      record({.kind = EntryKind::ack, .block = ack->block, .reason = ack_text(*ack)});
      return false;
    }
    if (auto* progress = std::get_if<Progress>(&event)) {
      if (progress->block == block.number) {
        last_activity = clock_->now();
        current_->paused = progress->paused;
      }
      record({.kind = EntryKind::progress,
              .block = progress->block,
              .done = progress->done,
              .paused = progress->paused});
      return false;
    }
    if (auto* up = std::get_if<PeerUp>(&event)) {
      record({.kind = EntryKind::peer_up, .reason = up->name});
      return false;
    }
    if (auto* down = std::get_if<PeerDown>(&event)) {
      record({.kind = EntryKind::peer_down, .reason = down->reason});
      return false;
    }
    if (auto* fault = std::get_if<Fault>(&event)) {
      record({.kind = EntryKind::fault,
              .block = block.number,
              .reason = fault->kind + ": " + fault->message,
              .source = fault->source});
      return false;
    }
    return accept(std::get<Responses>(event), block, collected, last_activity);
  }

  static std::string ack_text(const Ack& ack) {
    std::string text = std::to_string(ack.missing.size()) + " missing, " +
                       std::to_string(ack.bad_hash.size()) + " with a bad sha256";
    for (const std::string& id : ack.bad_hash) text += " " + id;
    return text;
  }

  // Responses to the block in progress, or late ones to an earlier block of this attempt
  // (merged: the generation has not been told yet); any other block's are late and journaled.
  bool accept(Responses& responses, const RigBlock& block, Collected& collected,
              RigTime& last_activity) {
    std::vector<std::string> channels = responses.channels;
    if (channels.empty()) {
      for (std::size_t c = 0; c < (responses.rows.empty() ? 0 : responses.rows[0].values.size());
           ++c) {
        channels.push_back(c < state_.channels.size() ? state_.channels[c] : std::to_string(c));
      }
    }
    JournalEntry rejected{
        .kind = EntryKind::rejected, .block = responses.block, .source = responses.source};
    const auto record_it = attempt_blocks_.find(responses.block);
    if (record_it == attempt_blocks_.end()) {
      rejected.reason = "late: block " + std::to_string(responses.block) +
                        " belongs to a generation or attempt already decided";
      for (const auto& row : responses.rows)
        append(rejected, row, channels, StimulusKind::synthetic);
      record(std::move(rejected));
      return false;
    }
    BlockRecord& target = record_it->second;
    const bool late = &target != current_;
    if (!check_channels(channels, responses)) return false;
    if (responses.transposed) {
      record({.kind = EntryKind::fault,
              .block = responses.block,
              .reason = "transposed: the file's matrix was images x channels; read as such",
              .source = responses.source});
    }
    if (!late) last_activity = clock_->now();
    JournalEntry accepted{.kind = EntryKind::responses,
                          .block = responses.block,
                          .generation = block.generation,
                          .attempt = block.attempt,
                          .channels = channels,
                          .reason = late ? "late, merged: the generation was not told yet" : "",
                          .source = responses.source};
    JournalEntry duplicate = rejected, unknown = rejected, conflict = rejected;
    duplicate.reason = "duplicate: already received";
    unknown.reason = "unknown: names no stimulus of this block";
    conflict.reason = "conflict: a different value for a response already received; the first kept";
    for (const auto& row : responses.rows) {
      const auto kind = target.kinds.find(row.stim_id);
      if (row.stim_id.empty() || kind == target.kinds.end() ||
          row.values.size() != channels.size()) {
        append(unknown, row, channels, StimulusKind::synthetic);
        continue;
      }
      if (!target.seen.emplace(row.stim_id, row.rep).second) {
        Presentation& first = target.presentations[{row.stim_id, row.rep}];
        bool same = true;
        for (std::size_t c = 0; c < channels.size(); ++c) {
          const auto it = first.values.find(channels[c]);
          const double a = it == first.values.end() ? not_a_score : it->second;
          const double b = row.values[c];
          same = same && ((std::isnan(a) && std::isnan(b)) || a == b);
        }
        append(same ? duplicate : conflict, row, channels, kind->second);
        continue;
      }
      Presentation& presentation = target.presentations[{row.stim_id, row.rep}];
      Presentation& stored = collected.by_stimulus[row.stim_id][{responses.block, row.rep}];
      for (std::size_t c = 0; c < channels.size(); ++c) {
        presentation.values[channels[c]] = row.values[c];
        stored.values[channels[c]] = row.values[c];
      }
      append(accepted, row, channels, kind->second);
    }
    if (!accepted.responses.empty()) record(std::move(accepted));
    for (JournalEntry* entry : {&duplicate, &conflict, &unknown}) {
      if (!entry->responses.empty()) record(std::move(*entry));
    }
    if (late) return false;
    const std::size_t expected = block.stimuli.size() * static_cast<std::size_t>(block.reps);
    return responses.final || target.seen.size() >= expected;
  }

  static void append(JournalEntry& entry, const Responses::Row& row,
                     const std::vector<std::string>& channels, StimulusKind kind) {
    for (std::size_t c = 0; c < row.values.size(); ++c) {
      entry.responses.push_back({row.stim_id.empty() ? row.shown : row.stim_id, kind, row.rep,
                                 c < channels.size() ? channels[c] : std::to_string(c),
                                 row.values[c]});
    }
  }

  // The responses' channels must hold the score's labels; the session's set is learned from
  // the first block and watched after.
  bool check_channels(const std::vector<std::string>& channels, const Responses& responses) {
    std::vector<std::string> labels;
    for (std::size_t t = 0; t < options_.thread_count(); ++t) {
      for (const std::string& label : options_.score_of(t).labels) {
        if (std::find(labels.begin(), labels.end(), label) == labels.end()) labels.push_back(label);
      }
    }
    for (const std::string& label : labels) {
      if (std::find(channels.begin(), channels.end(), label) == channels.end()) {
        JournalEntry entry{.kind = EntryKind::rejected,
                           .block = responses.block,
                           .reason = "channels: the score's channel '" + label +
                                     "' is not among the file's " +
                                     std::to_string(channels.size()) + " channels",
                           .source = responses.source};
        for (const auto& row : responses.rows)
          append(entry, row, channels, StimulusKind::synthetic);
        record(std::move(entry));
        return false;
      }
    }
    if (state_.channels.empty()) {
      state_.channels = channels;
      state_.dead_blocks.assign(channels.size(), 0);
    } else if (channels != state_.channels) {
      record({.kind = EntryKind::alarm,
              .block = responses.block,
              .channels = channels,
              .reason = "channels changed: " + std::to_string(channels.size()) +
                        " channels in this block, " + std::to_string(state_.channels.size()) +
                        " before",
              .source = responses.source});
    }
    return true;
  }

  void close_block(const RigBlock& block, const Collected& collected, const std::string& reason,
                   RigTime start) {
    int valid = 0, total = 0;
    for (const RigStimulus& s : block.stimuli) {
      if (s.kind == StimulusKind::synthetic) {
        ++total;
        valid += std::isnan(score_of_block(s)) ? 0 : 1;
      }
    }
    (void)collected;
    // The reference images' responses in this block, in the session's order (NaN: none).
    std::vector<double> references(references_.size());
    double reference_sum = 0.0;
    int reference_n = 0;
    state_.reference_sums.resize(references_.size(), 0.0);
    state_.reference_counts.resize(references_.size(), 0);
    for (std::size_t r = 0; r < references_.size(); ++r) {
      references[r] = score_of_block(references_[r]);
      if (std::isnan(references[r])) continue;
      reference_sum += references[r], ++reference_n;
      state_.reference_sums[r] += references[r];
      ++state_.reference_counts[r];
    }
    const double drift = reference_drift(references);
    record({.kind = EntryKind::block_closed,
            .block = block.number,
            .generation = block.generation,
            .attempt = block.attempt,
            .reason = reason,
            .valid = valid,
            .total = total,
            .seconds = in_seconds(clock_->now() - start),
            .reference_mean = reference_n > 0 ? reference_sum / reference_n : not_a_score,
            .reference_drift = drift});
    if constexpr (requires { transport_->retire(block.number); }) transport_->retire(block.number);
    watch(block, drift);
  }

  // The reference images' responses in this block against their own first responses: the sum
  // over the images that responded here (and whose baseline is complete) of their responses,
  // over the sum of their baseline means. A fixation break on one image changes which images
  // are compared, never the ratio's meaning. NaN while no image can be compared. Responses
  // that fill a baseline are kept for it.
  double reference_drift(const std::vector<double>& responses) {
    auto& baselines = state_.reference_baselines;
    if (baselines.size() != responses.size()) baselines.assign(responses.size(), {});
    const auto length = static_cast<std::size_t>(options_.drift_baseline_blocks);
    double now = 0.0, before = 0.0;
    bool compared = false;
    for (std::size_t r = 0; r < responses.size(); ++r) {
      if (std::isnan(responses[r])) continue;
      std::vector<double>& baseline = baselines[r];
      if (baseline.size() < length) {
        baseline.push_back(responses[r]);
        continue;
      }
      double mean = 0.0;
      for (double v : baseline) mean += v;
      now += responses[r];
      before += mean / static_cast<double>(baseline.size());
      compared = true;
    }
    return compared && before > 0.0 ? now / before : not_a_score;
  }

  // The score of a stimulus from this block's presentations alone.
  double score_of_block(const RigStimulus& s) const {
    double sum = 0.0;
    int n = 0;
    for (const auto& [key, presentation] : current_->presentations) {
      if (key.first != s.id) continue;
      const double v = presentation_value(presentation, policy(s));
      if (!std::isnan(v)) sum += v, ++n;
    }
    return n > 0 ? sum / n : not_a_score;
  }

  // The alarms: reference drift and dead channels.
  void watch(const RigBlock& block, double drift) {
    if (drift < options_.drift_alarm_fraction) {
      record({.kind = EntryKind::alarm,
              .block = block.number,
              .reason = "reference drift: the reference images respond at " +
                        xdream::detail::to_text(std::round(drift * 1000.0) / 1000.0) +
                        " x their first blocks' responses, below " +
                        xdream::detail::to_text(options_.drift_alarm_fraction) + " (unit lost?)",
              .reference_drift = drift});
    }
    for (std::size_t c = 0; c < state_.channels.size(); ++c) {
      double lo = INFINITY, hi = -INFINITY;
      for (const auto& [key, presentation] : current_->presentations) {
        const auto it = presentation.values.find(state_.channels[c]);
        if (it != presentation.values.end() && std::isfinite(it->second)) {
          lo = std::min(lo, it->second);
          hi = std::max(hi, it->second);
        }
      }
      const bool dead = !(hi > lo);  // all NaN, or flat
      state_.dead_blocks[c] = dead ? state_.dead_blocks[c] + 1 : 0;
      if (dead && state_.dead_blocks[c] == options_.dead_channel_blocks) {
        record({.kind = EntryKind::alarm,
                .block = block.number,
                .reason = "channel '" + state_.channels[c] + "' has been " +
                          (hi == lo ? "flat" : "NaN") + " for " +
                          std::to_string(options_.dead_channel_blocks) + " blocks"});
      }
    }
  }

  // What a block of the attempt in progress has received.
  struct BlockRecord {
    std::map<std::string, StimulusKind> kinds;
    std::set<std::pair<std::string, int>> seen;  // (stim_id, rep): de-duplication
    std::map<std::pair<std::string, int>, Presentation> presentations;
    bool paused = false;
  };

  Transport* transport_;
  Clock* clock_;
  Observer* observer_;
  RigOptions options_;
  RigObjectiveState state_;
  std::vector<RigStimulus> references_;
  std::map<std::uint32_t, RecoveredBlock> recovered_;
  std::map<std::uint32_t, BlockRecord> attempt_blocks_;  // the blocks of the attempt in progress
  BlockRecord* current_ = nullptr;                       // the one running now
};

}  // namespace xdream::rig
