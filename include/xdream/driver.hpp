#pragma once
/// @file
/// The driver: owns the closed loop ask -> generate -> evaluate -> tell, the budget, the best so
/// far, the run's history and the callbacks that observe it.

#include <xdream/budget.hpp>
#include <xdream/concepts.hpp>
#include <xdream/detail/check_scores.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/genetic/fwd.hpp>
#include <xdream/io/encoding.hpp>
#include <xdream/population.hpp>
#include <xdream/result.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace xdream {

/// What the driver carries from one `run` to the next: with the algorithm's own state,
/// `Optimizer::restore` continues a run bit-identically (`Optimizer::save`/`load` and
/// io/checkpoint.hpp do both).
struct OptimizerState {
  /// Generations evaluated so far (the next one gets this number).
  std::uint32_t generation = 0;
  /// Stimuli presented so far.
  std::uint64_t total_stimuli = 0;
  /// Best so far by score (empty code: none yet).
  Best best;
  /// Best so far by clean score (empty code: none yet, or the objective reports none).
  Best best_clean;
  /// Every generation's statistics, from the first.
  std::vector<GenerationStats> history;
  /// Wall time of the generations so far (what `GenerationStats::seconds` counts on from).
  double seconds = 0.0;
  /// The codes of the last generation evaluated (empty before the first).
  Population last_codes;

  /// All fields, in a fixed order: the checkpoint format (io/encoding.hpp).
  auto tie() {
    return std::tie(generation, total_stimuli, best, best_clean, history, seconds, last_codes);
  }
  auto tie() const {
    return std::tie(generation, total_stimuli, best, best_clean, history, seconds, last_codes);
  }
};

/// Drives an Algorithm through a Generator and an Objective for a budget.
///
/// Each generation: `codes = algorithm.ask()`, `stimuli = generator.generate(codes)`,
/// `scores = objective.evaluate(stimuli)`; the statistics, the best so far and the history are
/// updated; callbacks see a StimuliReport (`on_generation`); the algorithm is told the scores;
/// callbacks see a TellReport and the optimizer (`on_tell`: the place to checkpoint). Any
/// callback may stop the run. The driver times each step (GenerationTimings).
///
/// The parts are held by value; a part that must be shared can be given as a reference type
/// (`Optimizer<MyGen&, MyObj&>`).
///
/// The Optimizer is Checkpointable when its algorithm is: `save` writes the driver's state, the
/// algorithm's, and the objective's and generator's when they are Checkpointable too (a noise
/// model's stream position); `load` reads them back into an optimizer built the same way.
///
/// @tparam G a Generator
/// @tparam O an Objective of the Generator's stimuli
/// @tparam A an Algorithm over codes of `G::code_size()` (default: Genetic<>, the paper's GA)
template <class G, class O, class A = Genetic<>>
class Optimizer {
  static_assert(detail::check_generator<std::remove_cvref_t<G>>());
  static_assert(
      detail::check_objective<std::remove_cvref_t<O>, stimuli_t<std::remove_cvref_t<G>>>());
  static_assert(detail::check_algorithm<std::remove_cvref_t<A>>());

  using Stimuli = std::remove_cvref_t<stimuli_t<std::remove_cvref_t<G>>>;

 public:
  /// What `on_generation` callbacks receive.
  using Report = StimuliReport<Stimuli>;

  /// Uses the given algorithm; its code size must equal the generator's.
  Optimizer(G generator, O objective, A algorithm)
      : generator_(std::forward<G>(generator)),
        objective_(std::forward<O>(objective)),
        algorithm_(std::forward<A>(algorithm)) {
    check_sizes();
  }

  /// Builds the algorithm from the generator's code size with its default settings.
  Optimizer(G generator,
            O objective) requires std::constructible_from<std::remove_cvref_t<A>, Index>
      : generator_(std::forward<G>(generator)),
        objective_(std::forward<O>(objective)),
        algorithm_(static_cast<Index>(generator_.code_size())) {
    check_sizes();
  }

