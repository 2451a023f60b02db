#pragma once
/// @file
/// One unit of a TorchScript network as an Objective (docs/torch-models.md: the contract).

#include <xdream/population.hpp>
#include <xdream/torch/network.hpp>

#include <torch/script.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace xdream {

/// A unit: a tap (layer), a channel and, for a convolutional tap, a position. y = x = -1 (the
/// default) is the spatial centre (H / 2, W / 2), as in XDream.
struct TorchUnit {
  std::string tap{};
  std::int64_t channel = 0;
  std::int64_t y = -1, x = -1;
};

/// An Objective: the pre-ReLU activation of one unit of a TorchNetwork, for a batch of images
/// (one forward pass for the whole generation). The constructor checks the unit against the
/// tap's shape: an unknown tap, a channel or position out of range, or a position given for a
/// fully connected tap throws std::invalid_argument naming it and the valid range.
class TorchNetworkUnit {
 public:
  TorchNetworkUnit(TorchNetwork network, TorchUnit unit)
      : network_(std::move(network)), unit_(std::move(unit)) {
    const std::vector<std::int64_t> shape = network_.tap_shape(unit_.tap);
    const std::string where = "xdream: unit of tap '" + unit_.tap + "': ";
    const auto require = [&](const char* what, std::int64_t value, std::int64_t size) {
      if (value < 0 || value >= size) {
        throw std::invalid_argument(where + what + " = " + std::to_string(value) +
                                    " is out of range; allowed: [0, " + std::to_string(size - 1) +
                                    "]");
      }
    };
    if (shape.empty()) throw std::invalid_argument(where + "the tap has no channel dimension");
    require("channel", unit_.channel, shape[0]);
    if (shape.size() == 1) {
      if (unit_.y != -1 || unit_.x != -1) {
        throw std::invalid_argument(where + "a fully connected tap has no position (y, x); got (" +
                                    std::to_string(unit_.y) + ", " + std::to_string(unit_.x) + ")");
      }
    } else if (shape.size() == 3) {
      if (unit_.y == -1) unit_.y = shape[1] / 2;
      if (unit_.x == -1) unit_.x = shape[2] / 2;
      require("y", unit_.y, shape[1]);
      require("x", unit_.x, shape[2]);
    } else {
      throw std::invalid_argument(where + "taps of " + std::to_string(shape.size()) +
                                  " dimensions per image are not supported; expected [C] or "
                                  "[C, H, W]");
    }
    conv_ = shape.size() == 3;
  }

  /// The unit's activation for each image of `images` ([N, C, H, W]).
  Scores evaluate(const ::torch::Tensor& images) {
    return select(network_.activations(images, unit_.tap));
  }

  /// The unit's activations in a tap's activations `[N, ...]` (to score several units from one
  /// forward pass).
  Scores select(const ::torch::Tensor& tap) const {
    c10::InferenceMode inference;
    ::torch::Tensor values =
        conv_ ? tap.select(1, unit_.channel).select(1, unit_.y).select(1, unit_.x)
              : tap.select(1, unit_.channel);
    values = values.to(::torch::kCPU, ::torch::kFloat64).contiguous();
    Scores scores(values.size(0));
    std::copy_n(values.data_ptr<double>(), values.size(0), scores.data());
    return scores;
  }

  /// The unit, with its position resolved (centre when not given).
  const TorchUnit& unit() const noexcept { return unit_; }
  bool convolutional() const noexcept { return conv_; }
  TorchNetwork& network() noexcept { return network_; }

 private:
  TorchNetwork network_;
  TorchUnit unit_;
  bool conv_ = false;
};

}  // namespace xdream
