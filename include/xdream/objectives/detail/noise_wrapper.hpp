#pragma once
/// @file
/// What every noise model around an objective shares: its settings, forwarding `evaluate` to the
/// wrapped objective, keeping its scores as the clean ones, one random stream per stimulus and
/// call, and the call counter that a checkpoint keeps.

#include <xdream/concepts.hpp>
#include <xdream/io/encoding.hpp>
#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

namespace xdream::detail {

/// The shared body of PoissonNoise and MultiplicativeNoise. `Noise` turns one clean score into a
/// noisy one: `double operator()(double clean, Stream& stream) const`, where `stream()` gives the
/// stimulus's own engine (made on first use: a model that needs no draw for a score makes none).
/// `Noise::name` is the model's stable name; `Noise::Options` its settings (with the `seed` of
/// the noise streams), which `Noise::checked(options)` checks and turns into the model.
///
/// Randomness: stimulus i of the e-th call to `evaluate` (counting from 0) draws from stream
/// (seed, e, i, Purpose::noise), so a seed reproduces the noise exactly.
template <class Inner, class Noise>
class NoiseWrapper {
 public:
  /// The engine of one stimulus, made when the noise model first asks for it.
  class Stream {
   public:
    Stream(std::uint64_t seed, std::uint64_t call, std::uint64_t index)
        : seed_(seed), call_(call), index_(index) {}
    Engine& operator()() {
      if (!made_) {
        engine_ = make_stream(seed_, call_, index_, Purpose::noise);
        made_ = true;
      }
      return engine_;
    }

   private:
    std::uint64_t seed_, call_, index_;
    bool made_ = false;
    Engine engine_;
  };

  using Options = typename Noise::Options;

  /// Wraps `objective`; throws std::invalid_argument, before taking the objective, when a
  /// setting is out of range.
  NoiseWrapper(Inner objective, Options options)
      : NoiseWrapper(std::forward<Inner>(objective), Noise::checked(options), options) {}

  /// Scores `stimuli` with the wrapped objective and makes each score noisy.
  template <class Stimuli>
  requires Objective<std::remove_cvref_t<Inner>, Stimuli> Scores evaluate(const Stimuli& stimuli) {
    clean_ = objective_.evaluate(stimuli);
    Scores noisy(clean_.size());
    const std::uint64_t call = evaluations_++;
    for (Index i = 0; i < clean_.size(); ++i) {
      Stream stream(options_.seed, call, static_cast<std::uint64_t>(i));
      noisy[i] = noise_(clean_[i], stream);
    }
    return noisy;
  }

  /// The wrapped objective's scores of the last `evaluate` (empty before the first).
  const Scores& clean_scores() const noexcept { return clean_; }

  std::remove_reference_t<Inner>& objective() noexcept { return objective_; }
  const std::remove_reference_t<Inner>& objective() const noexcept { return objective_; }

  const Options& options() const noexcept { return options_; }

  /// Calls to `evaluate` so far: the next call draws from stream coordinate `evaluations()`.
  std::uint64_t evaluations() const noexcept { return evaluations_; }
  /// Sets the call count (to resume a run's noise exactly).
  void set_evaluations(std::uint64_t count) noexcept { evaluations_ = count; }

  /// The noise model's stable name (Checkpointable).
  static std::string name() { return Noise::name; }
  /// Appends the call count, then the wrapped objective's state when it is Checkpointable.
  void save(io::ArchiveWriter& out) const {
    out.write(evaluations_);
    if constexpr (Checkpointable<std::remove_cvref_t<Inner>>) objective_.save(out);
  }
  /// Reads what `save` wrote; leaves the call count as it was when the bytes do not hold one.
  void load(io::ArchiveReader& in) {
    const auto count = in.get<std::uint64_t>();
    if constexpr (Checkpointable<std::remove_cvref_t<Inner>>) objective_.load(in);
    evaluations_ = count;
  }

 protected:
  const Noise& noise() const noexcept { return noise_; }

 private:
  NoiseWrapper(Inner&& objective, Noise noise, const Options& options)
      : objective_(std::forward<Inner>(objective)), noise_(std::move(noise)), options_(options) {}

  Inner objective_;
  Noise noise_;
  Options options_;
  std::uint64_t evaluations_ = 0;
  Scores clean_;
};

}  // namespace xdream::detail
