#pragma once
/// @file
/// A block's images as PNG files' bytes, encoded on a few threads: encoding is dead time for
/// the animal, so every transport does it the same quick way.

#include <xdream/io/png.hpp>
#include <xdream/rig/block.hpp>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <string>
#include <thread>
#include <vector>

namespace xdream::rig::detail {

/// The PNG of each stimulus of `block`, in its order; `names[i]` names image i in errors.
inline std::vector<std::vector<std::byte>> encode_block_pngs(const RigBlock& block,
                                                             const std::vector<std::string>& names,
                                                             int threads, bool fast) {
  std::vector<std::vector<std::byte>> encoded(block.stimuli.size());
  // A failure on a worker (libpng's error, no memory) is carried out to the caller, never left
  // to end the process.
  std::vector<std::exception_ptr> failures(encoded.size());
  const auto encode = [&](std::size_t from, std::size_t step) {
    for (std::size_t i = from; i < encoded.size(); i += step) {
      try {
        const RigImage& image = *block.stimuli[i].image;
        encoded[i] =
            io::encode_png({image.pixels.data(), image.channels, image.height, image.width},
                           {.fast = fast}, names.at(i));
      } catch (...) {
        failures[i] = std::current_exception();
      }
    }
  };
  const std::size_t workers_wanted =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(threads, 1)), encoded.size());
  {
    std::vector<std::jthread> workers;
    for (std::size_t t = 1; t < workers_wanted; ++t)
      workers.emplace_back(encode, t, workers_wanted);
    encode(0, std::max<std::size_t>(workers_wanted, 1));
  }
  for (const std::exception_ptr& failure : failures)
    if (failure) std::rethrow_exception(failure);
  return encoded;
}

}  // namespace xdream::rig::detail
