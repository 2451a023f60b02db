#pragma once
// The search settings the programs share (xdream-evolve, xdream-rig): which algorithm, its
// options on the command line, the paper's GA presets, and the AnyAlgorithm they make. The one
// place where a program erases the algorithm's type (a virtual call per generation is noise next
// to a generation's work).

#include "cli_support.hpp"

#include <xdream/any_algorithm.hpp>
#include <xdream/population.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace xdream_apps {

enum class AlgorithmName { ga, cmaes, sep_cmaes, cholesky_cmaes, sphere_cma, lm_ma_es, fdgd, nes };
template <>
const std::vector<std::pair<std::string, AlgorithmName>>& names_of<AlgorithmName>();
void to_json(nlohmann::json& json, AlgorithmName value);
void from_json(const nlohmann::json& json, AlgorithmName& value);

inline constexpr double max_step = 1e6;    // --sigma, --learning-rate
inline constexpr double max_radius = 1e9;  // --radius

/// The algorithm and its settings (a program's config derives from this; its JSON is flat).
struct SearchSettings {
  AlgorithmName algorithm = AlgorithmName::ga;
  std::int64_t population = 0;  // 0: the algorithm's default
  std::string ga_preset = "fc6";
  double mutation_rate = 0.5, mutation_size = 0.5, selectivity = 2.0, heritability = 0.5;
  std::int64_t n_conserve = 0;
  double sigma = 0.0;          // CMA family step size; 0: the algorithm's default
  double radius = 0.0;         // FDGD/NES sampling radius, SphereCMA sphere radius; 0: default
  double learning_rate = 0.0;  // FDGD/NES/SphereCMA; 0: default
  std::uint64_t seed = 0;      // every random stream of the run (registered by the program)
};

/// The options of SearchSettings (but the seed), registered in `group`; keep the result to
/// apply a --ga-preset after parsing.
struct SearchOptions {
  CLI::Option *population, *preset, *rate, *size, *selectivity, *heritability, *conserve;
};
SearchOptions add_search_options(CLI::App& app, SearchSettings& s, const std::string& group);

/// After parsing: a --ga-preset sets every GA setting that was not given.
void apply_preset(const SearchOptions& options, SearchSettings& s);

/// Checks every range (the same as the command line's) on settings of any origin (config.json).
void check_search(const SearchSettings& s);

/// The chosen algorithm over codes of `code_size`, starting from `initial` codes when given
/// (the GA only; columns = codes).
xdream::AnyAlgorithm make_algorithm(const SearchSettings& s, xdream::Index code_size,
                                    const xdream::Population* initial);

}  // namespace xdream_apps
