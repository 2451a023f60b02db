#pragma once
/// @file
/// Identity and genealogy of individuals (XDream's ids like `gen003_000061` and genealogy strings).

#include <cstdint>
#include <cstdio>
#include <string>
#include <tuple>

namespace xdream {

/// Who an individual is: the generation it was born in and a serial number unique in the run.
/// Printed as XDream does: `gen003_000061`.
struct IndividualId {
  std::uint32_t generation = 0;
  std::uint32_t serial = 0;

  friend bool operator==(const IndividualId&, const IndividualId&) = default;
  /// All fields, in a fixed order: the checkpoint format (io/archive.hpp).
  auto tie() { return std::tie(generation, serial); }
  auto tie() const { return std::tie(generation, serial); }

  std::string to_string() const {
    char text[32];
    std::snprintf(text, sizeof text, "gen%03u_%06u", static_cast<unsigned>(generation),
                  static_cast<unsigned>(serial));
    return text;
  }
};

/// How an individual came to be in its population.
enum class Origin : std::uint8_t {
  initial,    ///< the initial population (random, loaded or given)
  conserved,  ///< an elite copied unchanged from the previous generation
  carried,    ///< carried unchanged because its score was NaN
  child,      ///< bred from two parents
};

/// An individual's id and, for a child, its parents and whether it mutated.
struct Lineage {
  IndividualId id;
  Origin origin = Origin::initial;
  IndividualId parent1;
  IndividualId parent2;
  bool mutated = false;
  /// All fields, in a fixed order: the checkpoint format (io/archive.hpp).
  auto tie() { return std::tie(id, origin, parent1, parent2, mutated); }
  auto tie() const { return std::tie(id, origin, parent1, parent2, mutated); }

  /// XDream's genealogy string: the id for initial, conserved and carried individuals;
  /// `parent1+parent2[+mut]` for a child (e.g. `gen002_000041+gen002_000047+mut`).
  std::string to_string() const {
    if (origin != Origin::child) return id.to_string();
    std::string text = parent1.to_string() + "+" + parent2.to_string();
    if (mutated) text += "+mut";
    return text;
  }
};

}  // namespace xdream
