// docs/torch-models.md: the adapters evolve images for one unit of the bundled Fashion-MNIST pair
// (paths relative to the repository root, where the tests run it). Built when LibTorch is found.
// clang-format off
// [includes]
#include <xdream/optimizer.hpp>
#include <xdream/torch.hpp>
// [includes]
// clang-format on

#include <cmath>
#include <cstdio>
#include <utility>

int main() {
  // clang-format off
  // [run]
  xdream::set_torch_threads(2);
  xdream::TorchGenerator generator("models/fashion_mnist/generator.pt");  // code size: the file's
  xdream::TorchNetwork network("models/fashion_mnist/classifier.pt", generator.image_shape());
  xdream::TorchNetworkUnit unit(std::move(network), {.tap = "fc8", .channel = 0});
  xdream::Optimizer optimizer(std::move(generator), std::move(unit));  // XDream's GA
  xdream::Result result = optimizer.run(xdream::budget::stimuli(1'000));
  // [run]
  // clang-format on
  std::printf("fc8 unit 0: best activation %.4f after %llu stimuli\n", result.best.score,
              static_cast<unsigned long long>(result.stimuli));
  return result.stimuli == 1'000 && std::isfinite(result.best.score) ? 0 : 1;
}
