#pragma once
// The reference cache: a tap's activations (channels x images) to a split's first images, kept
// in a .npy file so that one reference pass serves every unit of a layer.

#include <xdream/population.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace xdream_evolve {

/// The cached activations in `file` when they fit: `channels` rows (every channel of the tap)
/// and `count` columns (one per image). A file that is missing gives nothing; one that is
/// damaged or does not fit gives nothing and says why in `*why` (the caller measures again).
std::optional<xdream::Population> read_reference_cache(const std::filesystem::path& file,
                                                       std::int64_t channels, std::int64_t count,
                                                       std::string* why);

}  // namespace xdream_evolve
