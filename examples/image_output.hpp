#pragma once
// Small image writers for the examples (PNG through Debian's stb_image_write).

#include <filesystem>
#include <string>
#include <vector>

namespace xdream_examples {

/// Writes a grey image (values in [0, 1], row-major, height x width) as PNG, each pixel
/// enlarged to a `scale x scale` block; writes to a temporary file and renames it.
void write_grey_png(const std::filesystem::path& path, const float* pixels, int height, int width,
                    int scale = 1);

/// Writes an image stored channel-major (C x H x W floats in [0, 1], C = 1 grey or 3 RGB, the
/// layout of one image of a [N, C, H, W] tensor) as PNG, each pixel a `scale x scale` block.
void write_image_png(const std::filesystem::path& path, const float* chw, int channels, int height,
                     int width, int scale = 1);

/// Writes `count` channel-major images stored one after the other as one PNG grid of `columns`
/// columns, `gap` white pixels apart (a contact sheet).
void write_contact_sheet_png(const std::filesystem::path& path, const float* images, int count,
                             int channels, int height, int width, int columns, int scale = 1,
                             int gap = 2);

/// A line plot of one or more series against their index, as a PNG with axes and tick labels.
struct Series {
  std::string name;
  std::vector<double> values;
  unsigned char rgb[3];
};
void write_plot_png(const std::filesystem::path& path, const std::vector<Series>& series,
                    const std::string& x_label, int width = 720, int height = 420);

}  // namespace xdream_examples
