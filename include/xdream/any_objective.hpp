#pragma once
/// @file
/// AnyObjective: an Objective chosen at run time (type erasure at a program's boundary, like
/// AnyAlgorithm: one virtual call per generation is noise next to scoring a generation).

#include <xdream/concepts.hpp>
#include <xdream/io/encoding.hpp>
#include <xdream/population.hpp>

#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace xdream {

/// Any Objective of `Stimuli`, chosen at run time: a program that offers several noise models
/// around one unit builds one Optimizer type instead of one per model.
///
/// ```cpp
/// xdream::AnyObjective<torch::Tensor> objective =
///     noisy ? xdream::AnyObjective<torch::Tensor>(xdream::PoissonNoise(unit, options))
///           : xdream::AnyObjective<torch::Tensor>(unit);
/// ```
///
/// It always reports clean scores: the wrapped objective's `clean_scores()` when it has them,
/// otherwise its scores themselves (an objective without noise scores cleanly). It is
/// Checkpointable: `save`/`load` forward to a Checkpointable objective (a noise model keeps its
/// stream position) and write nothing for any other (an objective without state). Move-only.
template <class Stimuli>
class AnyObjective {
 public:
  /// Wraps `objective` (moved in).
  template <class O>
  requires(!std::same_as<std::remove_cvref_t<O>, AnyObjective> &&
           Objective<std::remove_cvref_t<O>, Stimuli>) explicit AnyObjective(O&& objective)
      : model_(std::make_unique<Model<std::remove_cvref_t<O>>>(std::forward<O>(objective))) {}

  AnyObjective(AnyObjective&&) noexcept = default;
  AnyObjective& operator=(AnyObjective&&) noexcept = default;
  AnyObjective(const AnyObjective&) = delete;
  AnyObjective& operator=(const AnyObjective&) = delete;
  ~AnyObjective() = default;

  /// The wrapped objective's scores of `stimuli`.
  Scores evaluate(const Stimuli& stimuli) {
    Scores scores = model_->evaluate(stimuli);
    if (!model_->reports_clean()) clean_ = scores;
    return scores;
  }
  /// The clean scores of the last `evaluate` (see the class comment).
  const Scores& clean_scores() const { return model_->reports_clean() ? model_->clean() : clean_; }

  /// The wrapped objective's name when it has one (a noise model's), else "".
  std::string name() const { return model_->name(); }
  /// Appends the wrapped objective's state when it is Checkpointable.
  void save(io::ArchiveWriter& out) const { model_->save(out); }
  /// Reads what `save` wrote.
  void load(io::ArchiveReader& in) { model_->load(in); }

  /// The wrapped objective, when it is an O; otherwise nullptr.
  template <class O>
  O* target() noexcept {
    auto* model = dynamic_cast<Model<O>*>(model_.get());
    return model ? &model->objective : nullptr;
  }
  template <class O>
  const O* target() const noexcept {
    const auto* model = dynamic_cast<const Model<O>*>(model_.get());
    return model ? &model->objective : nullptr;
  }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual Scores evaluate(const Stimuli& stimuli) = 0;
    virtual bool reports_clean() const noexcept = 0;
    virtual const Scores& clean() const = 0;
    virtual std::string name() const = 0;
    virtual void save(io::ArchiveWriter& out) const = 0;
    virtual void load(io::ArchiveReader& in) = 0;
  };

  template <class O>
  struct Model final : Concept {
    explicit Model(O&& o) : objective(std::move(o)) {}
    explicit Model(const O& o) : objective(o) {}
    Scores evaluate(const Stimuli& stimuli) override { return objective.evaluate(stimuli); }
    bool reports_clean() const noexcept override { return ReportsCleanScores<O>; }
    const Scores& clean() const override {
      if constexpr (ReportsCleanScores<O>) {
        return objective.clean_scores();
      } else {
        return empty;
      }
    }
    std::string name() const override {
      if constexpr (detail::has_name<O>) {
        return std::string(objective.name());
      } else {
        return {};
      }
    }
    void save(io::ArchiveWriter& out) const override {
      if constexpr (Checkpointable<O>) objective.save(out);
      (void)out;
    }
    void load(io::ArchiveReader& in) override {
      if constexpr (Checkpointable<O>) objective.load(in);
      (void)in;
    }
    O objective;
    Scores empty;
  };

  std::unique_ptr<Concept> model_;
  Scores clean_;
};

}  // namespace xdream
