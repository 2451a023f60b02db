// libFuzzer target: the Fashion-MNIST IDX reader of xdream-evolve on any bytes (plain; zlib
// reads plain files too, and gzip's own checks are zlib's). Built and run by scripts/fuzz.
#include "fashion_mnist.hpp"
#include "fuzz_file.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = xdream_fuzz::write_input(data, size, "images-idx3-ubyte");
  try {
    const auto images = xdream_evolve::read_idx_images(path, 1000);
    const auto plane = static_cast<std::size_t>(images.height * images.width);
    if (images.count < 1 ||
        images.pixels.size() != plane * static_cast<std::size_t>(images.count)) {
      std::abort();  // never an empty or inconsistent set
    }
  } catch (const std::exception&) {
  }
  return 0;
}
