// The LibTorch adapters against the tiny formula-weight models of tests/data/torch (their
// README gives the formulas and the expected values checked here).
#include <xdream/torch.hpp>

#include <xdream/driver.hpp>
#include <xdream/genetic/genetic.hpp>

#include <doctest/doctest.h>

#include "tiny_models.hpp"

#include <filesystem>
#include <fstream>
#include <string>

namespace {

using torch_test::contains;
using torch_test::message_of;
using torch_test::model;

const xdream::TorchGeneratorOptions cpu8{.code_size = 8, .device = "cpu"};
const xdream::TorchNetworkOptions cpu{.device = "cpu"};

}  // namespace

TEST_CASE("TorchGenerator: one batched pass gives the model's images, codes untouched") {
  xdream::set_torch_threads(1);
  xdream::TorchGenerator generator(model("tiny_generator.pt"), cpu8);
  CHECK(generator.code_size() == 8);
  CHECK(generator.image_shape() == std::array<std::int64_t, 3>{3, 4, 4});

  SUBCASE("codes = 0.5") {
    xdream::Population codes = xdream::Population::Constant(8, 3, 0.5f);
    const torch::Tensor images = generator.generate(codes);
    REQUIRE(images.sizes() == torch::IntArrayRef({3, 3, 4, 4}));
    CHECK(images[0][0][0][0].item<double>() == doctest::Approx(0.4625702).epsilon(1e-6));
    CHECK(images[2][0][0][1].item<double>() == doctest::Approx(0.3775407).epsilon(1e-6));
    CHECK(images[1][2][3][3].item<double>() == doctest::Approx(0.450166).epsilon(1e-6));
    CHECK(images.sum().item<double>() == doctest::Approx(3 * 23.85245).epsilon(1e-6));
    CHECK((codes.array() == 0.5f).all());
  }
  SUBCASE("codes differ per column: column n is image n") {
    xdream::Population codes(8, 2);
    for (int n = 0; n < 2; ++n)
      for (int k = 0; k < 8; ++k) codes(k, n) = static_cast<float>((k - 3.5) / 2 + n);
    const torch::Tensor images = generator.generate(codes);
    CHECK(images[0][0][0][1].item<double>() == doctest::Approx(0.3543437).epsilon(1e-6));
    CHECK(images[1][1][2][0].item<double>() == doctest::Approx(0.8284952).epsilon(1e-6));
    CHECK(images[1][2][3][3].item<double>() == doctest::Approx(0.1192029).epsilon(1e-6));
  }
}

TEST_CASE("TorchGenerator: bad input gives one-line errors naming the file") {
  using xdream::ModelError;
  const auto make = [](const std::string& file, xdream::TorchGeneratorOptions options = cpu8) {
    return [=] { xdream::TorchGenerator g(file, options); };
  };
  std::string m = message_of<ModelError>(make(model("bad_generator_range.pt")));
  CHECK(contains(m, "bad_generator_range.pt"));
  CHECK(contains(m, "expected finite images in [0, 1]"));
  m = message_of<ModelError>(make(model("bad_generator_shape.pt")));
  CHECK(contains(m, "[2, 7]"));
  CHECK(contains(m, "expected [N, C, H, W]"));
  m = message_of<ModelError>(make(model("no_such_model.pt")));
  CHECK(contains(m, "no_such_model.pt' does not exist"));
  const std::string corrupt =
      (std::filesystem::temp_directory_path() / "xdream_corrupt.pt").string();
  std::ofstream(corrupt) << "not a zip archive";
  m = message_of<ModelError>(make(corrupt));
  CHECK(contains(m, "is not a TorchScript module"));
  CHECK(m.find('\n') == std::string::npos);
  m = message_of<ModelError>(make(model("tiny_generator.pt"), {.code_size = 5, .device = "cpu"}));
  CHECK(contains(m, "does not accept codes of size 5"));
  CHECK(m.find('\n') == std::string::npos);
  // A network is not a generator.
  m = message_of<ModelError>(make(model("tiny_network_tensor.pt")));
  CHECK(contains(m, "tiny_network_tensor.pt"));

  xdream::TorchGenerator generator(model("tiny_generator.pt"), cpu8);
  xdream::Population wrong = xdream::Population::Zero(7, 2);
  CHECK(contains(message_of<std::invalid_argument>([&] { generator.generate(wrong); }),
                 "codes have 7 rows"));
}

