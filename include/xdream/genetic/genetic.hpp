#pragma once
/// @file
/// XDream's genetic algorithm, composed of Selection, Crossover and Mutation policies.

#include <xdream/concepts.hpp>
#include <xdream/detail/check_scores.hpp>
#include <xdream/detail/parallel.hpp>
#include <xdream/detail/state_checkpoint.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/genealogy.hpp>
#include <xdream/genetic/crossover/heritability.hpp>
#include <xdream/genetic/fwd.hpp>
#include <xdream/genetic/mutation/gaussian.hpp>
#include <xdream/genetic/selection/boltzmann.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <boost/random/normal_distribution.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace xdream {

/// Which of several individuals with the same score ranks first (and so is conserved first).
/// `first`: the lower column of the population (the default); `last`: the higher one, as in
/// XDream's published code (numpy's argsort, reversed).
enum class TieOrder { first, last };

/// Settings of Genetic that are not a policy's. Defaults: the paper's fc6 settings.
struct GeneticOptions {
  /// Individuals per generation; default 20; range [2, inf).
  Index population_size = 20;
  /// Best individuals copied unchanged (and scored again) each generation; default 0 (paper;
  /// the lab examples use 1); range [0, population_size).
  Index n_conserve = 0;
  /// Seed of every random stream of the run.
  std::uint64_t seed = 0;
  /// Threads used to breed a generation; results do not depend on it; range [1, inf).
  int threads = 1;
  /// Which of equal scores ranks first; default first (see TieOrder).
  TieOrder tie_order = TieOrder::first;
};

/// Everything needed to continue a run exactly (checkpointing): with the same options and
/// policies, `Genetic::restore(state())` continues bit-identically.
struct GeneticState {
  Population population;
  std::vector<Lineage> lineage;
  std::uint32_t generation = 0;
  std::uint32_t next_serial = 0;
  /// All fields, in a fixed order: the checkpoint format (io/archive.hpp).
  auto tie() { return std::tie(population, lineage, generation, next_serial); }
  auto tie() const { return std::tie(population, lineage, generation, next_serial); }
};

/// XDream's genetic algorithm (Xiao & Kreiman, PLOS Comput Biol 2020; Ponce et al., Cell 2019),
/// as an ask/tell Algorithm. One generation, given the scores of the current population
/// (the published code's rules):
/// 1. individuals with a NaN score are carried into the next generation unchanged (last slots);
/// 2. the valid scores, sorted high to low, prepare the Selection (XDream: Boltzmann roulette);
/// 3. the best `n_conserve` are copied unchanged (first slots) and are scored again;
/// 4. each remaining child: two parents drawn independently with replacement by the Selection,
///    combined by the Crossover, then perturbed by the Mutation. Codes are never clipped.
///
/// Child c of generation g draws only from stream (seed, g, c), so a seed gives the same run at
/// any thread count.
///
/// @tparam Sel Selection policy (default: BoltzmannSelection, selectivity 2)
/// @tparam Cross Crossover policy (default: HeritabilityCrossover, heritability 0.5)
/// @tparam Mut Mutation policy (default: GaussianMutation, rate 0.5, size 0.5)
template <class Sel, class Cross, class Mut>
class Genetic : public detail::StateCheckpoint<Genetic<Sel, Cross, Mut>> {
  static_assert(detail::check_selection<Sel>());
  static_assert(detail::check_crossover<Cross>());
  static_assert(detail::check_mutation<Mut>());

 public:
  using selection_type = Sel;
  using crossover_type = Cross;
  using mutation_type = Mut;

  /// Starts from i.i.d. N(0, 1) codes of length `code_size`.
  explicit Genetic(Index code_size, GeneticOptions options = {}, Sel selection = Sel(),
                   Cross crossover = Cross(), Mut mutation = Mut())
      : options_(options),
        selection_(std::move(selection)),
        crossover_(std::move(crossover)),
        mutation_(std::move(mutation)) {
    detail::require_at_least("xdream::Genetic", "code_size", code_size, Index{1});
    validate();
    current_.resize(code_size, options_.population_size);
    detail::parallel_for(options_.population_size, options_.threads, [&](Index i) {
      Engine rng =
          make_stream(options_.seed, 0, static_cast<std::uint64_t>(i), Purpose::initialize);
      boost::random::normal_distribution<float> normal(0.0f, 1.0f);
      for (Index d = 0; d < code_size; ++d) current_(d, i) = normal(rng);
    });
    start_lineage();
  }

