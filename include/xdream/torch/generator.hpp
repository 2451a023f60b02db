#pragma once
/// @file
/// A TorchScript generator: latent codes -> images (docs/torch-models.md: the contract).

#include <xdream/population.hpp>
#include <xdream/torch/contract.hpp>
#include <xdream/torch/device.hpp>
#include <xdream/torch/module.hpp>

#include <torch/script.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace xdream {

/// Settings of TorchGenerator.
struct TorchGeneratorOptions {
  /// Length of one code; 0 (default) reads the module's integer attribute `code_size` (the
  /// export tools set it); range [0, max_code_size].
  Index code_size = 0;
  /// `auto`, `cpu`, `cuda` or `cuda:N` (see parse_device).
  std::string device = "auto";
};

/// A Generator backed by a TorchScript module with `forward(codes: Tensor[N, D]) ->
/// Tensor[N, C, H, W]`, float images in [0, 1] (C = 1 grey or 3 RGB).
///
/// `generate` wraps the population's memory as a `[N, D]` tensor without a copy (a column-major
/// `D x N` matrix is a row-major `[N, D]` array), moves it to the device (a copy only for a
/// GPU), and runs ONE forward pass for the whole generation in inference mode. The returned
/// images stay on the device for the network objective.
///
/// The constructor checks the contract with a probe pass on two zero codes; `generate` checks
/// every batch's shape and range: a module that breaks the contract throws ModelError naming
/// the file, never a silent wrong image.
class TorchGenerator {
 public:
  /// The longest code accepted (2^24 floats: 64 MB per code), so that a damaged attribute or a
  /// typo cannot ask LibTorch for terabytes.
  static constexpr Index max_code_size = Index{1} << 24;

  explicit TorchGenerator(std::filesystem::path file, TorchGeneratorOptions options = {})
      : file_(std::move(file)), device_(parse_device(options.device)) {
    module_ = load_torch_module(file_, device_, "generator");
    code_size_ = options.code_size;
    if (code_size_ < 0 || code_size_ > max_code_size) {
      throw std::invalid_argument(
          "xdream::TorchGenerator: code_size = " + std::to_string(code_size_) +
          " is out of range; allowed: [0, " + std::to_string(max_code_size) + "]");
    }
    if (code_size_ == 0) {
      if (!module_.hasattr("code_size") || !module_.attr("code_size").isInt()) {
        throw ModelError("xdream: generator file '" + file_.string() +
                         "' has no integer attribute code_size; give the code size explicitly");
      }
      const std::int64_t attribute = module_.attr("code_size").toInt();
      if (attribute < 1 || attribute > max_code_size) {
        throw ModelError("xdream: generator file '" + file_.string() +
                         "' says code_size = " + std::to_string(attribute) + "; expected [1, " +
                         std::to_string(max_code_size) + "]");
      }
      code_size_ = static_cast<Index>(attribute);
    }
    const ::torch::Tensor probe =
        run(::torch::zeros({2, static_cast<std::int64_t>(code_size_)}),
            "does not accept codes of size " + std::to_string(code_size_));
    image_shape_ = {probe.size(1), probe.size(2), probe.size(3)};
  }

  Index code_size() const noexcept { return code_size_; }
  /// {C, H, W} of one image.
  const std::array<std::int64_t, 3>& image_shape() const noexcept { return image_shape_; }
  const ::torch::Device& device() const noexcept { return device_; }
  const std::filesystem::path& file() const noexcept { return file_; }

  /// Whether the module has a method `encode(features: Tensor[N, F]) -> Tensor[N, D]` mapping a
  /// network's features back to codes (the bundled generator inverts the classifier's fc6).
  bool can_encode() const { return module_.find_method("encode").has_value(); }

  /// The codes (columns) of `features` through the module's `encode` method. Throws ModelError
  /// when the module has none or it returns something other than [N, code_size] floats.
  Population encode(const ::torch::Tensor& features) {
    const auto method = module_.find_method("encode");
    if (!method) {
      throw ModelError("xdream: generator file '" + file_.string() + "' has no method encode");
    }
    c10::InferenceMode inference;
    ::torch::jit::IValue output;
    try {
      output = (*method)({features.to(device_)});
    } catch (const std::exception& e) {
      throw ModelError("xdream: generator file '" + file_.string() + "': encode failed (" +
                       detail::torch_failure(e) + ")");
    }
    if (!output.isTensor() || output.toTensor().dim() != 2 ||
        output.toTensor().size(1) != code_size_ || output.toTensor().size(0) != features.size(0)) {
      throw ModelError("xdream: generator file '" + file_.string() +
                       "': encode did not return codes [N, " + std::to_string(code_size_) + "]");
    }
    const ::torch::Tensor codes =
        output.toTensor().to(::torch::kCPU, ::torch::kFloat32).contiguous();
    Population result(code_size_, codes.size(0));
    std::copy_n(codes.data_ptr<float>(), codes.numel(), result.data());
    return result;
  }

  /// The images `[N, C, H, W]` (float, in [0, 1], on the device) of the N codes (columns).
  ::torch::Tensor generate(const Population& codes) {
    if (codes.rows() != code_size_) {
      throw std::invalid_argument("xdream::TorchGenerator: codes have " +
                                  std::to_string(codes.rows()) + " rows; the generator '" +
                                  file_.string() + "' takes codes of size " +
                                  std::to_string(code_size_));
    }
    if (!codes.allFinite()) {
      throw std::invalid_argument(
          "xdream::TorchGenerator: the codes to generate hold NaN or inf: the algorithm diverged "
          "(a step size, radius or learning rate too large?), not the generator '" +
          file_.string() + "'");
    }
    // from_blob does not copy and does not take ownership; the module does not write its input.
    const ::torch::Tensor batch = ::torch::from_blob(
        const_cast<float*>(codes.data()),
        {static_cast<std::int64_t>(codes.cols()), static_cast<std::int64_t>(codes.rows())},
        ::torch::TensorOptions().dtype(::torch::kFloat32));
    return run(batch, "failed on a batch of " + std::to_string(codes.cols()) + " codes");
  }

 private:
  ::torch::Tensor run(const ::torch::Tensor& codes, const std::string& failure) {
    c10::InferenceMode inference;
    ::torch::jit::IValue output;
    try {
      output = module_.forward({codes.to(device_)});
    } catch (const std::exception& e) {
      throw ModelError("xdream: generator file '" + file_.string() + "' " + failure + " (" +
                       detail::torch_failure(e) + ")");
    }
    return detail::check_images(output, codes.size(0), "generator file '" + file_.string() + "'");
  }

  std::filesystem::path file_;
  ::torch::Device device_;
  ::torch::jit::Module module_;
  Index code_size_ = 0;
  std::array<std::int64_t, 3> image_shape_{};
};

}  // namespace xdream
