#pragma once
/// @file
/// A TorchScript network with named taps (layer outputs), batched and preprocessed
/// (docs/torch-models.md: the contract).

#include <xdream/torch/contract.hpp>
#include <xdream/torch/device.hpp>
#include <xdream/torch/module.hpp>
#include <xdream/torch/submodule_tap.hpp>

#include <torch/script.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace xdream {

/// Settings of TorchNetwork: the device and the preprocessing done on the C++ side (leave both
/// empty when the export baked them in).
struct TorchNetworkOptions {
  /// `auto`, `cpu`, `cuda` or `cuda:N` (see parse_device).
  std::string device = "auto";
  /// Bilinear resize of the images to resize_height x resize_width before the network; 0 and 0
  /// (default) = none; otherwise both >= 1.
  std::int64_t resize_height = 0, resize_width = 0;
  /// Per-channel normalization (x - mean[c]) / std[c] after the resize; empty (default) = none;
  /// otherwise one value per image channel, std > 0.
  std::vector<double> mean{}, std{};
};

/// A network module `forward(images: Tensor[N, C, H, W] in [0, 1]) -> Tensor` or
/// `Dict[str, Tensor]` of named layer outputs ("taps", pre-ReLU), read tap by tap.
///
/// A tap is a key of the returned dict, `output` for a module that returns a single tensor, or
/// the dotted name of any submodule (`features.3`): its output is reached through the module's
/// inlined forward graph, cut after the tap. The constructor loads the module and checks the
/// contract with a probe pass on `input_shape` ({C, H, W}) images.
class TorchNetwork {
 public:
  TorchNetwork(std::filesystem::path file, std::array<std::int64_t, 3> input_shape,
               TorchNetworkOptions options = {})
      : file_(std::move(file)),
        device_(parse_device(options.device)),
        input_shape_(input_shape),
        options_(std::move(options)) {
    check_options();
    module_ = load_torch_module(file_, device_, "network");
    const ::torch::Tensor probe =
        ::torch::zeros({1, input_shape_[0], input_shape_[1], input_shape_[2]});
    ::torch::jit::IValue output = forward(probe);
    const std::string who = "network file '" + file_.string() + "'";
    if (output.isTensor()) {
      detail::check_activations(output.toTensor(), 1, who, "output");
      output_taps_.emplace("output", per_image_shape(output.toTensor()));
      returns_dict_ = false;
    } else if (output.isGenericDict()) {
      returns_dict_ = true;
      for (const auto& entry : output.toGenericDict()) {
        if (!entry.key().isString() || !entry.value().isTensor()) {
          throw ModelError(where() + " returned a dict that is not Dict[str, Tensor]");
        }
        detail::check_activations(entry.value().toTensor(), 1, who, entry.key().toStringRef());
        output_taps_.emplace(entry.key().toStringRef(), per_image_shape(entry.value().toTensor()));
      }
    } else {
      throw ModelError(where() + " returned a " + output.tagKind() +
                       "; expected a Tensor or a Dict[str, Tensor] of taps");
    }
  }

  /// Taps the module returns (dict keys, or `output`); submodule names are taps too.
  std::vector<std::string> output_taps() const {
    std::vector<std::string> names;
    for (const auto& [name, shape] : output_taps_) names.push_back(name);
    return names;
  }

  /// Shape of one image's activations at `tap` (e.g. {C, H, W} or {F}); throws
  /// std::invalid_argument naming the tap and the available ones when there is no such tap.
  std::vector<std::int64_t> tap_shape(const std::string& tap) {
    if (auto it = output_taps_.find(tap); it != output_taps_.end()) return it->second;
    if (auto it = submodule_shapes_.find(tap); it != submodule_shapes_.end()) return it->second;
    const ::torch::Tensor probe =
        ::torch::zeros({1, input_shape_[0], input_shape_[1], input_shape_[2]});
    const auto shape = per_image_shape(activations(probe, tap));
    submodule_shapes_.emplace(tap, shape);
    return shape;
  }

  /// Activations `[N, ...]` at `tap` for a batch of images `[N, C, H, W]` (on any device; the
  /// result is on the network's device): one forward pass in inference mode. Every batch's
  /// activations are checked: one row per image, floating point (ModelError otherwise).
  ::torch::Tensor activations(const ::torch::Tensor& images, const std::string& tap) {
    const std::string who = "network file '" + file_.string() + "'";
    if (output_taps_.count(tap) == 0) {
      check_input(images);  // forward() checks it on the other path
      auto function = submodule_function(tap);
      c10::InferenceMode inference;
      std::vector<::torch::jit::IValue> stack{module_._ivalue(), preprocess(images)};
      ::torch::jit::IValue result;
      try {
        result = (*function)(std::move(stack));
      } catch (const std::exception& e) {
        throw ModelError(where() + " failed on tap '" + tap + "' (" + detail::torch_failure(e) +
                         ")");
      }
      if (!result.isTensor()) {
        throw ModelError(where() + " returned a " + result.tagKind() + " at tap '" + tap +
                         "'; expected a Tensor");
      }
      return detail::check_activations(result.toTensor(), images.size(0), who, tap);
    }
    ::torch::jit::IValue output = forward(images);
    if (!returns_dict_) {
      if (!output.isTensor()) {
        throw ModelError(where() + " returned a " + output.tagKind() + "; expected a Tensor");
      }
      return detail::check_activations(output.toTensor(), images.size(0), who, tap);
    }
    if (!output.isGenericDict()) {
      throw ModelError(where() + " returned a " + output.tagKind() +
                       "; expected a Dict[str, Tensor] of taps, as at load");
    }
    const auto dict = output.toGenericDict();
    const auto entry = dict.find(tap);
    if (entry == dict.end() || !entry->value().isTensor()) {
      throw ModelError(where() + " returned no tensor for tap '" + tap + "' on this batch");
    }
    return detail::check_activations(entry->value().toTensor(), images.size(0), who, tap);
  }

