// The one translation unit of xdream-fakerig that includes LibTorch.

#include "neuron.hpp"

#include <xdream/torch.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <utility>

namespace xdream_fakerig {
namespace {

class NetworkNeuron final : public Neuron {
 public:
  explicit NetworkNeuron(NetworkUnitSettings settings) : settings_(std::move(settings)) {
    xdream::set_torch_threads(settings_.threads);
  }

  std::vector<double> activations(const std::vector<xdream::io::Image>& images) override {
    if (images.empty()) return {};
    if (!unit_) load(images.front());
    const auto [channels, height, width] = shape_;
    const auto plane = static_cast<std::size_t>(height * width);
    ::torch::Tensor batch = ::torch::empty(
        {static_cast<std::int64_t>(images.size()), channels, height, width}, ::torch::kFloat32);
    float* out = batch.data_ptr<float>();
    for (const xdream::io::Image& image : images) {
      if (image.height != height || image.width != width) {
        throw std::runtime_error(
            "an image of " + std::to_string(image.width) + " x " + std::to_string(image.height) +
            " pixels, but the network was "
            "set up for " +
            std::to_string(width) + " x " + std::to_string(height) + " (the first image's size)");
      }
      for (std::int64_t c = 0; c < channels; ++c, out += plane) {
        for (std::size_t p = 0; p < plane; ++p) out[p] = pixel(image, c, p, plane);
      }
    }
    const xdream::Scores scores = unit_->evaluate(batch);
    return std::vector<double>(scores.data(), scores.data() + scores.size());
  }

  std::string describe() const override {
    return "unit " + settings_.tap + "[" + std::to_string(settings_.unit) + "] of " +
           settings_.network;
  }

 private:
  // Grey <-> RGB as the network needs it: the mean of the colours, or the grey repeated.
  float pixel(const xdream::io::Image& image, std::int64_t c, std::size_t p,
              std::size_t plane) const {
    if (image.channels == shape_[0]) return image.pixels[static_cast<std::size_t>(c) * plane + p];
    if (image.channels == 1) return image.pixels[p];
    return (image.pixels[p] + image.pixels[plane + p] + image.pixels[2 * plane + p]) / 3.0f;
  }

  void load(const xdream::io::Image& first) {
    shape_ = {first.channels, first.height, first.width};
    xdream::TorchNetwork network(settings_.network, shape_, {.device = settings_.device});
    unit_.emplace(
        std::move(network),
        xdream::TorchUnit{
            .tap = settings_.tap, .channel = settings_.unit, .y = settings_.y, .x = settings_.x});
  }

  NetworkUnitSettings settings_;
  std::array<std::int64_t, 3> shape_{};
  std::optional<xdream::TorchNetworkUnit> unit_;
};

}  // namespace

std::unique_ptr<Neuron> make_network_neuron(const NetworkUnitSettings& settings) {
  return std::make_unique<NetworkNeuron>(settings);
}

}  // namespace xdream_fakerig
