#pragma once
/// @file
/// A callback that writes each generation's best image as a PNG (through io/png.hpp).

#include <xdream/io/png.hpp>
#include <xdream/result.hpp>

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>

namespace xdream {

/// The images of a `[N, C, H, W]` tensor in [0, 1] (a TorchGenerator's stimuli), on the CPU, as
/// float32 in one block. Keep the returned tensor alive while the view is used.
inline std::pair<::torch::Tensor, io::ImageView> image_view(const ::torch::Tensor& images) {
  ::torch::Tensor cpu = images.to(::torch::kCPU, ::torch::kFloat32).contiguous();
  const io::ImageView view{cpu.data_ptr<float>(), static_cast<int>(cpu.size(1)),
                           static_cast<int>(cpu.size(2)), static_cast<int>(cpu.size(3)),
                           static_cast<int>(cpu.size(0))};
  return {std::move(cpu), view};
}

/// Writes the best image of every generation (by clean score when the objective reports one,
/// else by score; NaN never wins; the first of ties) to `folder/genNNNN.png`, NNNN the
/// generation number zero-padded to four digits. Its `on_generation` takes the driver's report
/// with the stimuli of a generator of images (`[N, C, H, W]` tensors, e.g. TorchGenerator).
class TorchImageWriter {
 public:
  explicit TorchImageWriter(std::filesystem::path folder, io::PngOptions options = {})
      : folder_(std::move(folder)), options_(options) {}

  template <class Report>
  requires requires(const Report& r) {
    { r.stimuli } -> std::convertible_to<const ::torch::Tensor&>;
  }
  void on_generation(const Report& report) {
    const Scores& by = report.clean_scores.size() > 0 ? report.clean_scores : report.scores;
    Index best = 0;
    for (Index i = 0; i < by.size(); ++i) {
      if (!std::isnan(by[i]) && (std::isnan(by[best]) || by[i] > by[best])) best = i;
    }
    const auto [cpu, all] = image_view(report.stimuli.select(0, best).unsqueeze(0));
    io::write_png(path(report.stats.generation), all, options_);
  }

  /// The file of generation `generation`'s image.
  std::filesystem::path path(std::uint32_t generation) const {
    char name[32];
    std::snprintf(name, sizeof name, "gen%04u.png", static_cast<unsigned>(generation));
    return folder_ / name;
  }

 private:
  std::filesystem::path folder_;
  io::PngOptions options_;
};

}  // namespace xdream
