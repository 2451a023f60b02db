#pragma once
/// @file
/// The driver: owns the closed loop ask -> generate -> evaluate -> tell (design section 1).

#include <xdream/budget.hpp>
#include <xdream/concepts.hpp>
#include <xdream/detail/check_scores.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/genetic/genetic.hpp>
#include <xdream/population.hpp>
#include <xdream/result.hpp>

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace xdream {

/// What the driver carries from one `run` to the next (checkpointing): with the algorithm's own
/// state, `Optimizer::restore` continues a run bit-identically (io/checkpoint.hpp does both).
struct OptimizerState {
  /// Generations evaluated so far (the next one gets this number).
  std::uint32_t generation = 0;
  /// Stimuli presented so far.
  std::uint64_t total_stimuli = 0;
  /// Best so far by score (empty code: none yet).
  Best best;
  /// Best so far by clean score (empty code: none yet, or the objective reports none).
  Best best_clean;

  /// All fields, in a fixed order: the checkpoint format (io/archive.hpp).
  auto tie() { return std::tie(generation, total_stimuli, best, best_clean); }
  auto tie() const { return std::tie(generation, total_stimuli, best, best_clean); }
};

/// Drives an Algorithm through a Generator and an Objective for a budget.
///
/// Each generation: `codes = algorithm.ask()`, `stimuli = generator.generate(codes)`,
/// `scores = objective.evaluate(stimuli)`, statistics and best-so-far are updated, callbacks
/// see a GenerationReport (any may stop the run), then `algorithm.tell(scores)`.
///
/// The parts are held by value; a part that must be shared can be given as a reference type
/// (`Optimizer<MyGen&, MyObj&>`).
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

 public:
  /// Uses the given algorithm; its code size must equal the generator's.
  Optimizer(G generator, O objective, A algorithm)
      : generator_(std::forward<G>(generator)),
        objective_(std::forward<O>(objective)),
        algorithm_(std::forward<A>(algorithm)) {
    check_sizes();
  }

  /// Builds the algorithm from the generator's code size with its default settings.
  Optimizer(G generator, O objective)
    requires std::constructible_from<std::remove_cvref_t<A>, Index>
      : generator_(std::forward<G>(generator)),
        objective_(std::forward<O>(objective)),
        algorithm_(static_cast<Index>(generator_.code_size())) {
    check_sizes();
  }

  /// Runs for `budget` (counted from this call; a second call continues the search).
  /// Callbacks are optional observers (see the Callback concept).
  template <class... Callbacks>
  Result run(Budget budget, Callbacks&&... callbacks) {
    static_assert((detail::check_callback<std::remove_cvref_t<Callbacks>>() && ... && true));
    check_budget(budget);
    const auto start = std::chrono::steady_clock::now();
    Result result;
    (call_on_start(callbacks, algorithm_.ask()), ...);
    while (fits(budget, result)) {
      const Population& codes = algorithm_.ask();
      const Index n = codes.cols();
      Scores scores = objective_.evaluate(generator_.generate(codes));
      detail::check_scores("xdream::Optimizer: the objective", scores, n);
      const Scores* clean = &empty_;
      if constexpr (ReportsCleanScores<std::remove_cvref_t<O>>) {
        clean = &objective_.clean_scores();
        detail::check_scores("xdream::Optimizer: the objective's clean scores", *clean, n);
      }
      result.stimuli += static_cast<std::uint64_t>(n);
      GenerationStats stats = summarize(scores, *clean);
      stats.generation = generation_++;
      stats.stimuli = (total_stimuli_ += static_cast<std::uint64_t>(n));
      stats.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      track(codes, scores, *clean, stats.generation, result);
      result.history.push_back(stats);
      ++result.generations;

      const GenerationReport report{result.history.back(), codes, scores, *clean, result.best};
      (void)report;  // unused when there are no callbacks
      bool stop = false;
      ((stop = call_on_generation(callbacks, report) || stop), ...);
      algorithm_.tell(scores);
      if (stop) {
        result.stopped_early = true;
        break;
      }
    }
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    (call_on_finish(callbacks, result), ...);
    return result;
  }

  std::remove_reference_t<G>& generator() noexcept { return generator_; }
  std::remove_reference_t<O>& objective() noexcept { return objective_; }
  std::remove_reference_t<A>& algorithm() noexcept { return algorithm_; }
  const std::remove_reference_t<A>& algorithm() const noexcept { return algorithm_; }

  /// The driver's part of a checkpoint: generation and stimulus counters and the best so far.
  /// Save it with the algorithm's `state()`; restoring both continues the run bit-identically
  /// (the next `run` numbers generations and counts stimuli on, and keeps the best so far).
  OptimizerState state() const { return {generation_, total_stimuli_, best_, best_clean_}; }

  /// Continues from a saved driver state (restore the algorithm's state too). Throws
  /// std::invalid_argument, changing nothing, when a best code's length is not the code size.
  void restore(OptimizerState state) {
    const auto n = static_cast<Index>(algorithm_.code_size());
    const auto check = [n](const Best& best, const char* which) {
      if (best.found() && best.code.size() != n) {
        throw std::invalid_argument(
            "xdream::Optimizer::restore: the state's " + std::string(which) + " code has length " +
            std::to_string(best.code.size()) + "; the code size is " + std::to_string(n));
      }
    };
    check(state.best, "best");
    check(state.best_clean, "best_clean");
    generation_ = state.generation;
    total_stimuli_ = state.total_stimuli;
    best_ = std::move(state.best);
    best_clean_ = std::move(state.best_clean);
  }

 private:
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

  bool fits(Budget budget, const Result& result) const {
    if (budget.unit == Budget::Unit::generations) return result.generations < budget.count;
    return result.stimuli + static_cast<std::uint64_t>(algorithm_.population_size()) <=
           budget.count;
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
      consider(best_, RankBy::score, codes, i, scores[i], c, generation);
      if (has_clean) consider(best_clean_, RankBy::clean_score, codes, i, scores[i], c, generation);
    }
    if (has_clean) result.best_clean = best_clean_;
    result.best = best_;
  }

  template <class C>
  static void call_on_start(C& callback, const Population& codes) {
    if constexpr (detail::has_on_start<std::remove_cvref_t<C>>) callback.on_start(codes);
  }
  template <class C>
  static bool call_on_generation(C& callback, const GenerationReport& report) {
    if constexpr (detail::has_on_generation<std::remove_cvref_t<C>>) {
      if constexpr (std::is_convertible_v<decltype(callback.on_generation(report)), bool>) {
        return static_cast<bool>(callback.on_generation(report));
      } else {
        callback.on_generation(report);
      }
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
  std::uint32_t generation_ = 0;
  std::uint64_t total_stimuli_ = 0;
  Best best_;
  Best best_clean_;
  Scores empty_;
};

template <class G, class O>
Optimizer(G, O) -> Optimizer<G, O>;
template <class G, class O, class A>
Optimizer(G, O, A) -> Optimizer<G, O, A>;

}  // namespace xdream
