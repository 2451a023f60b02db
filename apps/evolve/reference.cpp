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

/// A tap's activations at the site's position for every channel (channels x images), for
/// images stored as [count, 1, H, W] floats: one pass gives every unit of the tap (so one cached
/// reference pass serves all of a layer's units, and a pattern over any of its channels).
xdream::Population tap_activations(const TapSite& site, const GreyImages& images) {
  xdream::Population out;
  constexpr std::int64_t batch = 200;  // larger batches cost page faults, not speed
  for (std::int64_t start = 0; start < images.count; start += batch) {
    const std::int64_t n = std::min(batch, images.count - start);
    const torch::Tensor tensor = torch::from_blob(
        const_cast<float*>(images.pixels.data()) + start * images.height * images.width,
        {n, 1, images.height, images.width}, torch::kFloat32);
    torch::Tensor tap = site.network->activations(tensor, site.tap);
    if (site.convolutional) tap = tap.select(2, site.y).select(2, site.x);
    tap = tap.to(torch::kCPU, torch::kFloat32).contiguous();  // [n, C]: a C x n column-major block
    if (out.size() == 0) out.resize(tap.dim() == 2 ? tap.size(1) : 0, images.count);
    // The library checks the batch's rows; the copy below also needs the same channels in
    // every batch.
    if (tap.dim() != 2 || tap.size(0) != n || tap.size(1) != out.rows()) {
      throw xdream::ModelError("xdream: network file '" + site.network->file().string() +
                               "' returned activations of shape " +
                               xdream::detail::shape_text(tap) + " at tap '" + site.tap +
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

/// The tap's activations (every channel at the site) to the first `count` images of a split:
/// from the cache directory when it holds them (a file per network, tap, position, split and
/// count, all channels), else computed (and cached when a cache directory is given).
xdream::Population reference_activations(const EvolveConfig& c, const TapSite& u,
                                         const GreyImages& images, const std::string& split,
                                         const std::string& network_sha) {
  fs::path cached;
  xdream::Population all;
  if (!c.reference_cache.empty()) {
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
    if (auto hit = read_reference_cache(cached, u.channels, images.count, &why)) {
      all = std::move(*hit);
    } else if (!why.empty()) {
      std::fprintf(stderr, "xdream-evolve: reference cache unreadable (%s); measuring again\n",
                   why.c_str());
    }
  }
  if (all.size() == 0) {
    all = tap_activations(u, images);
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
  return all;
}

/// The largest value, leaving out NaN (NaN when every value is).
double max_of(const std::vector<double>& values) {
  double best = std::nan("");
  for (double v : values) {
    if (!std::isnan(v) && !(v <= best)) best = v;
  }
  return best;
}

}  // namespace

ImageScorer unit_scorer(const TapSite& site, std::int64_t channel) {
  return
      [network = site.network, channel](const xdream::Population& all, const std::string& split) {
        std::vector<double> scores(static_cast<std::size_t>(all.cols()));
        for (xdream::Index i = 0; i < all.cols(); ++i) {
          scores[static_cast<std::size_t>(i)] = all(channel, i);
          if (!std::isfinite(scores[static_cast<std::size_t>(i)])) {
            throw xdream::ModelError("xdream: network file '" + network->file().string() +
                                     "' gives the unit a non-finite activation (" +
                                     std::to_string(scores[static_cast<std::size_t>(i)]) +
                                     ") on reference image " + std::to_string(i) + " of the " +
                                     split + " split; check the model and --mean/--std");
          }
        }
        return scores;
      };
}

Reference measure_reference(const EvolveConfig& c, const TapSite& site,
                            const std::array<std::int64_t, 3>& shape, std::uint64_t budget,
                            const std::string& network_sha, const ScorerFactory& make_scorer) {
  Reference r;
  if (c.reference == ReferenceSet::none) return r;
  // fashion-mnist: the test split; fashion-mnist-train: the training split, which is also the
  // brute-force pool (the paper's definitions: both over one image set).
  const bool paper = c.reference == ReferenceSet::fashion_mnist_train;
  const std::string split = paper ? "train" : "t10k";
  r.split = paper ? "training" : "test";
  r.images = read_reference(c, split, c.reference_count, shape);
  const xdream::Population activations =
      reference_activations(c, site, r.images, split, network_sha);
  const ImageScorer score = make_scorer(activations, split);
  const auto reference_scores = [&](const GreyImages& images, const std::string& which) {
    return score(reference_activations(c, site, images, which, network_sha), which);
  };
  const std::vector<double> scores = score(activations, split);
  r.known = true;
  r.count = r.images.count;
  r.ranking.resize(scores.size());
  std::iota(r.ranking.begin(), r.ranking.end(), std::int64_t{0});
  // From the best score down; NaN (no score) below every number.
  std::stable_sort(r.ranking.begin(), r.ranking.end(), [&](std::int64_t a, std::int64_t b) {
    const double sa = scores[static_cast<std::size_t>(a)];
    const double sb = scores[static_cast<std::size_t>(b)];
    if (std::isnan(sb)) return !std::isnan(sa);
    return sa > sb;
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
    r.test_max = max_of(reference_scores(read_reference(c, "t10k", 10'000, shape), "t10k"));
  } else if (c.brute_force_pool > 0) {
    const GreyImages train = read_reference(c, "train", c.brute_force_pool, shape);
    r.pool = train.count;
    r.budget = budget;
    r.brute_force =
        expected_max_of_sample(reference_scores(train, "train"), static_cast<std::int64_t>(budget));
  }
  return r;
}

xdream::Population reference_best_codes(const EvolveConfig& c, xdream::TorchGenerator& generator,
                                        xdream::TorchNetwork& network, const Reference& r,
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
  return generator.encode(network.activations(images, c.encode_tap));
}

}  // namespace xdream_evolve
