#pragma once
/// @file
/// Gaussian mutation whose size is annealed over a run.

#include <xdream/genetic/mutation/gaussian.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace xdream {

/// Per-gene Gaussian mutation whose standard deviation decays geometrically from
/// `initial_size` (generation 0) to `final_size` (generation `generations` and after):
/// size(g) = initial_size * (final_size / initial_size)^(min(g, generations) / generations).
/// Large steps explore early; small steps refine late (simulated-annealing schedule).
///
/// @param rate probability that a gene mutates; default 0.5; range [0, 1].
/// @param initial_size mutation std at generation 0; default 1.0; range (0, inf).
/// @param final_size mutation std from `generations` on; default 0.1; range (0, inf).
/// @param generations length of the schedule; default 100; range [1, inf).
class AnnealedMutation : public detail::GaussianGeneMutation {
 public:
  explicit AnnealedMutation(double rate = 0.5, double initial_size = 1.0, double final_size = 0.1,
                            int generations = 100)
      : GaussianGeneMutation(rate, initial_size),
        initial_size_(initial_size),
        final_size_(final_size),
        generations_(generations) {
    detail::require_closed("xdream::AnnealedMutation", "rate", rate, 0.0, 1.0);
    detail::require_positive("xdream::AnnealedMutation", "initial_size", initial_size);
    detail::require_positive("xdream::AnnealedMutation", "final_size", final_size);
    detail::require_closed("xdream::AnnealedMutation", "initial_size", initial_size, 0.0,
                           static_cast<double>(std::numeric_limits<float>::max()));
    detail::require_closed("xdream::AnnealedMutation", "final_size", final_size, 0.0,
                           static_cast<double>(std::numeric_limits<float>::max()));
    detail::require_at_least("xdream::AnnealedMutation", "generations", generations, 1);
  }

  /// Sets the size for the children of `generation` (called by Genetic before breeding).
  void advance(std::size_t generation) {
    const double t = std::min(1.0, static_cast<double>(generation) / generations_);
    set_size(initial_size_ * std::pow(final_size_ / initial_size_, t));
  }

 private:
  double initial_size_;
  double final_size_;
  int generations_;
};

}  // namespace xdream
