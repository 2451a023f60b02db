#include "neuron.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace xdream_fakerig {
namespace {

class SyntheticNeuron final : public Neuron {
 public:
  std::vector<double> activations(const std::vector<xdream::io::Image>& images) override {
    std::vector<double> out;
    out.reserve(images.size());
    for (const xdream::io::Image& image : images) out.push_back(activation(image));
    return out;
  }
  std::string describe() const override {
    return "synthetic neuron (Gaussian-weighted brightness of the image centre)";
  }

 private:
  static double activation(const xdream::io::Image& image) {
    const int h = image.height, w = image.width;
    const double sigma = 0.25 * std::min(h, w);
    const double cy = 0.5 * (h - 1), cx = 0.5 * (w - 1);
    const auto plane = static_cast<std::size_t>(h) * static_cast<std::size_t>(w);
    double weighted = 0.0, total = 0.0;
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const double dy = y - cy, dx = x - cx;
        const double weight = std::exp(-(dy * dy + dx * dx) / (2.0 * sigma * sigma));
        const std::size_t p =
            static_cast<std::size_t>(y) * static_cast<std::size_t>(w) + static_cast<std::size_t>(x);
        double grey = 0.0;
        for (int c = 0; c < image.channels; ++c) {
          grey += image.pixels[static_cast<std::size_t>(c) * plane + p];
        }
        weighted += weight * grey / image.channels;
        total += weight;
      }
    }
    return total > 0.0 ? weighted / total : 0.0;
  }
};

}  // namespace

std::unique_ptr<Neuron> make_synthetic_neuron() { return std::make_unique<SyntheticNeuron>(); }

}  // namespace xdream_fakerig
