// xdream-ga-demo: XDream's genetic algorithm evolves a 32x32 image for a synthetic "V1 simple
// cell" (a rectified Gabor filter) whose optimal stimulus is known, through the raw-pixel
// generator. It prints its progress and result and leaves, in the output directory:
//   scores.csv          per generation: best, mean, std of the scores (plot it with
//                       /usr/bin/python3 tools/plot_run.py DIR)
//   images/genNNNN.png  the best image of every 50th generation and of the last
//   best.png            the best image found; preferred.png: the unit's optimal stimulus
//   best_code.npy, codes.npy   the best code and the final population (numpy.load)
#include <xdream/callbacks/csv_log.hpp>
#include <xdream/callbacks/progress.hpp>
#include <xdream/generators/raw_pixels.hpp>
#include <xdream/io/npy.hpp>
#include <xdream/io/png.hpp>
#include <xdream/optimizer.hpp>

#include <boost/random/normal_distribution.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numbers>

#ifndef XDREAM_TOOLS_DIR
#define XDREAM_TOOLS_DIR "tools"
#endif
#include <string>

namespace {

constexpr int side = 32;

/// A rectified Gabor filter on a 32x32 grey image: r = max(0, sum g * (image - 0.5)).
/// Over images in [0, 1] its maximum is 0.5 * sum |g|, reached at image = [g > 0].
class GaborUnit {
 public:
  GaborUnit() : filter_(side * side) {
    const double theta = std::numbers::pi / 6, wavelength = 10.0, sigma = 5.0, gamma = 0.6;
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x) {
        const double dx = x - (side - 1) / 2.0, dy = y - (side - 1) / 2.0;
        const double u = dx * std::cos(theta) + dy * std::sin(theta);
        const double v = -dx * std::sin(theta) + dy * std::cos(theta);
        filter_[y * side + x] = std::exp(-(u * u + gamma * gamma * v * v) / (2 * sigma * sigma)) *
                                std::cos(2 * std::numbers::pi * u / wavelength);
      }
  }
  xdream::Scores evaluate(const xdream::Population& images) const {
    const Eigen::MatrixXd centred = images.cast<double>().array() - 0.5;
    return (filter_.transpose() * centred).transpose().array().max(0.0).matrix();
  }
  double optimum_value() const { return 0.5 * filter_.cwiseAbs().sum(); }
  xdream::Code preferred_image() const { return (filter_.array() > 0).cast<float>().matrix(); }

 private:
  Eigen::VectorXd filter_;
};

/// Saves the best image of every 50th generation (and of the last) while the run goes.
struct ImageSnapshots {
  std::filesystem::path folder;
  std::uint32_t last_generation;
  void on_generation(const xdream::GenerationReport& report) {
    const auto g = report.stats.generation;
    if (g % 50 != 0 && g != last_generation) return;
    xdream::Index best = 0;
    report.scores.maxCoeff(&best);
    const xdream::Code image = (1.0f + (-report.codes.col(best).array()).exp()).inverse();
    char name[32];
    std::snprintf(name, sizeof name, "gen%04u.png", static_cast<unsigned>(g));
    xdream::io::write_png(folder / name, {image.data(), 1, side, side}, {.scale = 4});
  }
};

