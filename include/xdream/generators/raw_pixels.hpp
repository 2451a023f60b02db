#pragma once
/// @file
/// The raw-pixel generator: the code is the image.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

namespace xdream {

/// The code is the image (the paper's "raw pixel" control): code element k is pixel k of a
/// `height x width x channels` image (channel fastest, then x, then y), squashed into [0, 1] by
/// the logistic function so that unbounded codes give valid images. Stimuli: one image per
/// column, values in [0, 1].
class RawPixelGenerator {
 public:
  RawPixelGenerator(Index height, Index width, Index channels = 1)
      : height_(height), width_(width), channels_(channels) {
    detail::require_at_least("xdream::RawPixelGenerator", "height", height, Index{1});
    detail::require_at_least("xdream::RawPixelGenerator", "width", width, Index{1});
    detail::require_at_least("xdream::RawPixelGenerator", "channels", channels, Index{1});
  }
  Index code_size() const noexcept { return height_ * width_ * channels_; }
  Index height() const noexcept { return height_; }
  Index width() const noexcept { return width_; }
  Index channels() const noexcept { return channels_; }

  const Population& generate(const Population& codes) {
    images_ = (1.0f + (-codes.array()).exp()).inverse().matrix();
    return images_;
  }

 private:
  Index height_, width_, channels_;
  Population images_;
};

}  // namespace xdream
