#pragma once
/// @file
/// Checks of the model contract (docs/torch-models.md) shared by the torch adapters.

#include <xdream/torch/module.hpp>

#include <torch/script.h>

#include <cstdint>
#include <sstream>
#include <string>

namespace xdream::detail {

inline std::string shape_text(const ::torch::Tensor& tensor) {
  std::ostringstream out;
  out << '[';
  for (std::int64_t d = 0; d < tensor.dim(); ++d) out << (d ? ", " : "") << tensor.size(d);
  out << ']';
  return out.str();
}

/// A generator's output must be a float tensor [N, C, H, W] (C = 1 or 3), finite, in [0, 1]
/// (up to float rounding: 1e-4).
inline ::torch::Tensor check_images(const ::torch::jit::IValue& output, std::int64_t n,
                                    const std::string& who) {
  constexpr double tolerance = 1e-4;
  if (!output.isTensor()) {
    throw ModelError("xdream: " + who + " returned a " + output.tagKind() +
                     "; expected a Tensor [N, C, H, W] of images in [0, 1]");
  }
  ::torch::Tensor images = output.toTensor();
  if (images.dim() != 4 || images.size(0) != n || (images.size(1) != 1 && images.size(1) != 3)) {
    throw ModelError("xdream: " + who + " returned a tensor of shape " + shape_text(images) +
                     " for " + std::to_string(n) + " codes; expected [N, C, H, W] with N = " +
                     std::to_string(n) + " and C = 1 or 3");
  }
  if (images.scalar_type() != ::torch::kFloat32) {
    throw ModelError("xdream: " + who + " returned " +
                     std::string(c10::toString(images.scalar_type())) +
                     " images; expected float32");
  }
  const auto [lo, hi] = ::torch::aminmax(images);
  const double min = lo.item<double>(), max = hi.item<double>();
  if (!(min >= -tolerance && max <= 1.0 + tolerance)) {  // NaN fails too
    std::ostringstream out;
    out << "xdream: " << who << " returned values in [" << min << ", " << max
        << "]; expected finite images in [0, 1] (wrap the model with tools/export_generator.py)";
    throw ModelError(out.str());
  }
  return images;
}

/// A network's activations at a tap must be a real floating-point tensor [N, ...] with one row
/// per image of the batch (N = `n`): a 0-dim output, another batch size, or an integer, bool or
/// complex dtype breaks the contract.
inline const ::torch::Tensor& check_activations(const ::torch::Tensor& activations, std::int64_t n,
                                                const std::string& who, const std::string& tap) {
  if (activations.dim() < 1 || activations.size(0) != n) {
    throw ModelError("xdream: " + who + " returned activations of shape " +
                     shape_text(activations) + " at tap '" + tap + "' for " + std::to_string(n) +
                     " images; expected [N, ...] with N = " + std::to_string(n));
  }
  if (!::torch::isFloatingType(activations.scalar_type())) {
    throw ModelError("xdream: " + who + " returned " +
                     std::string(c10::toString(activations.scalar_type())) +
                     " activations at tap '" + tap + "'; expected floating-point values");
  }
  return activations;
}

}  // namespace xdream::detail
