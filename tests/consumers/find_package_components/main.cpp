// A user's program on xdream::torch and xdream::io: a generator's images through the PNG encoder,
// and a SHA-256, with no model file (a TorchScript module is not needed to build against them).
#include <xdream/io/png.hpp>
#include <xdream/io/sha256.hpp>
#include <xdream/torch.hpp>
#include <xdream/torch/image_writer.hpp>

#include <cstdio>

int main() {
  const torch::Device device = xdream::parse_device("cpu");
  const torch::Tensor images = torch::full({2, 3, 4, 5}, 0.5, torch::TensorOptions(device));
  const auto [cpu, view] = xdream::image_view(images);
  const std::vector<std::byte> png = xdream::io::encode_png(view);
  const std::string hash = xdream::io::sha256(std::string_view("abc"));
  if (view.count != 2 || png.size() < 8 ||
      hash != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") {
    std::puts("xdream components consumer: unexpected result");
    return 1;
  }
  std::printf("xdream::torch and xdream::io consumed: %zu-byte PNG of %d images\n", png.size(),
              view.count);
  return 0;
}
