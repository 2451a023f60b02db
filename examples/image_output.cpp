#include "image_output.hpp"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace xdream_examples {
namespace {

void save_png(const std::filesystem::path& path, int width, int height, int channels,
              const std::vector<unsigned char>& pixels) {
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  if (!stbi_write_png(temporary.string().c_str(), width, height, channels, pixels.data(),
                      width * channels)) {
    throw std::runtime_error("cannot write " + path.string());
  }
  std::filesystem::rename(temporary, path);
}

// A 3x5 pixel font for digits, '.', '-', 'e' and '+', enough for tick labels.
const char* glyph(char c) {
  switch (c) {
    case '0':
      return "111101101101111";
    case '1':
      return "010110010010111";
    case '2':
      return "111001111100111";
    case '3':
      return "111001111001111";
    case '4':
      return "101101111001001";
    case '5':
      return "111100111001111";
    case '6':
      return "111100111101111";
    case '7':
      return "111001001001001";
    case '8':
      return "111101111101111";
    case '9':
      return "111101111001111";
    case '.':
      return "000000000000010";
    case '-':
      return "000000111000000";
    case 'e':
      return "000111101110111";
    case '+':
      return "000010111010000";
    // lowercase letters for legends and axis captions (3x5)
    case 'a': return "000011101101011";
    case 'b': return "100100111101111";
    case 'c': return "000011100100011";
    case 'd': return "001001111101111";
    case 'g': return "000111101111001";
    case 'i': return "010000010010010";
    case 'l': return "110010010010111";
    case 'm': return "000111111101101";
    case 'n': return "000110101101101";
    case 'o': return "000111101101111";
    case 'r': return "000101110100100";
    case 's': return "000011110011110";
    case 't': return "010111010010011";
    case 'u': return "000101101101111";
    default:
      return "000000000000000";
  }
}

struct Canvas {
  int width, height;
  std::vector<unsigned char> rgb;
  Canvas(int w, int h) : width(w), height(h), rgb(static_cast<std::size_t>(w * h * 3), 255) {}
  void set(int x, int y, const unsigned char* c) {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    auto* p = &rgb[static_cast<std::size_t>((y * width + x) * 3)];
    p[0] = c[0], p[1] = c[1], p[2] = c[2];
  }
  void line(double x0, double y0, double x1, double y1, const unsigned char* c, int thick = 1) {
    const int steps = static_cast<int>(std::max(std::abs(x1 - x0), std::abs(y1 - y0))) + 1;
    for (int s = 0; s <= steps; ++s) {
      const double t = static_cast<double>(s) / steps;
      const int x = static_cast<int>(std::lround(x0 + t * (x1 - x0)));
      const int y = static_cast<int>(std::lround(y0 + t * (y1 - y0)));
      for (int dx = 0; dx < thick; ++dx)
        for (int dy = 0; dy < thick; ++dy) set(x + dx, y + dy, c);
    }
  }
  void text(int x, int y, const std::string& s, const unsigned char* c, int scale = 2) {
    for (char ch : s) {
      const char* g = glyph(ch);
      for (int r = 0; r < 5; ++r)
        for (int k = 0; k < 3; ++k)
          if (g[r * 3 + k] == '1')
            for (int a = 0; a < scale; ++a)
              for (int b = 0; b < scale; ++b) set(x + k * scale + a, y + r * scale + b, c);
      x += 4 * scale;
    }
  }
};

std::string tick(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", v);
  return buffer;
}

}  // namespace

void write_grey_png(const std::filesystem::path& path, const float* pixels, int height, int width,
                    int scale) {
  std::vector<unsigned char> out(static_cast<std::size_t>(height * scale * width * scale));
  for (int y = 0; y < height * scale; ++y)
    for (int x = 0; x < width * scale; ++x) {
      const float v = std::clamp(pixels[(y / scale) * width + x / scale], 0.0f, 1.0f);
      out[static_cast<std::size_t>(y * width * scale + x)] =
          static_cast<unsigned char>(std::lround(v * 255.0f));
    }
  save_png(path, width * scale, height * scale, 1, out);
}

void write_image_png(const std::filesystem::path& path, const float* chw, int channels, int height,
                     int width, int scale) {
  write_contact_sheet_png(path, chw, 1, channels, height, width, 1, scale, 0);
}

