#pragma once
// The run-time choice of algorithm: the one place where xdream-evolve erases the algorithm's
// type (a virtual call per generation is noise next to two forward passes).

#include "evolve_config.hpp"

#include <xdream/any_algorithm.hpp>
#include <xdream/population.hpp>

#include <string>
#include <vector>

namespace xdream_evolve {

/// Builds the chosen algorithm with the config's settings (0 = the algorithm's default) over
/// codes of `code_size`, starting from `initial` codes when given (GA only; columns = codes).
xdream::AnyAlgorithm make_algorithm(const EvolveConfig& config, xdream::Index code_size,
                                    const xdream::Population* initial);

}  // namespace xdream_evolve
