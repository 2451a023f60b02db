#pragma once
// The result of a run of xdream-evolve: summary.json in the run directory and the lines printed
// at the end.

#include "evolve_config.hpp"
#include "reference.hpp"

#include <xdream/driver.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace xdream_evolve {

/// What this process measured of its own generations (a resumed run counts only those after the
/// resume): their number, their wall time, and the time in the forward passes.
struct RunTimes {
  std::uint64_t generations = 0;
  double seconds = 0.0;
  double forward_seconds = 0.0;
};

/// "unit fc8[0]", or "a cosine pattern over 8 channels of fc8": what the run scores, in words.
std::string what_is_scored(const EvolveConfig& c);

/// Writes `dir`/summary.json (atomically) and prints the result: the final generation's best
/// clean activation, the relative activation against the reference set and the brute-force
/// control when they are known. For a pattern score, which can be negative (negative MSE, a
/// cosine or a correlation), a ratio means nothing: the margin over the best reference image
/// (final best minus the reference set's best pattern score) takes the relative activation's
/// place, and the control is given as its own margin over that image.
void report(const EvolveConfig& c, const std::vector<xdream::GenerationStats>& history,
            const xdream::OptimizerState& state, const Reference& reference,
            const std::filesystem::path& dir, const RunTimes& times);

}  // namespace xdream_evolve
