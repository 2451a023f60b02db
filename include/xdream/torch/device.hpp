#pragma once
/// @file
/// Run-time choice of the LibTorch device and thread count.

#include <torch/cuda.h>
#include <torch/script.h>

#include <ATen/Parallel.h>

#include <cctype>
#include <stdexcept>
#include <string>
#include <string_view>

namespace xdream {

/// Parses a device name: `auto` (the first CUDA device when LibTorch has one, else the CPU),
/// `cpu`, `cuda` (device 0) or `cuda:N`. Throws `std::invalid_argument` for any other text, and
/// for a CUDA device that this LibTorch build or this machine does not have.
inline ::torch::Device parse_device(std::string_view name) {
  const auto cuda_count = static_cast<long long>(::torch::cuda::device_count());
  const std::string where = "xdream: device = '" + std::string(name) + "'";
  if (name == "auto") {
    return cuda_count > 0 ? ::torch::Device(::torch::kCUDA, 0) : ::torch::Device(::torch::kCPU);
  }
  if (name == "cpu") return ::torch::Device(::torch::kCPU);
  long long index = -1;
  if (name == "cuda") {
    index = 0;
  } else if (name.starts_with("cuda:") && name.size() > 5 && name.size() <= 8) {
    index = 0;
    for (char c : name.substr(5)) {
      if (!std::isdigit(static_cast<unsigned char>(c))) {
        index = -1;
        break;
      }
      index = index * 10 + (c - '0');
    }
  }
  if (index < 0) {
    throw std::invalid_argument(where + " is not a device; expected auto, cpu, cuda or cuda:N");
  }
  if (index >= cuda_count) {
    throw std::invalid_argument(
        where + " is not available: this LibTorch sees " + std::to_string(cuda_count) +
        " CUDA device(s)" +
        (cuda_count == 0 ? " (a CPU-only build, like Debian's libtorch-dev, or no GPU)" : ""));
  }
  return ::torch::Device(::torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

/// Sets LibTorch's intra-op thread count (LibTorch may start with one thread). Call it once, before
/// the first forward pass. Throws `std::invalid_argument` unless threads >= 1.
inline void set_torch_threads(int threads) {
  if (threads < 1) {
    throw std::invalid_argument("xdream: threads = " + std::to_string(threads) +
                                " is out of range; allowed: >= 1");
  }
  at::set_num_threads(threads);
}

}  // namespace xdream
