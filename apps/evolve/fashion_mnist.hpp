#pragma once
// Fashion-MNIST images from Debian's dataset-fashion-mnist (IDX files, gzip): the bundled test
// bed's reference set (test split) and brute-force pool (training split).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace xdream_evolve {

/// `count` images, each height x width floats in [0, 1] (pixel / 255), stored one after the
/// other (the memory of a [count, 1, height, width] tensor).
struct GreyImages {
  std::int64_t count = 0, height = 0, width = 0;
  std::vector<float> pixels;
};

/// Reads the first `limit` images of an IDX3 file (`.gz` or not). Throws std::runtime_error
/// naming the file when it is missing or not an IDX3 image file.
GreyImages read_idx_images(const std::filesystem::path& file, std::int64_t limit);

/// The IDX file of a split ("train" or "t10k") in Debian's layout.
std::filesystem::path fashion_mnist_images(const std::filesystem::path& data_dir,
                                           const std::string& split);

}  // namespace xdream_evolve
