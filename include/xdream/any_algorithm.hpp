#pragma once
/// @file
/// AnyAlgorithm: an Algorithm chosen at run time (type erasure at the program's boundary, where
/// one virtual call per ask or tell is noise next to a generation's work).

#include <xdream/concepts.hpp>
#include <xdream/io/archive.hpp>
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
/// An algorithm that can be checkpointed: `state()` returns a default-constructible value (or a
/// reference to one) that the archive can store, and `restore(state)` takes it back.
template <class A>
concept checkpointable_algorithm = requires(const A& a) {
  a.state();
  requires std::default_initializable<std::remove_cvref_t<decltype(a.state())>>;
  requires io::detail::archivable<std::remove_cvref_t<decltype(a.state())>>();
}
&&requires(A& a, std::remove_cvref_t<decltype(std::declval<const A&>().state())> s) {
  a.restore(std::move(s));
};

template <class A>
concept has_recommendation = requires(const A& a) {
  { a.recommendation() } -> std::convertible_to<Code>;
};
}  // namespace detail

/// Any Algorithm, chosen at run time, with a name:
///
/// ```cpp
/// xdream::AnyAlgorithm algorithm =
///     name == "sep-cmaes" ? xdream::AnyAlgorithm(xdream::SepCMAES(n, {.sigma = 3}), name)
///                         : xdream::AnyAlgorithm(xdream::Genetic<>(n), "genetic");
/// xdream::Optimizer<Gen, Obj, xdream::AnyAlgorithm> optimizer(gen, obj, std::move(algorithm));
/// ```
///
/// It models the Algorithm concept and forwards `ask`, `tell`, `code_size` and `population_size`
/// unchanged (one virtual call each): a run through AnyAlgorithm is the run of the wrapped
/// algorithm, bit for bit. It also forwards `recommendation()` when the wrapped algorithm has
/// one, and saves and loads the wrapped algorithm's `state()` through an archive
/// (io/archive.hpp) tagged with the name, so that loading one algorithm's checkpoint into another
/// fails with a clear error. The name is the caller's (what the program calls the algorithm);
/// restoring also needs the same options (seed included) as the run that saved it, which the
/// archive does not hold.
///
/// Move-only. `target<A>()` gives the wrapped algorithm back (e.g. Genetic's `lineage()`).
class AnyAlgorithm {
 public:
  /// Wraps `algorithm` (moved in) under `name` (non-empty; the checkpoint tag).
  template <class A>
  requires(!std::same_as<std::remove_cvref_t<A>, AnyAlgorithm> && Algorithm<std::remove_cvref_t<A>>)
      AnyAlgorithm(A&& algorithm, std::string name)
      : model_(std::make_unique<Model<std::remove_cvref_t<A>>>(std::forward<A>(algorithm))),
        name_(std::move(name)) {
    if (name_.empty()) {
      throw std::invalid_argument(
          "xdream::AnyAlgorithm: name = \"\" is out of range; allowed: a "
          "non-empty name (it tags the algorithm's checkpoints)");
    }
    if (name_.size() > io::archive_max_tag_size) {
      throw std::invalid_argument("xdream::AnyAlgorithm: the name is longer than " +
                                  std::to_string(io::archive_max_tag_size) + " bytes");
    }
  }

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

  /// The name given at construction; the tag of the algorithm's checkpoints.
  const std::string& name() const noexcept { return name_; }

  /// Whether the wrapped algorithm has `state()` and `restore(state)` (all of the library's do).
  bool checkpointable() const noexcept { return model_->checkpointable(); }

  /// Appends the wrapped algorithm's state to an archive payload (no tag: the caller frames it).
  /// Throws std::logic_error when the algorithm is not checkpointable.
  void save(io::ArchiveWriter& out) const { model_->save(out, name_); }
  /// Reads a state written by `save(ArchiveWriter&)` and restores the algorithm from it (which
  /// validates it: std::invalid_argument when it does not fit; an ArchiveError when the bytes do
  /// not hold such a state).
  void load(io::ArchiveReader& in) { model_->load(in, name_); }

  /// The algorithm's state as a sealed archive tagged with `name()`.
  std::vector<std::byte> save() const {
    io::ArchiveWriter out;
    save(out);
    return io::seal(name_, out.bytes());
  }
  /// Restores from `save()`'s bytes; throws io::ArchiveError when they are malformed or hold
  /// another algorithm's state (another name).
  void load(std::span<const std::byte> archive) {
    io::ArchiveReader in(io::unseal(archive, name_, "buffer"), "buffer");
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
    virtual bool checkpointable() const noexcept = 0;
    virtual void save(io::ArchiveWriter& out, const std::string& name) const = 0;
    virtual void load(io::ArchiveReader& in, const std::string& name) = 0;
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
    bool checkpointable() const noexcept override { return detail::checkpointable_algorithm<A>; }
    void save(io::ArchiveWriter& out, const std::string& name) const override {
      if constexpr (detail::checkpointable_algorithm<A>) {
        out.write(algorithm.state());
      } else {
        not_checkpointable(name);
      }
    }
    void load(io::ArchiveReader& in, const std::string& name) override {
      if constexpr (detail::checkpointable_algorithm<A>) {
        std::remove_cvref_t<decltype(algorithm.state())> state{};
        in.read(state);
        algorithm.restore(std::move(state));
      } else {
        not_checkpointable(name);
      }
    }
    const std::type_info& type() const noexcept override { return typeid(A); }

    [[noreturn]] static void not_checkpointable(const std::string& name) {
      throw std::logic_error("xdream::AnyAlgorithm: the algorithm '" + name +
                             "' has no state() and restore(state): it cannot be checkpointed");
    }

    A algorithm;
  };

  std::unique_ptr<Concept> model_;
  std::string name_;
};

}  // namespace xdream
