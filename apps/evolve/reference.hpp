#pragma once
// The natural-image reference of a run: the run's scores of Fashion-MNIST images (the unit's
// responses, or their pattern scores; the best image, the maximum a relative activation divides
// by), the paper's brute-force control, and the codes of the best images (--init
// reference-best).

#include "evolve_config.hpp"
#include "fashion_mnist.hpp"

#include <xdream/population.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace xdream {
class TorchGenerator;
class TorchNetwork;
}  // namespace xdream

namespace xdream_evolve {

/// Where the reference pass reads: the network, the tap and the position (resolved: the
/// centre when not given) of the unit or of the pattern's channels, and the tap's channel count.
struct TapSite {
  xdream::TorchNetwork* network = nullptr;
  std::string tap;
  bool convolutional = false;
  std::int64_t y = -1, x = -1;
  std::int64_t channels = 0;
};

/// The run's score of each image from the tap's activations at the site (channels x images,
/// every channel): the unit's activation, or the pattern's score. `split` names the images in
/// its errors (a non-finite activation).
using ImageScorer = std::function<std::vector<double>(const xdream::Population& activations,
                                                      const std::string& split)>;

/// Makes the run's ImageScorer from the reference set's activations (a pattern's target and z
/// statistics can come from them); called once, before any image is scored.
using ScorerFactory = std::function<ImageScorer(const xdream::Population& reference_activations,
                                                const std::string& split)>;

/// The unit's activation: row `channel` of the activations, each finite (else a ModelError
/// naming the image).
ImageScorer unit_scorer(const TapSite& site, std::int64_t channel);

struct Reference {
  bool known = false;
  double max = std::nan("");
  std::int64_t best_index = -1;
  std::int64_t count = 0;
  double brute_force = std::nan("");  // expected max of K random pool images
  std::int64_t pool = 0;
  std::uint64_t budget = 0;        // K of the brute-force control
  std::string split;               // "test" or "training"
  double test_max = std::nan("");  // with the training split: the best of the 10,000 test images

  std::vector<float> best_image;
  GreyImages images;                  // the reference set
  std::vector<std::int64_t> ranking;  // its indices from the best response down
};

/// Scores the reference set of `c.reference` (and the brute-force pool) with the scorer that
/// `make_scorer` makes from the reference set's activations, read from the reference cache when
/// it holds them. `budget` is K of the brute-force control (the stimuli the run presents).
/// Nothing is measured, and `make_scorer` is not called, with --reference none. Images that
/// score NaN (a pattern without a direction) rank below every other.
Reference measure_reference(const EvolveConfig& c, const TapSite& site,
                            const std::array<std::int64_t, 3>& shape, std::uint64_t budget,
                            const std::string& network_sha, const ScorerFactory& make_scorer);

/// The codes of the `count` best reference images: the generator's `encode` of the network's
/// `encode_tap` features (the bundled generator inverts fc6; XDream's "start from the unit's
/// best natural images").
xdream::Population reference_best_codes(const EvolveConfig& c, xdream::TorchGenerator& generator,
                                        xdream::TorchNetwork& network, const Reference& r,
                                        xdream::Index count);

}  // namespace xdream_evolve
