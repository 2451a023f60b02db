#pragma once
/// @file
/// How long a run lasts: generations, or stimuli presented (the papers count stimuli).

#include <cstdint>

namespace xdream {

/// A run's budget. A generation is never cut: a stimuli budget runs whole generations while the
/// next one still fits (10,000 stimuli = 500 generations of 20).
struct Budget {
  enum class Unit { generations, stimuli };
  Unit unit = Unit::generations;
  std::uint64_t count = 0;
};

namespace budget {
/// Run this many generations.
constexpr Budget generations(std::uint64_t count) noexcept {
  return {Budget::Unit::generations, count};
}
/// Present at most this many stimuli (the measure used by the papers).
constexpr Budget stimuli(std::uint64_t count) noexcept { return {Budget::Unit::stimuli, count}; }
}  // namespace budget

}  // namespace xdream