TEST_CASE("parse_device and set_torch_threads check their input") {
  CHECK(xdream::parse_device("cpu").is_cpu());
  CHECK(xdream::parse_device("auto").is_cpu() == (torch::cuda::device_count() == 0));
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "CPU", ""}) {
    CHECK(contains(message_of<std::invalid_argument>([&] { xdream::parse_device(bad); }),
                   "expected auto, cpu, cuda or cuda:N"));
  }
  const auto count = torch::cuda::device_count();
  const std::string beyond = "cuda:" + std::to_string(count);
  CHECK(contains(message_of<std::invalid_argument>([&] { xdream::parse_device(beyond); }),
                 "is not available"));
  CHECK(contains(message_of<std::invalid_argument>([] { xdream::set_torch_threads(0); }),
                 "threads = 0"));
}

TEST_CASE("TorchNetwork: dict taps, pre-ReLU, units with default centre") {
  xdream::TorchNetwork network(model("tiny_network_dict.pt"), {3, 4, 4}, cpu);
  CHECK(network.output_taps() == std::vector<std::string>{"conv", "fc"});
  CHECK(network.tap_shape("conv") == std::vector<std::int64_t>{2, 3, 3});
  CHECK(network.tap_shape("fc") == std::vector<std::int64_t>{5});
  const torch::Tensor half = torch::full({2, 3, 4, 4}, 0.5);

  xdream::TorchNetworkUnit conv0(network, {.tap = "conv", .channel = 0});
  CHECK(conv0.unit().y == 1);
  CHECK(conv0.unit().x == 1);
  const xdream::Scores pre_relu = conv0.evaluate(half);
  CHECK(pre_relu[0] == doctest::Approx(-0.875));  // negative: the tap is before the ReLU
  CHECK(pre_relu[1] == doctest::Approx(-0.875));
  xdream::TorchNetworkUnit fc4(network, {.tap = "fc", .channel = 4});
  CHECK(fc4.evaluate(half)[0] == doctest::Approx(0.3125));

  // input[n, c, y, x] = ((c*16 + y*4 + x)/47)^(n+1)
  torch::Tensor ramp = torch::empty({2, 3, 4, 4});
  for (int n = 0; n < 2; ++n)
    for (int j = 0; j < 48; ++j) ramp[n][j / 16][(j / 4) % 4][j % 4] = std::pow(j / 47.0, n + 1);
  xdream::TorchNetworkUnit corner(network, {.tap = "conv", .channel = 1, .y = 2, .x = 0});
  const xdream::Scores s = corner.evaluate(ramp);
  CHECK(s[0] == doctest::Approx(0.212766).epsilon(1e-5));
  CHECK(s[1] == doctest::Approx(0.1441829).epsilon(1e-5));
  xdream::TorchNetworkUnit fc3(network, {.tap = "fc", .channel = 3});
  CHECK(fc3.evaluate(ramp)[1] == doctest::Approx(0.01953373).epsilon(1e-5));
}

TEST_CASE("TorchNetwork: a module returning a tensor; its submodules are taps") {
  xdream::TorchNetwork network(model("tiny_network_tensor.pt"), {3, 4, 4}, cpu);
  CHECK(network.output_taps() == std::vector<std::string>{"output"});
  const torch::Tensor half = torch::full({1, 3, 4, 4}, 0.5);
  CHECK(xdream::TorchNetworkUnit(network, {.tap = "output", .channel = 4}).evaluate(half)[0] ==
        doctest::Approx(0.3125));
  // An intermediate layer by its submodule name, cut out of the scripted forward graph.
  CHECK(network.tap_shape("conv") == std::vector<std::int64_t>{2, 3, 3});
  CHECK(xdream::TorchNetworkUnit(network, {.tap = "conv", .channel = 0}).evaluate(half)[0] ==
        doctest::Approx(-0.875));
  CHECK(xdream::TorchNetworkUnit(network, {.tap = "relu", .channel = 0}).evaluate(half)[0] ==
        doctest::Approx(0.0));
  CHECK(xdream::TorchNetworkUnit(network, {.tap = "fc", .channel = 0}).evaluate(half)[0] ==
        doctest::Approx(-0.2375));

  const std::string m = message_of<std::invalid_argument>(
      [&] { xdream::TorchNetworkUnit(network, {.tap = "conv5", .channel = 0}); });
  CHECK(contains(m, "has no tap 'conv5'"));
  CHECK(contains(m, "submodules: conv, relu, fc"));
}