  /// Runs for `budget`, counted from this call (a second call continues the search).
  /// Callbacks are optional observers (see the Callback concept).
  template <class... Callbacks>
  Result run(Budget budget, Callbacks&&... callbacks) {
    check_budget(budget);
    const std::uint32_t generations_before = state_.generation;
    const std::uint64_t stimuli_before = state_.total_stimuli;
    return loop(
        [&] {
          return fits(budget, state_.generation - generations_before,
                      state_.total_stimuli - stimuli_before);
        },
        callbacks...);
  }

  /// Runs until the run as a whole has spent `budget`: counted from its first generation, the
  /// generations of earlier calls and of a restored state included. A run restored from a
  /// checkpoint thus finishes exactly the budget it started with; a spent budget runs nothing
  /// (the callbacks still see `on_start` and `on_finish`).
  template <class... Callbacks>
  Result run_until(Budget budget, Callbacks&&... callbacks) {
    check_budget(budget);
    return loop([&] { return fits(budget, state_.generation, state_.total_stimuli); },
                callbacks...);
  }

  std::remove_reference_t<G>& generator() noexcept { return generator_; }
  const std::remove_reference_t<G>& generator() const noexcept { return generator_; }
  std::remove_reference_t<O>& objective() noexcept { return objective_; }
  const std::remove_reference_t<O>& objective() const noexcept { return objective_; }
  std::remove_reference_t<A>& algorithm() noexcept { return algorithm_; }
  const std::remove_reference_t<A>& algorithm() const noexcept { return algorithm_; }

  /// Every generation's statistics since the run began (`Result::history` holds one call's).
  const std::vector<GenerationStats>& history() const noexcept { return state_.history; }
  /// The codes of the last generation evaluated (empty before the first).
  const Population& last_codes() const noexcept { return state_.last_codes; }

  /// The driver's part of a checkpoint: counters, best so far, history, seconds, last codes.
  /// Save it with the algorithm's state; restoring both continues the run bit-identically (the
  /// next `run` numbers generations and counts stimuli on, and keeps the best so far).
  OptimizerState state() const { return state_; }

  /// Continues from a saved driver state (restore the algorithm's state too). Throws
  /// std::invalid_argument, changing nothing, when a code's length is not the code size.
  void restore(OptimizerState state) {
    const auto n = static_cast<Index>(algorithm_.code_size());
    const auto check = [n](Index size, const char* which) {
      if (size != n) {
        throw std::invalid_argument("xdream::Optimizer::restore: the state's " +
                                    std::string(which) + " has length " + std::to_string(size) +
                                    "; the code size is " + std::to_string(n));
      }
    };
    if (state.best.found()) check(state.best.code.size(), "best code");
    if (state.best_clean.found()) check(state.best_clean.code.size(), "best_clean code");
    if (state.last_codes.size() > 0) check(state.last_codes.rows(), "last codes");
    state_ = std::move(state);
  }

  /// The algorithm's stable name: the tag of the optimizer's checkpoints.
  std::string name() const requires Checkpointable<std::remove_cvref_t<A>> {
    return algorithm_.name();
  }

  /// Appends the whole run's state to an archive: the driver's (OptimizerState), the
  /// algorithm's, then the objective's and the generator's when they are Checkpointable.
  void save(io::ArchiveWriter& out) const requires Checkpointable<std::remove_cvref_t<A>> {
    out.write(state());
    algorithm_.save(out);
    if constexpr (Checkpointable<std::remove_cvref_t<O>>) objective_.save(out);
    if constexpr (Checkpointable<std::remove_cvref_t<G>>) generator_.save(out);
  }

  /// Reads what `save` wrote, into an optimizer built as the saved one was (same parts, options
  /// and seeds). All or nothing: when any part does not fit (std::invalid_argument) or the bytes
  /// do not hold it (io::ArchiveError), the optimizer is left as it was.
  void load(io::ArchiveReader& in) requires Checkpointable<std::remove_cvref_t<A>> {
    io::ArchiveWriter previous;
    save(previous);
    try {
      load_parts(in);
    } catch (...) {
      io::ArchiveReader back(previous.bytes(), "the previous state");
      load_parts(back);
      throw;
    }
  }

