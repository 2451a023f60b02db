#pragma once
/// @file
/// The concepts every part of the loop models, and checks that name the
/// missing member when a user's type does not conform.
///
/// The concepts are usable in user code (`static_assert(xdream::Generator<MyGen>)`); the
/// library's class templates call `detail::check_*<T>()`, whose `static_assert` messages say in a
/// sentence which member is missing, instead of a long constraint-failure trace.

#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <concepts>
#include <string>
#include <type_traits>
#include <utility>

namespace xdream {

struct GenerationReport;
struct TellReport;
struct Result;

namespace io {
class ArchiveWriter;  // io/encoding.hpp
class ArchiveReader;
}  // namespace io

namespace detail {
template <class G>
concept has_code_size = requires(const G& g) {
  { g.code_size() } -> std::convertible_to<Index>;
};
template <class G>
concept has_generate = requires(G& g, const Population& codes) {
  g.generate(codes);
};

template <class R>
concept score_vector = requires {
  typename std::remove_cvref_t<R>::Scalar;
  requires std::same_as < typename std::remove_cvref_t<R>::Scalar,
  double > ;
  requires std::convertible_to<R, Scores>;
};
template <class O, class Stimuli>
concept has_evaluate = requires(O& o, const Stimuli& stimuli) {
  o.evaluate(stimuli);
};
template <class O, class Stimuli>
concept evaluate_returns_scores = requires(O& o, const Stimuli& stimuli) {
  { o.evaluate(stimuli) } -> score_vector;
};

template <class A>
concept has_ask = requires(A& a) {
  { a.ask() } -> std::convertible_to<const Population&>;
};
template <class A>
concept has_tell = requires(A& a, const Scores& scores) {
  a.tell(scores);
};
template <class A>
concept has_population_size = requires(const A& a) {
  { a.population_size() } -> std::convertible_to<Index>;
};

template <class S>
concept has_prepare = requires(S& s, const Scores& sorted_scores) {
  s.prepare(sorted_scores);
};
template <class S>
concept has_draw = requires(const S& s, Engine& rng) {
  { s.draw(rng) } -> std::convertible_to<Index>;
};

template <class C>
concept has_cross = requires(const C& c, const Eigen::Ref<const Code>& parent,
                             Eigen::Ref<Code> child, Engine& rng) {
  c.cross(parent, parent, child, rng);
};

template <class M>
concept has_mutate = requires(const M& m, Eigen::Ref<Code> child, Engine& rng) {
  { m.mutate(child, rng) } -> std::convertible_to<bool>;
};
/// Optional: a mutation whose parameters change with the generation (annealing, adaptation).
template <class M>
concept has_advance = requires(M& m, std::size_t generation) {
  m.advance(generation);
};

template <class T>
concept has_name = requires(const T& t) {
  { t.name() } -> std::convertible_to<std::string>;
};
template <class T>
concept has_save = requires(const T& t, io::ArchiveWriter& out) {
  t.save(out);
};
template <class T>
concept has_load = requires(T& t, io::ArchiveReader& in) {
  t.load(in);
};

template <class C>
concept has_on_start = requires(C& c, const Population& codes) {
  c.on_start(codes);
};
template <class C, class Report = GenerationReport>
concept has_on_generation = requires(C& c, const Report& report) {
  c.on_generation(report);
};
// on_tell(report), or on_tell(optimizer, report) when the optimizer's type is known.
template <class C, class Optimizer = void>
concept has_on_tell = requires(C& c, const TellReport& report) {
  c.on_tell(report);
}
|| (!std::is_void_v<Optimizer> &&
    requires(C & c, const std::add_lvalue_reference_t<const Optimizer> optimizer,
             const TellReport& report) { c.on_tell(optimizer, report); });
template <class C>
concept has_on_finish = requires(C& c, const Result& result) {
  c.on_finish(result);
};
}  // namespace detail

/// Maps a batch of codes (`code_size x N`) to a batch of stimuli the Objective accepts.
/// Needs `code_size() const` and `generate(const Population&)`.
template <class G>
concept Generator = detail::has_code_size<G> && detail::has_generate<G>;

/// The stimuli type a Generator produces.
template <Generator G>
using stimuli_t = decltype(std::declval<G&>().generate(std::declval<const Population&>()));

/// Scores a batch of stimuli: `evaluate(const Stimuli&)` returns one double per stimulus
/// (an Eigen vector of double; NaN = no response).
template <class O, class Stimuli>
concept Objective = detail::has_evaluate<O, Stimuli> && detail::evaluate_returns_scores<O, Stimuli>;

/// Optional: an objective that also knows the noise-free score of its last evaluation.
template <class O>
concept ReportsCleanScores = requires(const O& o) {
  { o.clean_scores() } -> std::convertible_to<const Scores&>;
};

/// An ask/tell search over codes: `ask()` returns the codes to present (`code_size x N`),
/// `tell(scores)` takes their N scores (larger is better) and prepares the next batch.
template <class A>
concept Algorithm = detail::has_ask<A> && detail::has_tell<A> && detail::has_code_size<A> &&
    detail::has_population_size<A>;

/// A genetic algorithm's parent choice. `prepare(sorted)` receives the valid scores sorted from
/// high to low; `draw(rng) const` returns an index into them (thread-safe: const).
template <class S>
concept Selection = std::copy_constructible<S> && detail::has_prepare<S> && detail::has_draw<S>;

/// Combines two parents gene by gene into a child: `cross(parent1, parent2, child, rng) const`.
template <class C>
concept Crossover = std::copy_constructible<C> && detail::has_cross<C>;

/// Perturbs a child in place: `mutate(child, rng) const` returns whether any gene changed.
/// May have `advance(generation)` to change its parameters over a run.
template <class M>
concept Mutation = std::copy_constructible<M> && detail::has_mutate<M>;

/// Can be saved to a checkpoint and restored from one: `name() const` says what it is (a stable
/// name that tags its checkpoints, so that one algorithm's state is never loaded into another),
/// `save(io::ArchiveWriter&) const` appends its state to an archive and `load(io::ArchiveReader&)`
/// reads it back, leaving the object as it was when the state does not fit (io/encoding.hpp).
/// Every algorithm of the library, the noise wrappers and the Optimizer (when its algorithm is)
/// model it; io/checkpoint.hpp saves and loads any of them to a file.
template <class T>
concept Checkpointable = detail::has_name<T> && detail::has_save<T> && detail::has_load<T>;

/// Observes a run (in the shape of ensmallen's callbacks: every hook is optional):
/// - `on_start(const Population& first_codes)`;
/// - `on_generation(const GenerationReport&)` after a generation was scored, before the algorithm
///   is told; the driver passes a `StimuliReport<Stimuli>`, which also holds the stimuli;
/// - `on_tell(const TellReport&)` or `on_tell(const Optimizer&, const TellReport&)` after the
///   algorithm was told: the optimizer's state is whole again (checkpoint here);
/// - `on_finish(const Result&)`.
/// `on_generation` and `on_tell` may return `bool`: `true` stops the run after this generation.
/// `Report` is what `on_generation` receives and `Optimizer` the driver's type, when known.
template <class C, class Report = GenerationReport, class Optimizer = void>
concept Callback = detail::has_on_start<C> || detail::has_on_generation<C, Report> ||
    detail::has_on_tell<C, Optimizer> || detail::has_on_finish<C>;

namespace detail {
// Each check states, in a sentence, the first requirement a type misses.

template <class G>
consteval bool check_generator() {
  static_assert(has_code_size<G>,
                "xdream: the Generator type has no member function `code_size() const` returning "
                "the length of one code.");
  static_assert(has_generate<G>,
                "xdream: the Generator type has no member function `generate(const "
                "xdream::Population&)` mapping a batch of codes (one per column) to stimuli.");
  return true;
}

template <class O, class Stimuli>
consteval bool check_objective() {
  static_assert(has_evaluate<O, Stimuli>,
                "xdream: the Objective type has no member function `evaluate(const Stimuli&)` "
                "accepting the Generator's stimuli.");
  static_assert(evaluate_returns_scores<O, Stimuli>,
                "xdream: the Objective's `evaluate` must return an Eigen vector of double "
                "(xdream::Scores), one score per stimulus.");
  return true;
}

template <class A>
consteval bool check_algorithm() {
  static_assert(has_ask<A>,
                "xdream: the Algorithm type has no member function `ask()` returning the codes to "
                "present (const xdream::Population&).");
  static_assert(has_tell<A>,
                "xdream: the Algorithm type has no member function `tell(const xdream::Scores&)`.");
  static_assert(has_code_size<A>,
                "xdream: the Algorithm type has no member function `code_size() const`.");
  static_assert(has_population_size<A>,
                "xdream: the Algorithm type has no member function `population_size() const`.");
  return true;
}

template <class S>
consteval bool check_selection() {
  static_assert(has_prepare<S>,
                "xdream: the Selection type has no member function `prepare(const "
                "xdream::Scores&)` taking the valid scores sorted from high to low.");
  static_assert(has_draw<S>,
                "xdream: the Selection type has no member function `draw(xdream::Engine&) const` "
                "returning a parent's index.");
  static_assert(std::copy_constructible<S>, "xdream: the Selection type must be copyable.");
  return true;
}

template <class C>
consteval bool check_crossover() {
  static_assert(has_cross<C>,
                "xdream: the Crossover type has no member function `cross(parent1, parent2, child, "
                "xdream::Engine&) const` (parents as Eigen::Ref<const xdream::Code>, child as "
                "Eigen::Ref<xdream::Code>).");
  static_assert(std::copy_constructible<C>, "xdream: the Crossover type must be copyable.");
  return true;
}

template <class M>
consteval bool check_mutation() {
  static_assert(has_mutate<M>,
                "xdream: the Mutation type has no member function "
                "`mutate(Eigen::Ref<xdream::Code>, xdream::Engine&) const` returning whether the "
                "child changed.");
  static_assert(std::copy_constructible<M>, "xdream: the Mutation type must be copyable.");
  return true;
}

template <class T>
consteval bool check_checkpointable() {
  static_assert(has_name<T>,
                "xdream: a Checkpointable type needs a member function `name() const` returning "
                "the stable name that tags its checkpoints.");
  static_assert(has_save<T>,
                "xdream: a Checkpointable type needs a member function "
                "`save(xdream::io::ArchiveWriter&) const` appending its state.");
  static_assert(has_load<T>,
                "xdream: a Checkpointable type needs a member function "
                "`load(xdream::io::ArchiveReader&)` restoring its state.");
  return true;
}

template <class C, class Report = GenerationReport, class Optimizer = void>
consteval bool check_callback() {
  static_assert(Callback<C, Report, Optimizer>,
                "xdream: a Callback needs at least one of the member functions `on_start(const "
                "xdream::Population&)`, `on_generation(const xdream::GenerationReport&)`, "
                "`on_tell(const xdream::TellReport&)` (or `on_tell(const Optimizer&, const "
                "xdream::TellReport&)`) or `on_finish(const xdream::Result&)`.");
  return true;
}
}  // namespace detail

}  // namespace xdream