  /// Starts from the given codes (one per column; e.g. loaded from .npy files);
  /// `options.population_size` must equal `initial.cols()`.
  Genetic(const Population& initial, GeneticOptions options, Sel selection = Sel(),
          Cross crossover = Cross(), Mut mutation = Mut())
      : options_(options),
        selection_(std::move(selection)),
        crossover_(std::move(crossover)),
        mutation_(std::move(mutation)),
        current_(initial) {
    detail::require_at_least("xdream::Genetic", "code_size (rows of the initial population)",
                             initial.rows(), Index{1});
    if (initial.cols() != options.population_size) {
      detail::invalid("xdream::Genetic", "population_size",
                      detail::to_text(options.population_size),
                      "the number of initial codes (" + detail::to_text(initial.cols()) + ")");
    }
    validate();
    if (!initial.allFinite()) {
      throw std::invalid_argument("xdream::Genetic: the initial population holds NaN or inf codes");
    }
    start_lineage();
  }

  /// The codes to present now (`code_size x population_size`).
  const Population& ask() const noexcept { return current_; }

  /// Takes one score per column of `ask()` (larger is better, NaN = no response) and breeds the
  /// next generation. Throws std::invalid_argument for a wrong count or an infinite score.
  void tell(const Scores& scores) {
    const Index n = options_.population_size;
    detail::check_scores("xdream::Genetic::tell", scores, n);

    valid_.clear();
    missing_.clear();
    for (Index i = 0; i < n; ++i) (std::isnan(scores[i]) ? missing_ : valid_).push_back(i);
    // High to low; ties in population order, or its reverse (a total order: no allocation,
    // unlike std::stable_sort, and the result does not depend on the sort algorithm).
    const bool first = options_.tie_order == TieOrder::first;
    std::sort(valid_.begin(), valid_.end(), [&](Index a, Index b) {
      return scores[a] > scores[b] || (scores[a] == scores[b] && (first ? a < b : a > b));
    });
    const auto n_valid = static_cast<Index>(valid_.size());
    const auto n_missing = static_cast<Index>(missing_.size());

    const std::uint32_t child_generation = generation_ + 1;
    next_.resize(current_.rows(), n);
    next_lineage_.resize(static_cast<std::size_t>(n));

    Index slot = 0;
    Index n_children = 0;
    if (n_valid > 0) {
      sorted_.resize(n_valid);
      for (Index k = 0; k < n_valid; ++k) sorted_[k] = scores[valid_[static_cast<std::size_t>(k)]];
      selection_.prepare(sorted_);
      if constexpr (detail::has_advance<Mut>) mutation_.advance(child_generation);

      const Index elites = std::min(options_.n_conserve, n_valid);
      for (; slot < elites; ++slot)
        copy_from(valid_[static_cast<std::size_t>(slot)], slot, Origin::conserved);
      n_children = n - elites - n_missing;
      const Index first_child = slot;
      const std::uint32_t first_serial = next_serial_;
      detail::parallel_for(n_children, options_.threads, [&](Index c) {
        Engine rng = make_stream(options_.seed, child_generation, static_cast<std::uint64_t>(c),
                                 Purpose::breed);
        const Index p1 = valid_[static_cast<std::size_t>(selection_.draw(rng))];
        const Index p2 = valid_[static_cast<std::size_t>(selection_.draw(rng))];
        auto child = next_.col(first_child + c);
        crossover_.cross(current_.col(p1), current_.col(p2), child, rng);
        const bool mutated = mutation_.mutate(child, rng);
        Lineage& record = next_lineage_[static_cast<std::size_t>(first_child + c)];
        record.id = {child_generation, first_serial + static_cast<std::uint32_t>(c)};
        record.origin = Origin::child;
        record.parent1 = lineage_[static_cast<std::size_t>(p1)].id;
        record.parent2 = lineage_[static_cast<std::size_t>(p2)].id;
        record.mutated = mutated;
      });
      next_serial_ += static_cast<std::uint32_t>(n_children);
      slot += n_children;
    }
    for (const Index i : missing_) copy_from(i, slot++, Origin::carried);

    current_.swap(next_);
    lineage_.swap(next_lineage_);
    ++generation_;
  }

