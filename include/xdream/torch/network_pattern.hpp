#pragma once
/// @file
/// A population pattern over a TorchScript network's tap as an Objective: the tap's channels are
/// the "array", and an image's score is how well their response vector matches a target
/// (PopulationPattern's measures), the in-silico counterpart of scoring a recorded array.

#include <xdream/objectives/population_pattern.hpp>
#include <xdream/population.hpp>
#include <xdream/torch/network.hpp>

#include <torch/script.h>
#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace xdream {

/// Where the array is read: a tap and, for a convolutional tap `[C, H, W]`, one spatial
/// position, chosen as for TorchUnit: y = x = -1 (the default) is the centre (H / 2, W / 2).
/// The array is then the C channels at that position (the units of one column of the feature
/// map, as an electrode array samples one patch of cortex); a fully connected tap `[C]` has no
/// position, its C units are the array.
struct TorchArraySite {
  std::string tap{};
  std::int64_t y = -1, x = -1;
};

/// Every channel of one tap at one position, read as one response vector per image. The
/// constructor checks the site against the tap's shape: an unknown tap, a position out of
/// range, or a position given for a fully connected tap throws std::invalid_argument naming it
/// and the valid range (as TorchNetworkUnit does for a unit).
class TorchTapArray {
 public:
  TorchTapArray(TorchNetwork network, TorchArraySite site)
      : network_(std::move(network)), site_(std::move(site)) {
    const std::vector<std::int64_t> shape = network_.tap_shape(site_.tap);
    const std::string where = "xdream: array of tap '" + site_.tap + "': ";
    const auto require = [&](const char* what, std::int64_t value, std::int64_t size) {
      if (value < 0 || value >= size) {
        throw std::invalid_argument(where + what + " = " + std::to_string(value) +
                                    " is out of range; allowed: [0, " + std::to_string(size - 1) +
                                    "]");
      }
    };
    if (shape.empty() || shape[0] < 1) {
      throw std::invalid_argument(where + "the tap has no channel dimension");
    }
    if (shape.size() == 1) {
      if (site_.y != -1 || site_.x != -1) {
        throw std::invalid_argument(where + "a fully connected tap has no position (y, x); got (" +
                                    std::to_string(site_.y) + ", " + std::to_string(site_.x) + ")");
      }
    } else if (shape.size() == 3) {
      if (site_.y == -1) site_.y = shape[1] / 2;
      if (site_.x == -1) site_.x = shape[2] / 2;
      require("y", site_.y, shape[1]);
      require("x", site_.x, shape[2]);
    } else {
      throw std::invalid_argument(where + "taps of " + std::to_string(shape.size()) +
                                  " dimensions per image are not supported; expected [C] or "
                                  "[C, H, W]");
    }
    channels_ = shape[0];
    conv_ = shape.size() == 3;
  }

  /// The responses of every channel to each image of `images` ([N, C, H, W]): channels x N,
  /// one forward pass for the whole batch.
  Eigen::MatrixXd responses(const ::torch::Tensor& images) {
    return select(network_.activations(images, site_.tap));
  }

  /// The array's responses in a tap's activations `[N, ...]`: channels x N.
  Eigen::MatrixXd select(const ::torch::Tensor& tap) const {
    c10::InferenceMode inference;
    ::torch::Tensor values = conv_ ? tap.select(2, site_.y).select(2, site_.x) : tap;
    if (values.dim() != 2 || values.size(1) != channels_) {
      throw ModelError("xdream: network file '" + network_.file().string() +
                       "' returned activations of shape " + detail::shape_text(tap) + " at tap '" +
                       site_.tap + "'; expected " + std::to_string(channels_) +
                       " channels per image, as at load");
    }
    // [N, C] row-major is C x N column-major: the copy is the layout Eigen wants.
    values = values.to(::torch::kCPU, ::torch::kFloat64).contiguous();
    Eigen::MatrixXd out(channels_, values.size(0));
    std::copy_n(values.data_ptr<double>(), values.numel(), out.data());
    return out;
  }

  /// Channels of the tap (the length of a response vector).
  std::int64_t channels() const noexcept { return channels_; }
  bool convolutional() const noexcept { return conv_; }
  /// The site, with its position resolved (the centre when not given).
  const TorchArraySite& site() const noexcept { return site_; }
  TorchNetwork& network() noexcept { return network_; }

 private:
  TorchNetwork network_;
  TorchArraySite site_;
  std::int64_t channels_ = 0;
  bool conv_ = false;
};

/// An Objective: an image's score is `pattern`'s measure (cosine, correlation, dot or negative
/// MSE) between the array's response vector and the pattern's target, over the pattern's mask
/// (the tap's channels compared; empty = all), z-scored per channel when the pattern carries
/// statistics (ZScore::of over reference images' responses, e.g. from `array().responses`).
/// One forward pass per generation. The constructor validates the pattern against the tap's
/// channel count (PopulationPattern::validate: a mask index out of range or repeated, a target
/// of another length or not finite, z statistics of another size, a target without direction
/// for cosine or spread for correlation) and throws std::invalid_argument.
///
/// A masked channel whose response is NaN, or a cosine or correlation whose response vector has
/// no direction or spread, scores NaN (no response).
class TorchNetworkPattern {
 public:
  TorchNetworkPattern(TorchTapArray array, PopulationPattern pattern)
      : array_(std::move(array)), pattern_(std::move(pattern)) {
    pattern_.validate(array_.channels());
  }
  TorchNetworkPattern(TorchNetwork network, TorchArraySite site, PopulationPattern pattern)
      : TorchNetworkPattern(TorchTapArray(std::move(network), std::move(site)),
                            std::move(pattern)) {}

  /// The pattern score of each image of `images` ([N, C, H, W]).
  Scores evaluate(const ::torch::Tensor& images) {
    return pattern_.scores(array_.responses(images));
  }

  const PopulationPattern& pattern() const noexcept { return pattern_; }
  TorchTapArray& array() noexcept { return array_; }
  const TorchTapArray& array() const noexcept { return array_; }

 private:
  TorchTapArray array_;
  PopulationPattern pattern_;
};

}  // namespace xdream