TEST_CASE("TorchNetworkUnit: a unit out of range is refused with the valid range") {
  xdream::TorchNetwork network(model("tiny_network_dict.pt"), {3, 4, 4}, cpu);
  const auto unit = [&](xdream::TorchUnit u) {
    return message_of<std::invalid_argument>([&] { xdream::TorchNetworkUnit(network, u); });
  };
  CHECK(contains(unit({.tap = "conv", .channel = 2}),
                 "channel = 2 is out of range; allowed: [0, 1]"));
  CHECK(contains(unit({.tap = "fc", .channel = -1}), "channel = -1"));
  CHECK(contains(unit({.tap = "conv", .channel = 0, .y = 3}),
                 "y = 3 is out of range; allowed: [0, 2]"));
  CHECK(contains(unit({.tap = "conv", .channel = 0, .y = 0, .x = 7}), "x = 7"));
  CHECK(
      contains(unit({.tap = "fc", .channel = 0, .y = 0}), "a fully connected tap has no position"));
}

TEST_CASE("TorchNetwork: a module that breaks the contract, or bad options") {
  for (const char* bad : {"bad_network_output.pt", "bad_network_tuple.pt"}) {
    const std::string m = message_of<xdream::ModelError>([&] {
      xdream::TorchNetwork(model(bad), {3, 4, 4}, cpu);
    });
    CHECK(contains(m, bad));
    CHECK(contains(m, "expected a Tensor or a Dict[str, Tensor]"));
  }
  CHECK(contains(message_of<xdream::ModelError>([&] {
                   xdream::TorchNetwork(model("tiny_network_dict.pt"), {1, 4, 4}, cpu);
                 }),
                 "failed on images [1, 1, 4, 4]"));
  const auto options = [&](xdream::TorchNetworkOptions o) {
    return message_of<std::invalid_argument>([&] {
      xdream::TorchNetwork(model("tiny_network_dict.pt"), {3, 4, 4}, o);
    });
  };
  CHECK(
      contains(options({.device = "cpu", .resize_height = 0, .resize_width = 5}), "resize = 0x5"));
  CHECK(contains(options({.device = "cpu", .mean = {0.5}, .std = {1, 1, 1}}),
                 "one value per image channel"));
  CHECK(contains(options({.device = "cpu", .mean = {0, 0, 0}, .std = {1, 0, 1}}), "std = 0"));
  xdream::TorchNetwork network(model("tiny_network_dict.pt"), {3, 4, 4}, cpu);
  CHECK(contains(message_of<std::invalid_argument>([&] {
                   network.activations(torch::zeros({2, 3, 5, 5}), "conv");
                 }),
                 "takes images [N, 3, 4, 4]; got [2, 3, 5, 5]"));
}

TEST_CASE("TorchNetwork: resize and normalization on the C++ side") {
  // (0.5 - 0.5) / 1 = 0 everywhere: the conv gives its bias.
  xdream::TorchNetwork normalized(model("tiny_network_dict.pt"), {3, 4, 4},
                                  {.device = "cpu", .mean = {0.5, 0.5, 0.5}, .std = {1, 2, 4}});
  CHECK(xdream::TorchNetworkUnit(normalized, {.tap = "conv", .channel = 0})
            .evaluate(torch::full({1, 3, 4, 4}, 0.5))[0] == doctest::Approx(-0.5));
  // A constant 8x8 image resized to 4x4 is the constant 4x4 image.
  xdream::TorchNetwork resized(model("tiny_network_dict.pt"), {3, 8, 8},
                               {.device = "cpu", .resize_height = 4, .resize_width = 4});
  CHECK(xdream::TorchNetworkUnit(resized, {.tap = "conv", .channel = 1})
            .evaluate(torch::full({1, 3, 8, 8}, 0.5))[0] == doctest::Approx(0.375));
}

TEST_CASE("Torch models in the Optimizer: the closed loop, reproducible from a seed") {
  const auto run = [] {
    xdream::TorchGenerator generator(model("tiny_generator.pt"), cpu8);
    xdream::TorchNetworkUnit unit(
        xdream::TorchNetwork(model("tiny_network_dict.pt"), {3, 4, 4}, cpu),
        {.tap = "fc", .channel = 4});
    xdream::Optimizer optimizer(std::move(generator), std::move(unit),
                                xdream::Genetic<>(8, {.population_size = 10, .seed = 3}));
    return optimizer.run(xdream::budget::generations(15));
  };
  const xdream::Result a = run(), b = run();
  CHECK(a.best.code == b.best.code);
  CHECK(a.best.score == b.best.score);
  CHECK(a.history.back().best > a.history.front().best);
}
