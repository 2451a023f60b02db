#pragma once
/// @file
/// Images as PNG files, through libpng's simplified API (Debian: libpng-dev; link PNG::PNG, or
/// the xdream::io target). Pixels are floats in [0, 1] stored channel-major (C x H x W, C = 1
/// grey or 3 RGB: one image of a `[N, C, H, W]` tensor), clamped and rounded to 8 bits. Files
/// are written atomically (io/atomic_file.hpp), so a failed write (a full disk) is an error and
/// never leaves a half or empty file under the final name.

#include <xdream/io/atomic_file.hpp>
#include <xdream/io/error.hpp>

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace xdream::io {

/// A view of images stored one after the other, each C x H x W floats.
struct ImageView {
  const float* pixels = nullptr;
  int channels = 1;  ///< 1 (grey) or 3 (RGB)
  int height = 0;
  int width = 0;
  int count = 1;  ///< images in the view
  /// Floats per image.
  std::size_t size() const noexcept {
    return static_cast<std::size_t>(channels) * static_cast<std::size_t>(height) *
           static_cast<std::size_t>(width);
  }
};

/// How a PNG is laid out and compressed.
struct PngOptions {
  /// Each pixel becomes a scale x scale block (small images are easier to look at); [1, 64].
  int scale = 1;
  /// Images per row of a grid (a contact sheet); 0 = ceil(sqrt(count)).
  int columns = 0;
  /// White pixels between the images of a grid; [0, 64].
  int gap = 2;
  /// Faster, larger files (zlib's fastest level): for images written while an animal waits.
  bool fast = false;
};

namespace detail {
inline void check_png_view(const ImageView& view, const PngOptions& options,
                           const std::filesystem::path& path) {
  const auto fail = [&](const std::string& what) {
    throw std::invalid_argument("xdream::io::write_png " + path.string() + ": " + what);
  };
  if (view.pixels == nullptr || view.count < 1) fail("no image to write");
  if (view.channels != 1 && view.channels != 3) {
    fail("images need 1 or 3 channels, not " + std::to_string(view.channels));
  }
  if (view.height < 1 || view.width < 1 || view.height > 65536 || view.width > 65536) {
    fail("an image of " + std::to_string(view.height) + " x " + std::to_string(view.width) +
         " pixels");
  }
  if (options.scale < 1 || options.scale > 64) fail("scale must be in [1, 64]");
  if (options.gap < 0 || options.gap > 64) fail("gap must be in [0, 64]");
  if (options.columns < 0) fail("columns must be >= 0");
}
}  // namespace detail

/// Encodes the images of `view` as one PNG in memory: one image, or a grid of them.
inline std::vector<std::byte> encode_png(const ImageView& view, const PngOptions& options = {},
                                         const std::filesystem::path& path = "buffer") {
  detail::check_png_view(view, options, path);
  int columns = options.columns > 0
                    ? options.columns
                    : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(view.count))));
  columns = std::max(1, std::min(columns, view.count));
  const int rows = (view.count + columns - 1) / columns;
  const int gap = view.count > 1 ? options.gap : 0;
  const int cell_h = view.height * options.scale, cell_w = view.width * options.scale;
  const auto sheet_h = static_cast<std::size_t>(rows * cell_h + (rows - 1) * gap);
  const auto sheet_w = static_cast<std::size_t>(columns * cell_w + (columns - 1) * gap);
  const auto c = static_cast<std::size_t>(view.channels);
  std::vector<unsigned char> pixels(sheet_h * sheet_w * c, 255);
  const std::size_t plane = static_cast<std::size_t>(view.height) * view.width;
  for (int k = 0; k < view.count; ++k) {
    const float* image = view.pixels + static_cast<std::size_t>(k) * view.size();
    const auto top = static_cast<std::size_t>((k / columns) * (cell_h + gap));
    const auto left = static_cast<std::size_t>((k % columns) * (cell_w + gap));
    for (int y = 0; y < cell_h; ++y) {
      for (int x = 0; x < cell_w; ++x) {
        const std::size_t source =
            static_cast<std::size_t>(y / options.scale) * view.width + x / options.scale;
        unsigned char* out = &pixels[((top + y) * sheet_w + left + x) * c];
        for (std::size_t channel = 0; channel < c; ++channel) {
          const float v = std::clamp(image[channel * plane + source], 0.0f, 1.0f);
          out[channel] = static_cast<unsigned char>(std::lround(v * 255.0f));
        }
      }
    }
  }
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(sheet_w);
  image.height = static_cast<png_uint_32>(sheet_h);
  image.format = view.channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  if (options.fast) image.flags |= PNG_IMAGE_FLAG_FAST;
  const auto stride = static_cast<png_int_32>(sheet_w * c);
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, pixels.data(), stride, nullptr)) {
    throw ArchiveError(path.string(), std::string("cannot encode as PNG: ") + image.message);
  }
  std::vector<std::byte> bytes(size);
  if (!png_image_write_to_memory(&image, bytes.data(), &size, 0, pixels.data(), stride, nullptr)) {
    throw ArchiveError(path.string(), std::string("cannot encode as PNG: ") + image.message);
  }
  bytes.resize(size);
  png_image_free(&image);
  return bytes;
}

/// Writes the images of `view` to `path` as one PNG (one image, or a grid), atomically. Throws
/// std::invalid_argument for a view that is not an image and ArchiveError naming the file when
/// it cannot be written.
inline void write_png(const std::filesystem::path& path, const ImageView& view,
                      const PngOptions& options = {}) {
  write_file_atomically(path, encode_png(view, options, path));
}

/// A PNG read back: `pixels` are floats in [0, 1], channel-major (C x H x W), C = 1 for a grey
/// image and 3 otherwise (an alpha channel is dropped).
struct Image {
  std::vector<float> pixels;
  int channels = 1;
  int height = 0;
  int width = 0;
};

/// Decodes a PNG held in memory; `source` names it in errors. Images larger than
/// `max_pixels` (default 2^26) are refused before anything is allocated for them.
inline Image decode_png(std::span<const std::byte> bytes, const std::string& source = "buffer",
                        std::size_t max_pixels = std::size_t{1} << 26) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
    throw ArchiveError(source, std::string("not a PNG image: ") + image.message);
  }
  const bool grey = (image.format & PNG_FORMAT_FLAG_COLOR) == 0;
  if (static_cast<std::size_t>(image.width) * image.height > max_pixels) {
    png_image_free(&image);
    throw ArchiveError(source, "a PNG of " + std::to_string(image.width) + " x " +
                                   std::to_string(image.height) + " pixels is too large");
  }
  image.format = grey ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  const int channels = grey ? 1 : 3;
  std::vector<unsigned char> raw(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, raw.data(), 0, nullptr)) {
    throw ArchiveError(source, std::string("cannot decode the PNG: ") + image.message);
  }
  Image out;
  out.channels = channels;
  out.height = static_cast<int>(image.height);
  out.width = static_cast<int>(image.width);
  const std::size_t plane = static_cast<std::size_t>(out.height) * out.width;
  out.pixels.resize(plane * channels);
  for (std::size_t p = 0; p < plane; ++p) {
    for (int c = 0; c < channels; ++c) {
      out.pixels[c * plane + p] = static_cast<float>(raw[p * channels + c]) / 255.0f;
    }
  }
  return out;
}

/// Reads a PNG file (a regular file; see read_file). Throws ArchiveError naming the file.
inline Image read_png(const std::filesystem::path& path) {
  const std::vector<std::byte> bytes = read_file(path);
  return decode_png(bytes, path.string());
}

}  // namespace xdream::io