void write_contact_sheet_png(const std::filesystem::path& path, const float* images, int count,
                             int channels, int height, int width, int columns, int scale,
                             int gap) {
  if (channels != 1 && channels != 3) throw std::invalid_argument("images need 1 or 3 channels");
  columns = std::max(1, std::min(columns, count));
  const int rows = (count + columns - 1) / columns;
  const int cell_h = height * scale, cell_w = width * scale;
  const int sheet_h = rows * cell_h + (rows - 1) * gap, sheet_w = columns * cell_w + (columns - 1) * gap;
  std::vector<unsigned char> out(static_cast<std::size_t>(sheet_h) * sheet_w * channels, 255);
  const std::size_t plane = static_cast<std::size_t>(height) * width;
  for (int k = 0; k < count; ++k) {
    const float* image = images + static_cast<std::size_t>(k) * channels * plane;
    const int top = (k / columns) * (cell_h + gap), left = (k % columns) * (cell_w + gap);
    for (int y = 0; y < cell_h; ++y)
      for (int x = 0; x < cell_w; ++x)
        for (int c = 0; c < channels; ++c) {
          const float v = std::clamp(
              image[c * plane + static_cast<std::size_t>(y / scale) * width + x / scale], 0.0f,
              1.0f);
          out[(static_cast<std::size_t>(top + y) * sheet_w + (left + x)) * channels + c] =
              static_cast<unsigned char>(std::lround(v * 255.0f));
        }
  }
  save_png(path, sheet_w, sheet_h, channels, out);
}

void write_plot_png(const std::filesystem::path& path, const std::vector<Series>& series,
                    const std::string& x_label, int width, int height) {
  Canvas canvas(width, height);
  const int left = 70, right = 20, top = 20, bottom = 50;
  double lo = INFINITY, hi = -INFINITY;
  std::size_t n = 0;
  for (const auto& s : series) {
    n = std::max(n, s.values.size());
    for (double v : s.values)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (!(hi > lo)) hi = lo + 1.0;
  if (!std::isfinite(lo)) lo = 0.0, hi = 1.0;
  const double pad = 0.05 * (hi - lo);
  lo -= pad, hi += pad;
  const unsigned char black[3] = {0, 0, 0}, grey[3] = {200, 200, 200};
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  auto px = [&](double i) {
    return left + (n > 1 ? i / static_cast<double>(n - 1) : 0.0) * plot_w;
  };
  auto py = [&](double v) { return top + (hi - v) / (hi - lo) * plot_h; };
  for (int k = 0; k <= 4; ++k) {  // horizontal grid and y ticks
    const double v = lo + (hi - lo) * k / 4.0;
    canvas.line(left, py(v), width - right, py(v), grey);
    canvas.text(4, static_cast<int>(py(v)) - 5, tick(v), black);
  }
  for (int k = 0; k <= 4; ++k) {  // x ticks
    const double i = (n > 1 ? static_cast<double>(n - 1) : 0.0) * k / 4.0;
    canvas.text(static_cast<int>(px(i)) - 8, height - bottom + 8, tick(std::round(i)), black);
  }
  canvas.line(left, top, left, height - bottom, black);
  canvas.line(left, height - bottom, width - right, height - bottom, black);
  canvas.text(width - right - 4 * 2 * static_cast<int>(x_label.size()), height - 18, x_label, black);
  int legend_y = top + 6;  // legend: a colour swatch and the series' name, top left
  for (const auto& s : series) {
    canvas.line(left + 10, legend_y + 5, left + 30, legend_y + 5, s.rgb, 3);
    canvas.text(left + 36, legend_y, s.name, black);
    legend_y += 16;
  }
  for (const auto& s : series) {
    for (std::size_t i = 1; i < s.values.size(); ++i) {
      if (!std::isfinite(s.values[i - 1]) || !std::isfinite(s.values[i])) continue;
      canvas.line(px(static_cast<double>(i - 1)), py(s.values[i - 1]), px(static_cast<double>(i)),
                  py(s.values[i]), s.rgb, 2);
    }
  }
  save_png(path, width, height, 3, canvas.rgb);
}

}  // namespace xdream_examples
