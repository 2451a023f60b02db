#pragma once
/// @file
/// Checkpointable from `state()` and `restore(state)`: the save/load pair every algorithm of the
/// library shares.

#include <xdream/io/encoding.hpp>

#include <type_traits>
#include <utility>

namespace xdream::detail {

/// Gives `Derived` (which has `state() const`, returning a value the archive can store, and
/// `restore(state)`, which checks a state before taking it) the `save` and `load` of the
/// Checkpointable concept. Derived adds its own `name()`.
template <class Derived>
class StateCheckpoint {
 public:
  /// Appends `state()` to the archive.
  void save(io::ArchiveWriter& out) const { out.write(self().state()); }
  /// Reads a state and restores it; restore's checks leave the algorithm unchanged when it does
  /// not fit (std::invalid_argument), and the reader throws io::ArchiveError for bytes that do
  /// not hold one.
  void load(io::ArchiveReader& in) {
    using State = std::remove_cvref_t<decltype(std::declval<const Derived&>().state())>;
    State state{};
    in.read(state);
    static_cast<Derived&>(*this).restore(std::move(state));
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

}  // namespace xdream::detail