  const std::filesystem::path& file() const noexcept { return file_; }
  const ::torch::Device& device() const noexcept { return device_; }
  const std::array<std::int64_t, 3>& input_shape() const noexcept { return input_shape_; }

 private:
  std::string where() const { return "xdream: network file '" + file_.string() + "'"; }

  void check_options() const {
    const char* who = "xdream::TorchNetwork";
    const bool resize = options_.resize_height != 0 || options_.resize_width != 0;
    if (resize && (options_.resize_height < 1 || options_.resize_width < 1)) {
      throw std::invalid_argument(std::string(who) +
                                  ": resize = " + std::to_string(options_.resize_height) + "x" +
                                  std::to_string(options_.resize_width) +
                                  " is out of range; allowed: both 0 (none) or both >= 1");
    }
    for (std::int64_t d : input_shape_) {
      if (d < 1) throw std::invalid_argument(std::string(who) + ": input_shape has a size < 1");
    }
    const auto channels = static_cast<std::size_t>(input_shape_[0]);
    if ((!options_.mean.empty() || !options_.std.empty()) &&
        (options_.mean.size() != channels || options_.std.size() != channels)) {
      throw std::invalid_argument(std::string(who) +
                                  ": mean and std need one value per image "
                                  "channel (" +
                                  std::to_string(channels) + "); got " +
                                  std::to_string(options_.mean.size()) + " and " +
                                  std::to_string(options_.std.size()));
    }
    for (double s : options_.std) {
      if (!(s > 0.0) || !std::isfinite(s)) {
        throw std::invalid_argument(std::string(who) + ": std = " + std::to_string(s) +
                                    " is out of range; allowed: finite > 0");
      }
    }
  }

  void check_input(const ::torch::Tensor& images) const {
    if (images.dim() != 4 || images.size(1) != input_shape_[0] ||
        images.size(2) != input_shape_[1] || images.size(3) != input_shape_[2]) {
      throw std::invalid_argument(where() + " takes images [N, " + std::to_string(input_shape_[0]) +
                                  ", " + std::to_string(input_shape_[1]) + ", " +
                                  std::to_string(input_shape_[2]) + "]; got " +
                                  detail::shape_text(images));
    }
  }

  ::torch::Tensor preprocess(const ::torch::Tensor& images) const {
    ::torch::Tensor x = images.to(device_, ::torch::kFloat32);
    if (options_.resize_height > 0) {
      x = ::torch::upsample_bilinear2d(x, {options_.resize_height, options_.resize_width},
                                       /*align_corners=*/false);
    }
    if (!options_.mean.empty()) {
      const auto shape = std::vector<std::int64_t>{1, input_shape_[0], 1, 1};
      const auto as_tensor = [&](const std::vector<double>& v) {
        return ::torch::tensor(v, ::torch::kFloat32).reshape(shape).to(device_);
      };
      x = (x - as_tensor(options_.mean)) / as_tensor(options_.std);
    }
    return x;
  }

  ::torch::jit::IValue forward(const ::torch::Tensor& images) {
    check_input(images);
    c10::InferenceMode inference;
    try {
      return module_.forward({preprocess(images)});
    } catch (const std::exception& e) {
      throw ModelError(where() + " failed on images " + detail::shape_text(images) + " (" +
                       detail::torch_failure(e) + ")");
    }
  }

  std::shared_ptr<::torch::jit::GraphFunction> submodule_function(const std::string& tap) {
    if (auto it = submodule_taps_.find(tap); it != submodule_taps_.end()) return it->second;
    auto function = detail::make_submodule_tap(module_, tap);
    if (!function) {
      std::string known;
      for (const auto& [name, shape] : output_taps_) known += (known.empty() ? "" : ", ") + name;
      std::string submodules;
      int listed = 0;
      for (const auto& child : module_.named_modules()) {
        if (child.name.empty()) continue;
        if (listed++ == 12) {
          submodules += ", ...";
          break;
        }
        submodules += (submodules.empty() ? "" : ", ") + child.name;
      }
      throw std::invalid_argument(where() + " has no tap '" + tap + "'; it returns " + known +
                                  (submodules.empty() ? "" : "; submodules: " + submodules));
    }
    submodule_taps_.emplace(tap, function);
    return function;
  }

  static std::vector<std::int64_t> per_image_shape(const ::torch::Tensor& tensor) {
    return std::vector<std::int64_t>(tensor.sizes().begin() + 1, tensor.sizes().end());
  }

  std::filesystem::path file_;
  ::torch::Device device_;
  std::array<std::int64_t, 3> input_shape_;
  TorchNetworkOptions options_;
  ::torch::jit::Module module_;
  bool returns_dict_ = false;
  std::map<std::string, std::vector<std::int64_t>> output_taps_;
  std::map<std::string, std::vector<std::int64_t>> submodule_shapes_;
  std::map<std::string, std::shared_ptr<::torch::jit::GraphFunction>> submodule_taps_;
};

}  // namespace xdream
