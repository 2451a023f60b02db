#pragma once
// A population pattern as xdream-evolve's score (--score-pattern): the pattern the settings
// describe (its channels of the tap, its target given or a reference image's response, its z
// statistics from the reference set), checked against the tap, and its scores of reference
// images. No LibTorch here: the objective itself is xdream::TorchNetworkPattern.

#include "evolve_config.hpp"
#include "reference.hpp"

#include <xdream/objectives/population_pattern.hpp>
#include <xdream/population.hpp>

#include <cstdint>
#include <string>

namespace xdream_evolve {

/// The measure spelt `name` (cosine | correlation | dot | negative-mse).
xdream::PatternMeasure measure_of(const std::string& name);

/// Throws std::invalid_argument naming --score-pattern when a channel is not one of the tap's
/// `channels`.
void check_pattern_channels(const EvolveConfig& c, std::int64_t channels, const std::string& tap);

/// The pattern of `c` over a tap of `channels` channels. The target is --pattern-target's
/// values, or the response of reference image --pattern-reference in `reference` (the reference
/// set's activations, channels x images); with --pattern-zscore, each pattern channel is
/// z-scored with the mean and standard deviation (ddof 0) of its responses to the reference
/// set. `reference` is null with --reference none (check() has refused the settings that need
/// it). Throws std::invalid_argument naming the option when the target, as compared (after
/// z-scoring), has no direction for cosine or no spread for correlation.
xdream::PopulationPattern make_pattern(const EvolveConfig& c, std::int64_t channels,
                                       const xdream::Population* reference);

/// The pattern scores of images from their activations (channels x images); a pattern channel
/// with a non-finite activation is an error naming the network file, the channel and the image.
ImageScorer pattern_scorer(const xdream::PopulationPattern& pattern, const std::string& network,
                           const std::string& tap);

}  // namespace xdream_evolve
