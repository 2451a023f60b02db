#pragma once
// The natural-image reference of a run: the unit's responses to Fashion-MNIST images (its best
// image, the maximum a relative activation divides by), the paper's brute-force control, and the
// codes of the unit's best images (--init reference-best).

#include "evolve_config.hpp"
#include "fashion_mnist.hpp"

#include <xdream/population.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace xdream {
class TorchGenerator;
class TorchNetworkUnit;
}  // namespace xdream

namespace xdream_evolve {

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

/// Measures the unit on the reference set of `c.reference` (and the brute-force pool), from the
/// reference cache when it holds them. `budget` is K of the brute-force control (the stimuli
/// the run presents). Nothing is measured with --reference none.
Reference measure_reference(const EvolveConfig& c, xdream::TorchNetworkUnit& unit,
                            const std::array<std::int64_t, 3>& shape, std::uint64_t budget,
                            const std::string& network_sha);

/// The codes of the unit's `count` best reference images: the generator's `encode` of the
/// network's `encode_tap` features (the bundled generator inverts fc6; XDream's "start from the
/// unit's best natural images").
xdream::Population reference_best_codes(const EvolveConfig& c, xdream::TorchGenerator& generator,
                                        xdream::TorchNetworkUnit& unit, const Reference& r,
                                        xdream::Index count);

}  // namespace xdream_evolve
