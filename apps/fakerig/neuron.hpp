#pragma once
// The simulated neuron: the clean activation of each image shown. A unit of a TorchScript network
// (the only part of the program that includes LibTorch, in network_neuron.cpp) or a synthetic
// function of the pixels.

#include <xdream/io/png.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xdream_fakerig {

class Neuron {
 public:
  virtual ~Neuron() = default;
  /// The clean activation of each image (one forward pass for them all).
  virtual std::vector<double> activations(const std::vector<xdream::io::Image>& images) = 0;
  /// One line that says what the neuron is.
  virtual std::string describe() const = 0;
};

/// Settings of a network's unit.
struct NetworkUnitSettings {
  std::string network;
  std::string tap;
  std::int64_t unit = 0, y = -1, x = -1;
  std::string device = "cpu";
  int threads = 1;
};

/// A unit of a TorchScript network. The network is loaded at the first call (its input shape is
/// the first image's); a later image of another size is an error, one of another channel count
/// is converted (grey <-> RGB). Errors throw std::exception naming the file or the unit.
std::unique_ptr<Neuron> make_network_neuron(const NetworkUnitSettings& settings);

/// The synthetic neuron: the mean brightness of the image weighted by a centred Gaussian (sigma
/// a quarter of the smaller side), in [0, 1]; brighter centres drive it harder.
std::unique_ptr<Neuron> make_synthetic_neuron();

}  // namespace xdream_fakerig
