#include "reference.hpp"

#include "control.hpp"
#include "reference_cache.hpp"

#include <xdream/io/npy.hpp>
#include <xdream/io/sha256.hpp>
#include <xdream/torch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;

namespace xdream_evolve {

namespace {

/// A tap's activations at the unit's position for every channel (channels x images), for
/// images stored as [count, 1, H, W] floats: one pass gives every unit of the tap (so one cached
/// reference pass serves all of a layer's units).
xdream::Population tap_activations(xdream::TorchNetworkUnit& unit, const GreyImages& images) {
  xdream::Population out;
  constexpr std::int64_t batch = 200;  // larger batches cost page faults, not speed
  for (std::int64_t start = 0; start < images.count; start += batch) {
    const std::int64_t n = std::min(batch, images.count - start);
    const torch::Tensor tensor = torch::from_blob(
        const_cast<float*>(images.pixels.data()) + start * images.height * images.width,
        {n, 1, images.height, images.width}, torch::kFloat32);
    torch::Tensor tap = unit.network().activations(tensor, unit.unit().tap);
    if (unit.convolutional()) tap = tap.select(2, unit.unit().y).select(2, unit.unit().x);
    tap = tap.to(torch::kCPU, torch::kFloat32).contiguous();  // [n, C]: a C x n column-major block
    if (out.size() == 0) out.resize(tap.dim() == 2 ? tap.size(1) : 0, images.count);
    // The library checks the batch's rows; the copy below also needs the same channels in
    // every batch.
    if (tap.dim() != 2 || tap.size(0) != n || tap.size(1) != out.rows()) {
      throw xdream::ModelError("xdream: network file '" + unit.network().file().string() +
                               "' returned activations of shape " +
                               xdream::detail::shape_text(tap) + " at tap '" + unit.unit().tap +
                               "' for a batch of " + std::to_string(n) + " images; expected [" +
                               std::to_string(n) + ", " + std::to_string(out.rows()) + "]");
    }
    std::copy_n(tap.data_ptr<float>(), tap.numel(), out.data() + start * out.rows());
  }
  return out;
}

GreyImages read_reference(const EvolveConfig& c, const std::string& split, std::int64_t count,
                          const std::array<std::int64_t, 3>& shape) {
  GreyImages images = read_idx_images(fashion_mnist_images(c.data_dir, split), count);
  if (shape[0] != 1 || shape[1] != images.height || shape[2] != images.width) {
    throw std::invalid_argument("option --reference: Fashion-MNIST images are 1x" +
                                std::to_string(images.height) + "x" + std::to_string(images.width) +
                                " but the generator makes " + std::to_string(shape[0]) + "x" +
                                std::to_string(shape[1]) + "x" + std::to_string(shape[2]) +
                                " images; give --reference none for other models");
  }
  return images;
}

/// The unit's activations to the first `count` images of a split: from the cache directory when
/// it holds them (a file per network, tap, position, split and count, all channels), else
/// computed (and cached when a cache directory is given).
std::vector<double> reference_scores(const EvolveConfig& c, xdream::TorchNetworkUnit& unit,
                                     const GreyImages& images, const std::string& split,
                                     const std::string& network_sha) {
  fs::path cached;
  xdream::Population all;
  if (!c.reference_cache.empty()) {
    const xdream::TorchUnit& u = unit.unit();
    // Everything that changes the activations names the file: the network, the preprocessing,
    // the data, the tap and position, the split and the count.
    std::string preprocessing =
        c.data_dir + "|" + std::to_string(c.resize_height) + "x" + std::to_string(c.resize_width);
    for (double v : c.mean) preprocessing += "|m" + std::to_string(v);
    for (double v : c.std) preprocessing += "|s" + std::to_string(v);
    cached = fs::path(c.reference_cache) /
             (network_sha.substr(0, 16) + "-" + xdream::io::sha256(preprocessing).substr(0, 8) +
              "-" + u.tap + "-y" + std::to_string(u.y) + "x" + std::to_string(u.x) + "-" + split +
              std::to_string(images.count) + ".npy");
    // A cache that does not fit (another shape, damaged) is measured again, with a word.
    std::string why;
    if (auto hit = read_reference_cache(cached, unit.network().tap_shape(u.tap).at(0), images.count,
                                        &why)) {
      all = std::move(*hit);
    } else if (!why.empty()) {
      std::fprintf(stderr, "xdream-evolve: reference cache unreadable (%s); measuring again\n",
                   why.c_str());
    }
  }
  if (all.size() == 0) {
    all = tap_activations(unit, images);
    if (!cached.empty()) {
      std::error_code error;
      fs::create_directories(cached.parent_path(), error);
      // A name of this process's own, then an atomic rename: parallel runs may race here.
      fs::path mine = cached;
      mine += "." + std::to_string(::getpid()) + ".npy";
      try {
        xdream::io::save_npy(mine, all);
        fs::rename(mine, cached, error);
      } catch (const std::exception& e) {  // a cache that cannot be kept is only slower
        std::fprintf(stderr, "xdream-evolve: reference cache not kept (%s)\n", e.what());
      }
    }
  }
  const xdream::Index channel = unit.unit().channel;
  std::vector<double> scores(static_cast<std::size_t>(all.cols()));
  for (xdream::Index i = 0; i < all.cols(); ++i) {
    scores[static_cast<std::size_t>(i)] = all(channel, i);
    if (!std::isfinite(scores[static_cast<std::size_t>(i)])) {
      throw xdream::ModelError("xdream: network file '" + unit.network().file().string() +
                               "' gives the unit a non-finite activation (" +
                               std::to_string(scores[static_cast<std::size_t>(i)]) +
                               ") on reference image " + std::to_string(i) + " of the " + split +
                               " split; check the model and --mean/--std");
    }
  }
  return scores;
}

}  // namespace

Reference measure_reference(const EvolveConfig& c, xdream::TorchNetworkUnit& unit,
                            const std::array<std::int64_t, 3>& shape, std::uint64_t budget,
                            const std::string& network_sha) {
  Reference r;
  if (c.reference == ReferenceSet::none) return r;
  // fashion-mnist: the test split; fashion-mnist-train: the training split, which is also the
  // brute-force pool (the paper's definitions: both over one image set).
  const bool paper = c.reference == ReferenceSet::fashion_mnist_train;
  const std::string split = paper ? "train" : "t10k";
  r.split = paper ? "training" : "test";
  r.images = read_reference(c, split, c.reference_count, shape);
  const std::vector<double> scores = reference_scores(c, unit, r.images, split, network_sha);
  r.known = true;
  r.count = r.images.count;
  r.ranking.resize(scores.size());
  std::iota(r.ranking.begin(), r.ranking.end(), std::int64_t{0});
  std::stable_sort(r.ranking.begin(), r.ranking.end(), [&](std::int64_t a, std::int64_t b) {
    return scores[static_cast<std::size_t>(a)] > scores[static_cast<std::size_t>(b)];
  });
  r.best_index = r.ranking.front();
  r.max = scores[static_cast<std::size_t>(r.best_index)];
  const auto plane = r.images.height * r.images.width;
  r.best_image.assign(r.images.pixels.begin() + r.best_index * plane,
                      r.images.pixels.begin() + (r.best_index + 1) * plane);
  if (paper) {
    r.pool = r.count;
    r.budget = budget;
    r.brute_force = expected_max_of_sample(scores, static_cast<std::int64_t>(budget));
    // The best test-set image too (a weaker bar than the best of the training set; cached).
    const std::vector<double> test =
        reference_scores(c, unit, read_reference(c, "t10k", 10'000, shape), "t10k", network_sha);
    r.test_max = *std::max_element(test.begin(), test.end());
  } else if (c.brute_force_pool > 0) {
    const GreyImages train = read_reference(c, "train", c.brute_force_pool, shape);
    r.pool = train.count;
    r.budget = budget;
    r.brute_force = expected_max_of_sample(reference_scores(c, unit, train, "train", network_sha),
                                           static_cast<std::int64_t>(budget));
  }
  return r;
}

/// The codes of the unit's `count` best reference images: the generator's `encode` of the
/// network's `encode_tap` features (the bundled generator inverts fc6; XDream's "start from the
/// unit's best natural images").
xdream::Population reference_best_codes(const EvolveConfig& c, xdream::TorchGenerator& generator,
                                        xdream::TorchNetworkUnit& unit, const Reference& r,
                                        xdream::Index count) {
  if (!r.known) {
    throw std::invalid_argument(
        "option --init = reference-best needs a reference set (--reference)");
  }
  if (!generator.can_encode()) {
    throw std::invalid_argument("option --init = reference-best: the generator file '" +
                                c.generator + "' has no method encode(features) -> codes");
  }
  count = std::min<xdream::Index>(count, r.count);
  const auto plane = r.images.height * r.images.width;
  torch::Tensor images = torch::empty({count, 1, r.images.height, r.images.width});
  for (xdream::Index k = 0; k < count; ++k) {
    std::copy_n(r.images.pixels.data() + r.ranking[static_cast<std::size_t>(k)] * plane, plane,
                images.data_ptr<float>() + k * plane);
  }
  return generator.encode(unit.network().activations(images, c.encode_tap));
}

}  // namespace xdream_evolve
