#pragma once
/// @file
/// AnyAlgorithm: an Algorithm chosen at run time (type erasure at the program's boundary, where
/// one virtual call per ask or tell is noise next to a generation's work).

#include <xdream/concepts.hpp>
#include <xdream/io/encoding.hpp>
#include <xdream/io/framing.hpp>
#include <xdream/population.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace xdream {

namespace detail {
template <class A>
concept has_recommendation = requires(const A& a) {
  { a.recommendation() } -> std::convertible_to<Code>;
};
}  // namespace detail

/// Any Algorithm, chosen at run time:
///
/// ```cpp
/// xdream::AnyAlgorithm algorithm = name == "sep-cmaes"
///                                      ? xdream::AnyAlgorithm(xdream::SepCMAES(n, {.sigma = 3}))
///                                      : xdream::AnyAlgorithm(xdream::Genetic<>(n));
/// xdream::Optimizer<Gen, Obj, xdream::AnyAlgorithm> optimizer(gen, obj, std::move(algorithm));
/// ```
///
/// It models the Algorithm concept and forwards `ask`, `tell`, `code_size` and `population_size`
/// unchanged (one virtual call each): a run through AnyAlgorithm is the run of the wrapped
/// algorithm, bit for bit. It also forwards `recommendation()` when the wrapped algorithm has
/// one, and, when the wrapped algorithm is Checkpointable, its `name()`, `save` and `load`, so
/// an AnyAlgorithm is Checkpointable too: its checkpoints are the wrapped algorithm's, tagged
/// with its stable name (loading one algorithm's checkpoint into another fails with a clear
/// error). Restoring also needs the same options (seed included) as the run that saved it, which
/// the archive does not hold.
///
/// Move-only. `target<A>()` gives the wrapped algorithm back (e.g. Genetic's `lineage()`).
class AnyAlgorithm {
 public:
  /// Wraps `algorithm` (moved in).
  template <class A>
  requires(!std::same_as<std::remove_cvref_t<A>, AnyAlgorithm> &&
           Algorithm<std::remove_cvref_t<A>>) explicit AnyAlgorithm(A&& algorithm)
      : model_(std::make_unique<Model<std::remove_cvref_t<A>>>(std::forward<A>(algorithm))) {}

  AnyAlgorithm(AnyAlgorithm&&) noexcept = default;
  AnyAlgorithm& operator=(AnyAlgorithm&&) noexcept = default;
  AnyAlgorithm(const AnyAlgorithm&) = delete;
  AnyAlgorithm& operator=(const AnyAlgorithm&) = delete;
  ~AnyAlgorithm() = default;

  /// The codes to present now (`code_size x population_size`).
  const Population& ask() const { return model_->ask(); }
  /// Takes one score per column of `ask()`.
  void tell(const Scores& scores) { model_->tell(scores); }
  Index code_size() const { return model_->code_size(); }
  Index population_size() const { return model_->population_size(); }

  /// The wrapped algorithm's recommendation (its mean or centre), or nothing when it has none
  /// (XDream's GA: the driver's best individual is its recommendation).
  std::optional<Code> recommendation() const { return model_->recommendation(); }

  /// The wrapped algorithm's stable name (its checkpoints' tag); "" when it has none.
  std::string name() const { return model_->name(); }

  /// Whether the wrapped algorithm is Checkpointable (all of the library's are).
  bool checkpointable() const noexcept { return model_->checkpointable(); }

  /// Appends the wrapped algorithm's state to an archive payload (no tag: the caller frames it).
  /// Throws std::logic_error when the algorithm is not Checkpointable.
  void save(io::ArchiveWriter& out) const { model_->save(out); }
  /// Reads a state written by `save(ArchiveWriter&)` into the wrapped algorithm, which checks it
  /// (std::invalid_argument when it does not fit; an ArchiveError when the bytes do not hold
  /// such a state; the algorithm is left as it was).
  void load(io::ArchiveReader& in) { model_->load(in); }

  /// The algorithm's state as a sealed archive tagged with `name()`.
  std::vector<std::byte> save() const {
    io::ArchiveWriter out;
    save(out);
    return io::seal(name(), out.bytes());
  }
  /// Restores from `save()`'s bytes; throws io::ArchiveError when they are malformed or hold
  /// another algorithm's state (another name).
  void load(std::span<const std::byte> archive) {
    io::ArchiveReader in(io::unseal(archive, name(), "buffer"), "buffer");
    load(in);
    in.finish();
  }

  /// The wrapped algorithm, when it is an A; otherwise nullptr.
  template <class A>
  A* target() noexcept {
    auto* model = dynamic_cast<Model<A>*>(model_.get());
    return model ? &model->algorithm : nullptr;
  }
  template <class A>
  const A* target() const noexcept {
    const auto* model = dynamic_cast<const Model<A>*>(model_.get());
    return model ? &model->algorithm : nullptr;
  }
  /// The wrapped algorithm's type.
  const std::type_info& target_type() const noexcept { return model_->type(); }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual const Population& ask() const = 0;
    virtual void tell(const Scores& scores) = 0;
    virtual Index code_size() const = 0;
    virtual Index population_size() const = 0;
    virtual std::optional<Code> recommendation() const = 0;
    virtual std::string name() const = 0;
    virtual bool checkpointable() const noexcept = 0;
    virtual void save(io::ArchiveWriter& out) const = 0;
    virtual void load(io::ArchiveReader& in) = 0;
    virtual const std::type_info& type() const noexcept = 0;
  };

  template <class A>
  struct Model final : Concept {
    static_assert(detail::check_algorithm<A>());
    explicit Model(A&& a) : algorithm(std::move(a)) {}
    explicit Model(const A& a) : algorithm(a) {}

    const Population& ask() const override {
      // Every library algorithm's ask() is const; a user's may not be.
      return const_cast<A&>(algorithm).ask();
    }
    void tell(const Scores& scores) override { algorithm.tell(scores); }
    Index code_size() const override { return static_cast<Index>(algorithm.code_size()); }
    Index population_size() const override {
      return static_cast<Index>(algorithm.population_size());
    }
    std::optional<Code> recommendation() const override {
      if constexpr (detail::has_recommendation<A>) {
        return Code(algorithm.recommendation());
      } else {
        return std::nullopt;
      }
    }
    std::string name() const override {
      if constexpr (detail::has_name<A>) {
        return std::string(algorithm.name());
      } else {
        return {};
      }
    }
    bool checkpointable() const noexcept override { return Checkpointable<A>; }
    void save(io::ArchiveWriter& out) const override {
      if constexpr (Checkpointable<A>) {
        algorithm.save(out);
      } else {
        not_checkpointable();
      }
    }
    void load(io::ArchiveReader& in) override {
      if constexpr (Checkpointable<A>) {
        algorithm.load(in);
      } else {
        not_checkpointable();
      }
    }
    const std::type_info& type() const noexcept override { return typeid(A); }

    [[noreturn]] static void not_checkpointable() {
      throw std::logic_error(
          "xdream::AnyAlgorithm: the wrapped algorithm is not Checkpointable (it has no name(), "
          "save(io::ArchiveWriter&) and load(io::ArchiveReader&)): it cannot be checkpointed");
    }

    A algorithm;
  };

  std::unique_ptr<Concept> model_;
};

}  // namespace xdream
