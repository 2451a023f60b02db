#include "search.hpp"

#include <xdream/algorithms/cholesky_cmaes.hpp>
#include <xdream/algorithms/cmaes.hpp>
#include <xdream/algorithms/fdgd.hpp>
#include <xdream/algorithms/lm_ma_es.hpp>
#include <xdream/algorithms/nes.hpp>
#include <xdream/algorithms/sep_cmaes.hpp>
#include <xdream/algorithms/sphere_cma.hpp>
#include <xdream/genetic/genetic.hpp>
#include <xdream/genetic/presets.hpp>

#include <cmath>
#include <map>
#include <stdexcept>

namespace xdream_apps {

template <>
const std::vector<std::pair<std::string, AlgorithmName>>& names_of<AlgorithmName>() {
  static const std::vector<std::pair<std::string, AlgorithmName>> names{
      {"ga", AlgorithmName::ga},
      {"cmaes", AlgorithmName::cmaes},
      {"sep-cmaes", AlgorithmName::sep_cmaes},
      {"cholesky-cmaes", AlgorithmName::cholesky_cmaes},
      {"sphere-cma", AlgorithmName::sphere_cma},
      {"lm-ma-es", AlgorithmName::lm_ma_es},
      {"fdgd", AlgorithmName::fdgd},
      {"nes", AlgorithmName::nes}};
  return names;
}
void to_json(nlohmann::json& json, AlgorithmName value) { json = name_of(value); }
void from_json(const nlohmann::json& json, AlgorithmName& value) {
  enum_from_json(json, value, "algorithm");
}

namespace {
// The paper's per-generator GA settings and Wang & Ponce's lab GA, by the names --ga-preset
// takes.
const std::map<std::string, xdream::GeneticPreset>& presets() {
  namespace p = xdream::presets;
  static const std::map<std::string, xdream::GeneticPreset> table{
      {"norm1", p::norm1}, {"norm2", p::norm2}, {"conv3", p::conv3},
      {"conv4", p::conv4}, {"pool5", p::pool5}, {"fc6", p::fc6},
      {"fc7", p::fc7},     {"fc8", p::fc8},     {"wang-ponce", p::wang_ponce_lab}};
  return table;
}

}  // namespace

SearchOptions add_search_options(CLI::App& app, SearchSettings& c, const std::string& group) {
  SearchOptions o{};
  app.add_option("--algorithm", c.algorithm,
                 "ga | cmaes | sep-cmaes | cholesky-cmaes | sphere-cma | lm-ma-es | fdgd | nes")
      ->group(group)
      ->transform(enum_option<AlgorithmName>())
      ->default_str(name_of(c.algorithm));
  o.population = app.add_option("--population", c.population,
                                "Codes per generation; 0 = the algorithm's (or preset's) default")
                     ->group(group);
  std::vector<std::string> preset_names;
  for (const auto& [name, p] : presets()) preset_names.push_back(name);
  o.preset = app.add_option("--ga-preset", c.ga_preset,
                            "GA settings of the paper per generator: norm1 norm2 conv3 conv4 pool5 "
                            "fc6 fc7 fc8, or wang-ponce")
                 ->group(group)
                 ->check(CLI::IsMember(preset_names));
  o.rate = app.add_option("--mutation-rate", c.mutation_rate, "GA: probability that a gene mutates")
               ->group(group);
  o.size =
      app.add_option("--mutation-size", c.mutation_size, "GA: std of a mutation")->group(group);
  o.selectivity =
      app.add_option("--selectivity", c.selectivity, "GA: kT = std(scores) / selectivity")
          ->group(group);
  o.heritability =
      app.add_option("--heritability", c.heritability, "GA: share of genes from parent 1")
          ->group(group);
  o.conserve = app.add_option("--n-conserve", c.n_conserve,
                              "GA: best codes kept unchanged (and scored again)")
                   ->group(group);
  app.add_option("--sigma", c.sigma, "CMA family: initial step size; 0 = default")
      ->group(group)
      ->check(CLI::Range(0.0, max_step));
  app.add_option("--radius", c.radius,
                 "FDGD/NES sampling radius, SphereCMA sphere radius; 0 = default")
      ->group(group)
      ->check(CLI::Range(0.0, max_radius));
  app.add_option("--learning-rate", c.learning_rate,
                 "FDGD/NES/SphereCMA learning rate; 0 = default")
      ->group(group)
      ->check(CLI::Range(0.0, max_step));
  return o;
}

void apply_preset(const SearchOptions& o, SearchSettings& c) {
  if (o.preset->count() == 0) return;
  const xdream::GeneticPreset& p = presets().at(c.ga_preset);
  if (o.population->count() == 0 && c.algorithm == AlgorithmName::ga) {
    c.population = p.population_size;
  }
  if (o.rate->count() == 0) c.mutation_rate = p.mutation_rate;
  if (o.size->count() == 0) c.mutation_size = p.mutation_size;
  if (o.selectivity->count() == 0) c.selectivity = p.selectivity;
  if (o.heritability->count() == 0) c.heritability = p.heritability;
  if (o.conserve->count() == 0) c.n_conserve = p.n_conserve;
}

void check_search(const SearchSettings& c) {
  if (presets().count(c.ga_preset) == 0) bad("ga-preset", c.ga_preset, "a preset's name");
  if (c.population != 0) {
    in_range<std::int64_t>("population", c.population, 2, std::int64_t{1} << 20, " or 0 (default)");
  }
  in_range<std::int64_t>("n-conserve", c.n_conserve, 0, std::int64_t{1} << 20);
  in_range("sigma", c.sigma, 0.0, max_step, " (0 = default)");
  in_range("radius", c.radius, 0.0, max_radius, " (0 = default)");
  in_range("learning-rate", c.learning_rate, 0.0, max_step, " (0 = default)");
}

namespace {
// The settings every non-GA algorithm shares, for whichever of them its options have; 0 in the
// config means "the algorithm's default".
template <class Options>
Options options_from(const SearchSettings& c) {
  Options options;
  options.seed = c.seed;
  if (c.population > 0) options.population_size = c.population;
  if constexpr (requires { options.sigma; }) {
    if (c.sigma > 0) options.sigma = c.sigma;
  }
  if constexpr (requires { options.radius; }) {
    if (c.radius > 0) options.radius = c.radius;
  }
  if constexpr (requires { options.learning_rate; }) {
    if (c.learning_rate > 0) options.learning_rate = c.learning_rate;
  }
  return options;
}
}  // namespace

xdream::AnyAlgorithm make_algorithm(const SearchSettings& c, xdream::Index code_size,
                                    const xdream::Population* initial) {
  using namespace xdream;
  switch (c.algorithm) {
    case AlgorithmName::ga: {
      GeneticOptions options;
      options.population_size = c.population > 0 ? c.population : 20;
      options.n_conserve = c.n_conserve;
      options.seed = c.seed;
      BoltzmannSelection selection(c.selectivity);
      HeritabilityCrossover crossover(c.heritability);
      GaussianMutation mutation(c.mutation_rate, c.mutation_size);
      if (initial == nullptr) {
        return AnyAlgorithm(Genetic<>(code_size, options, selection, crossover, mutation));
      }
      if (initial->rows() != code_size) {
        throw std::invalid_argument("option --init: the codes have length " +
                                    std::to_string(initial->rows()) + "; the generator takes " +
                                    std::to_string(code_size));
      }
      if (c.population == 0) options.population_size = initial->cols();
      return AnyAlgorithm(Genetic<>(*initial, options, selection, crossover, mutation));
    }
    case AlgorithmName::cmaes:
      return AnyAlgorithm(CMAES(code_size, options_from<CMAESOptions>(c)));
    case AlgorithmName::sep_cmaes:
      return AnyAlgorithm(SepCMAES(code_size, options_from<SepCMAESOptions>(c)));
    case AlgorithmName::cholesky_cmaes:
      return AnyAlgorithm(CholeskyCMAES(code_size, options_from<CholeskyCMAESOptions>(c)));
    case AlgorithmName::lm_ma_es:
      return AnyAlgorithm(LMMAES(code_size, options_from<LMMAESOptions>(c)));
    case AlgorithmName::sphere_cma: {
      auto options = options_from<SphereCMAOptions>(c);
      // The sphere of typical codes: |z| of an N(0, I) code is about sqrt(D) (Wang & Ponce's 300
      // is the norm of DeePSiM fc6 codes, a different scale).
      if (c.radius <= 0) options.radius = std::sqrt(static_cast<double>(code_size));
      return AnyAlgorithm(SphereCMA(code_size, options));
    }
    case AlgorithmName::fdgd:
      return AnyAlgorithm(FDGD(code_size, options_from<FDGDOptions>(c)));
    case AlgorithmName::nes:
      return AnyAlgorithm(NES(code_size, options_from<NESOptions>(c)));
  }
  throw std::invalid_argument("option --algorithm: unknown");
}

}  // namespace xdream_apps
