#pragma once
/// @file
/// Published GA settings: the paper's per-generator table and Wang & Ponce's lab GA.

#include <xdream/genetic/genetic.hpp>

#include <cstdint>

namespace xdream {

/// One row of published GA settings.
struct GeneticPreset {
  Index population_size;
  double mutation_rate;
  double mutation_size;
  double selectivity;
  double heritability;
  Index n_conserve;
};

/// Published settings. Xiao & Kreiman tuned one row per DeePSiM generator;
/// n_conserve is 0 as in the paper (its lab examples use 1).
namespace presets {
inline constexpr GeneticPreset norm1{15, 1.0, 1.5, 2.0, 0.5, 0};
inline constexpr GeneticPreset norm2{10, 0.5, 0.7, 4.0, 0.5, 0};
inline constexpr GeneticPreset conv3{12, 0.65, 0.75, 2.25, 0.5, 0};
inline constexpr GeneticPreset conv4{10, 0.9, 0.75, 2.5, 0.5, 0};
inline constexpr GeneticPreset pool5{10, 0.6, 1.0, 2.5, 0.75, 0};
inline constexpr GeneticPreset fc6{20, 0.5, 0.5, 2.0, 0.5, 0};
inline constexpr GeneticPreset fc7{45, 0.6, 0.3, 1.25, 0.5, 0};
inline constexpr GeneticPreset fc8{20, 0.2, 0.6, 2.0, 0.5, 0};
/// Wang & Ponce (GECCO 2022), the lab's GA: kT = 2 std (selectivity 0.5), 10 elites.
inline constexpr GeneticPreset wang_ponce_lab{40, 0.25, 0.75, 0.5, 0.75, 10};
}  // namespace presets

/// XDream's GA with a preset's settings.
inline Genetic<> make_genetic(Index code_size, const GeneticPreset& preset, std::uint64_t seed = 0,
                              int threads = 1) {
  return Genetic<>(
      code_size, GeneticOptions{preset.population_size, preset.n_conserve, seed, threads},
      BoltzmannSelection(preset.selectivity), HeritabilityCrossover(preset.heritability),
      GaussianMutation(preset.mutation_rate, preset.mutation_size));
}

}  // namespace xdream