 private:
  void load_parts(io::ArchiveReader& in) {
    OptimizerState driver_state;
    in.read(driver_state);
    restore(std::move(driver_state));
    algorithm_.load(in);
    if constexpr (Checkpointable<std::remove_cvref_t<O>>) objective_.load(in);
    if constexpr (Checkpointable<std::remove_cvref_t<G>>) generator_.load(in);
  }

  using Clock = std::chrono::steady_clock;
  static double since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  }

  template <class Fits, class... Callbacks>
  Result loop(Fits&& budget_left, Callbacks&... callbacks) {
    static_assert((detail::check_callback<std::remove_cvref_t<Callbacks>, Report, Optimizer>() &&
                   ... && true));
    const auto start = Clock::now();
    const double seconds_before = state_.seconds;
    Result result;
    (call_on_start(callbacks, algorithm_.ask()), ...);
    while (budget_left()) {
      GenerationTimings timings;
      auto step = Clock::now();
      const Population& codes = algorithm_.ask();
      timings.ask = since(step);
      const Index n = codes.cols();

      step = Clock::now();
      decltype(auto) stimuli = generator_.generate(codes);
      timings.generate = since(step);

      step = Clock::now();
      Scores scores = objective_.evaluate(stimuli);
      timings.evaluate = since(step);
      detail::check_scores("xdream::Optimizer: the objective", scores, n);
      const Scores* clean = &empty_;
      if constexpr (ReportsCleanScores<std::remove_cvref_t<O>>) {
        clean = &objective_.clean_scores();
        detail::check_scores("xdream::Optimizer: the objective's clean scores", *clean, n);
      }

      result.stimuli += static_cast<std::uint64_t>(n);
      GenerationStats stats = summarize(scores, *clean);
      stats.generation = state_.generation++;
      stats.stimuli = (state_.total_stimuli += static_cast<std::uint64_t>(n));
      stats.seconds = seconds_before + since(start);
      track(codes, scores, *clean, stats.generation, result);
      state_.last_codes = codes;
      state_.history.push_back(stats);
      result.history.push_back(stats);
      ++result.generations;

      const Report report{{state_.history.back(), codes, scores, *clean, result.best, timings},
                          stimuli};
      bool stop = false;
      ((stop = call_on_generation(callbacks, report) || stop), ...);
      (void)report;  // unused when there are no callbacks

      step = Clock::now();
      algorithm_.tell(scores);
      timings.tell = since(step);
      state_.seconds = seconds_before + since(start);

      const TellReport told{state_.history.back(), result.best, timings, stop || !budget_left()};
      ((stop = call_on_tell(callbacks, told) || stop), ...);
      (void)told;
      if (stop) {
        result.stopped_early = true;
        break;
      }
    }
    result.seconds = since(start);
    (call_on_finish(callbacks, result), ...);
    return result;
  }

  void check_sizes() const {
    const auto generator_size = static_cast<Index>(generator_.code_size());
    const auto algorithm_size = static_cast<Index>(algorithm_.code_size());
    if (generator_size != algorithm_size) {
      throw std::invalid_argument(
          "xdream::Optimizer: the algorithm's code_size = " + std::to_string(algorithm_size) +
          " does not match the generator's code_size = " + std::to_string(generator_size));
    }
  }

  void check_budget(Budget budget) const {
    if (budget.count == 0) {
      detail::invalid("xdream::Optimizer::run", "budget", "0", ">= 1 generation or stimulus");
    }
    const auto n = static_cast<std::uint64_t>(algorithm_.population_size());
    if (budget.unit == Budget::Unit::stimuli && budget.count < n) {
      detail::invalid("xdream::Optimizer::run", "budget (stimuli)", std::to_string(budget.count),
                      ">= one generation (" + std::to_string(n) + " stimuli)");
    }
  }

  // Whether one more generation fits in `budget` after `generations` and `stimuli` were spent.
  bool fits(Budget budget, std::uint64_t generations, std::uint64_t stimuli) const {
    if (budget.unit == Budget::Unit::generations) return generations < budget.count;
    return stimuli + static_cast<std::uint64_t>(algorithm_.population_size()) <= budget.count;
  }

  static GenerationStats summarize(const Scores& scores, const Scores& clean) {
    GenerationStats stats;
    double sum = 0.0, sum_sq = 0.0, best = -INFINITY;
    Index valid = 0;
    for (Index i = 0; i < scores.size(); ++i) {
      if (std::isnan(scores[i])) continue;
      ++valid;
      sum += scores[i];
      best = std::max(best, scores[i]);
    }
    stats.missing = scores.size() - valid;
    if (valid > 0) {
      stats.best = best;
      stats.mean = sum / static_cast<double>(valid);
      for (Index i = 0; i < scores.size(); ++i) {
        if (!std::isnan(scores[i])) sum_sq += (scores[i] - stats.mean) * (scores[i] - stats.mean);
      }
      stats.std_dev = std::sqrt(sum_sq / static_cast<double>(valid));
    }
    double best_clean = -INFINITY;
    for (Index i = 0; i < clean.size(); ++i) {
      if (!std::isnan(clean[i])) best_clean = std::max(best_clean, clean[i]);
    }
    if (best_clean > -INFINITY) stats.best_clean = best_clean;
    return stats;
  }

  enum class RankBy { score, clean_score };

  // Keeps individual i if it beats `best` by the chosen key; stores both of its scores.
  static void consider(Best& best, RankBy rank_by, const Population& codes, Index i, double score,
                       double clean, std::uint32_t generation) {
    const double key = rank_by == RankBy::score ? score : clean;
    const double best_key = rank_by == RankBy::score ? best.score : best.clean_score;
    if (std::isnan(key) || (best.found() && !(key > best_key))) return;
    best.code = codes.col(i);
    best.score = score;
    best.clean_score = clean;
    best.generation = generation;
    best.index = i;
  }

  void track(const Population& codes, const Scores& scores, const Scores& clean,
             std::uint32_t generation, Result& result) {
    const bool has_clean = clean.size() == scores.size();
    for (Index i = 0; i < scores.size(); ++i) {
      const double c = has_clean ? clean[i] : not_a_score;
      consider(state_.best, RankBy::score, codes, i, scores[i], c, generation);
      if (has_clean) {
        consider(state_.best_clean, RankBy::clean_score, codes, i, scores[i], c, generation);
      }
    }
    if (has_clean) result.best_clean = state_.best_clean;
    result.best = state_.best;
  }

  // A hook's result: `true` from a hook returning something convertible to bool stops the run.
  template <class Call>
  static bool stops(Call&& call) {
    if constexpr (std::is_convertible_v<decltype(call()), bool>) {
      return static_cast<bool>(call());
    } else {
      call();
      return false;
    }
  }

  template <class C>
  static void call_on_start(C& callback, const Population& codes) {
    if constexpr (detail::has_on_start<std::remove_cvref_t<C>>) callback.on_start(codes);
  }
  template <class C>
  static bool call_on_generation(C& callback, const Report& report) {
    if constexpr (detail::has_on_generation<std::remove_cvref_t<C>, Report>) {
      return stops([&] { return callback.on_generation(report); });
    }
    return false;
  }
  template <class C>
  bool call_on_tell(C& callback, const TellReport& report) const {
    using Callback = std::remove_cvref_t<C>;
    if constexpr (requires { callback.on_tell(*this, report); }) {
      return stops([&] { return callback.on_tell(*this, report); });
    } else if constexpr (detail::has_on_tell<Callback>) {
      return stops([&] { return callback.on_tell(report); });
    }
    return false;
  }
  template <class C>
  static void call_on_finish(C& callback, const Result& result) {
    if constexpr (detail::has_on_finish<std::remove_cvref_t<C>>) callback.on_finish(result);
  }

  G generator_;
  O objective_;
  A algorithm_;
  OptimizerState state_;
  Scores empty_;
};

template <class G, class O>
Optimizer(G, O) -> Optimizer<G, O>;
template <class G, class O, class A>
Optimizer(G, O, A) -> Optimizer<G, O, A>;

}  // namespace xdream