int usage(const char* program) {
  std::cerr
      << "usage: " << program
      << " [--out DIR] [--generations N] [--seed S] [--threads T]\n"
         "  --out DIR        output directory (default runs/ga-demo)\n"
         "  --generations N  generations of 20 images (default 500 = 10,000 stimuli)\n"
         "  --seed S         random seed (default 0)\n"
         "  --threads T      breeding threads; the result does not depend on it (default 1)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) try {
  std::filesystem::path out = "runs/ga-demo";
  unsigned long generations = 500, seed = 0, threads = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return usage(argv[0]), 0;
    if (i + 1 >= argc) {
      std::cerr << "error: " << arg << " needs a value (or is unknown)\n";
      return usage(argv[0]);
    }
    const std::string value = argv[++i];
    auto number = [&](const char* name) {
      char* end = nullptr;
      const unsigned long n = std::strtoul(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || value[0] == '-') {
        throw std::invalid_argument(std::string(name) + " = '" + value +
                                    "' is not a non-negative integer");
      }
      return n;
    };
    if (arg == "--out")
      out = value;
    else if (arg == "--generations")
      generations = number("--generations");
    else if (arg == "--seed")
      seed = number("--seed");
    else if (arg == "--threads")
      threads = number("--threads");
    else {
      std::cerr << "error: unknown option " << arg << "\n";
      return usage(argv[0]);
    }
  }
  if (generations < 1 || generations > 1'000'000) {
    throw std::invalid_argument("--generations = " + std::to_string(generations) +
                                " is out of range; allowed: [1, 1000000]");
  }
  if (threads < 1 || threads > 256) {
    throw std::invalid_argument("--threads = " + std::to_string(threads) +
                                " is out of range; allowed: [1, 256]");
  }
  std::filesystem::create_directories(out / "images");

  const GaborUnit unit;
  const xdream::RawPixelGenerator generator(side, side);
  xdream::Genetic<> ga(generator.code_size(),
                       {.population_size = 20, .seed = seed, .threads = static_cast<int>(threads)});
  xdream::Optimizer optimizer(generator, unit, ga);

  std::ofstream csv(out / "scores.csv");
  xdream::callbacks::CsvLog log(csv);
  xdream::callbacks::Progress progress(std::cout, 50);
  ImageSnapshots snapshots{out / "images", static_cast<std::uint32_t>(generations - 1)};
  std::cout << "xdream " << xdream::version_string << ": evolving a 32x32 image for a Gabor unit, "
            << generations << " generations x 20, seed " << seed << "\n";
  const xdream::Result result =
      optimizer.run(xdream::budget::generations(generations), progress, log, snapshots);

  // Brute-force control (the paper's): the best of as many random images as the GA presented.
  xdream::Engine rng = xdream::make_stream(seed, 0, 0, xdream::Purpose::user);
  boost::random::normal_distribution<float> normal;
  xdream::RawPixelGenerator random_images(side, side);
  double brute_force = 0.0;
  for (std::uint64_t done = 0; done < result.stimuli; done += 100) {
    xdream::Population codes(side * side, 100);
    for (xdream::Index k = 0; k < codes.size(); ++k) codes.data()[k] = normal(rng);
    brute_force = std::max(brute_force, unit.evaluate(random_images.generate(codes)).maxCoeff());
  }

  const xdream::Code best_image = (1.0f + (-result.best.code.array()).exp()).inverse();
  xdream::io::write_png(out / "best.png", {best_image.data(), 1, side, side}, {.scale = 8});
  const xdream::Code preferred = unit.preferred_image();
  xdream::io::write_png(out / "preferred.png", {preferred.data(), 1, side, side}, {.scale = 8});
  xdream::io::save_npy(out / "best_code.npy", result.best.code);
  xdream::io::save_npy(out / "codes.npy", optimizer.algorithm().ask());

  const double optimum = unit.optimum_value();
  std::printf("best activation %.4g = %.1f%% of the unit's optimum (%.4g), generation %u\n",
              result.best.score, 100.0 * result.best.score / optimum, optimum,
              static_cast<unsigned>(result.best.generation));
  std::printf("brute force (best of %llu random images): %.4g = %.1f%% of optimum\n",
              static_cast<unsigned long long>(result.stimuli), brute_force,
              100.0 * brute_force / optimum);
  std::printf("evolved / brute force = %.2f; %.2f s; results in %s\n",
              result.best.score / brute_force, result.seconds, out.string().c_str());
  std::printf("plot the scores: /usr/bin/python3 %s/plot_run.py %s\n", XDREAM_TOOLS_DIR,
              out.string().c_str());
  return 0;
} catch (const std::exception& error) {
  std::cerr << "error: " << error.what() << "\n";
  return 1;
}
