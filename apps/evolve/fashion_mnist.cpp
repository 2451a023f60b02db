#include "fashion_mnist.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace xdream_evolve {

namespace {
struct GzFile {
  gzFile handle;
  explicit GzFile(const std::filesystem::path& path) : handle(gzopen(path.c_str(), "rb")) {}
  ~GzFile() {
    if (handle) gzclose(handle);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;
  bool read(void* out, std::size_t bytes) {
    return gzread(handle, out, static_cast<unsigned>(bytes)) == static_cast<int>(bytes);
  }
};

std::uint32_t big_endian(const unsigned char* b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         std::uint32_t{b[3]};
}
}  // namespace

GreyImages read_idx_images(const std::filesystem::path& file, std::int64_t limit) {
  const auto fail = [&](const std::string& what) {
    throw std::runtime_error("reference images '" + file.string() + "': " + what);
  };
  std::error_code error;
  if (!std::filesystem::exists(file, error)) {
    fail("no such file (Debian: apt-get install dataset-fashion-mnist, or give --data-dir)");
  }
  if (!std::filesystem::is_regular_file(file, error)) fail("not a regular file");
  GzFile in(file);  // zlib reads plain files too
  if (!in.handle) fail("cannot be opened");
  std::array<unsigned char, 16> header{};
  if (!in.read(header.data(), header.size())) fail("too short for an IDX header");
  if (big_endian(header.data()) != 0x00000803u) fail("not an IDX3 file of unsigned bytes");
  GreyImages images;
  const auto total = static_cast<std::int64_t>(big_endian(header.data() + 4));
  images.height = big_endian(header.data() + 8);
  images.width = big_endian(header.data() + 12);
  if (images.height < 1 || images.width < 1 || images.height > 4096 || images.width > 4096) {
    fail("implausible image size");
  }
  if (total < 1) fail("holds no images (its header says " + std::to_string(total) + ")");
  images.count = std::min(total, limit);
  // Image by image: memory grows only with data that is really there, whatever the header
  // claims (a gzip file's size does not bound what it unpacks to).
  const auto plane = static_cast<std::size_t>(images.height * images.width);
  std::vector<unsigned char> bytes(plane);
  for (std::int64_t k = 0; k < images.count; ++k) {
    if (!in.read(bytes.data(), plane)) {
      fail("truncated: image " + std::to_string(k) + " of the " + std::to_string(total) +
           " its header announces is missing");
    }
    for (const unsigned char b : bytes) images.pixels.push_back(static_cast<float>(b) / 255.0f);
  }
  return images;
}

std::filesystem::path fashion_mnist_images(const std::filesystem::path& data_dir,
                                           const std::string& split) {
  return data_dir / (split + "-images-idx3-ubyte.gz");
}

}  // namespace xdream_evolve