  /// Number of `tell` calls so far (the generation `ask()` belongs to).
  std::uint32_t generation() const noexcept { return generation_; }
  Index code_size() const noexcept { return current_.rows(); }
  Index population_size() const noexcept { return options_.population_size; }
  /// Identity and genealogy of each column of `ask()`.
  const std::vector<Lineage>& lineage() const noexcept { return lineage_; }

  const GeneticOptions& options() const noexcept { return options_; }
  const Sel& selection() const noexcept { return selection_; }
  const Cross& crossover() const noexcept { return crossover_; }
  const Mut& mutation() const noexcept { return mutation_; }

  /// The stable name that tags this algorithm's checkpoints.
  static std::string name() { return "genetic"; }

  /// The state to checkpoint.
  GeneticState state() const { return {current_, lineage_, generation_, next_serial_}; }

  /// Continues from a checkpointed state (same options and policies as the run that saved it).
  void restore(GeneticState state) {
    if (state.population.rows() != code_size() || state.population.cols() != population_size() ||
        state.lineage.size() != static_cast<std::size_t>(population_size())) {
      throw std::invalid_argument("xdream::Genetic::restore: the state's population is " +
                                  std::to_string(state.population.rows()) + " x " +
                                  std::to_string(state.population.cols()) + " with " +
                                  std::to_string(state.lineage.size()) +
                                  " lineage records; expected " + std::to_string(code_size()) +
                                  " x " + std::to_string(population_size()));
    }
    current_ = std::move(state.population);
    lineage_ = std::move(state.lineage);
    generation_ = state.generation;
    next_serial_ = state.next_serial;
    if constexpr (detail::has_advance<Mut>) mutation_.advance(generation_);
  }

 private:
  void validate() const {
    constexpr const char* where = "xdream::Genetic";
    detail::require_at_least(where, "population_size", options_.population_size, Index{2});
    if (options_.n_conserve < 0 || options_.n_conserve >= options_.population_size) {
      detail::invalid(
          where, "n_conserve", detail::to_text(options_.n_conserve),
          "[0, population_size - 1] = [0, " + detail::to_text(options_.population_size - 1) + "]");
    }
    detail::require_at_least(where, "threads", options_.threads, 1);
  }

  void start_lineage() {
    lineage_.resize(static_cast<std::size_t>(options_.population_size));
    for (std::size_t i = 0; i < lineage_.size(); ++i) {
      lineage_[i] = Lineage{{0, static_cast<std::uint32_t>(i)}, Origin::initial, {}, {}, false};
    }
    next_serial_ = static_cast<std::uint32_t>(options_.population_size);
    if constexpr (detail::has_advance<Mut>) mutation_.advance(0);
  }

  void copy_from(Index from, Index to, Origin origin) {
    next_.col(to) = current_.col(from);
    Lineage& record = next_lineage_[static_cast<std::size_t>(to)];
    record = lineage_[static_cast<std::size_t>(from)];
    record.origin = origin;
    record.mutated = false;
  }

  GeneticOptions options_;
  Sel selection_;
  Cross crossover_;
  Mut mutation_;
  Population current_;
  Population next_;
  std::vector<Lineage> lineage_;
  std::vector<Lineage> next_lineage_;
  std::uint32_t generation_ = 0;
  std::uint32_t next_serial_ = 0;
  // Scratch space reused by tell.
  std::vector<Index> valid_;
  std::vector<Index> missing_;
  Scores sorted_;
};

}  // namespace xdream
