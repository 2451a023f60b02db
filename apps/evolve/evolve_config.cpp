#include "evolve_config.hpp"

#include <xdream/genetic/presets.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <thread>
#include <charconv>
#include <sstream>
#include <string_view>
#include <utility>

namespace xdream_evolve {

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
template <>
const std::vector<std::pair<std::string, NoiseModel>>& names_of<NoiseModel>() {
  static const std::vector<std::pair<std::string, NoiseModel>> names{
      {"none", NoiseModel::none},
      {"poisson", NoiseModel::poisson},
      {"multiplicative", NoiseModel::multiplicative}};
  return names;
}
template <>
const std::vector<std::pair<std::string, ReferenceSet>>& names_of<ReferenceSet>() {
  static const std::vector<std::pair<std::string, ReferenceSet>> names{
      {"fashion-mnist", ReferenceSet::fashion_mnist},
      {"fashion-mnist-train", ReferenceSet::fashion_mnist_train},
      {"none", ReferenceSet::none}};
  return names;
}

namespace {
template <class Enum>
std::string spellings() {
  std::string list;
  for (const auto& [name, value] : names_of<Enum>()) list += (list.empty() ? "" : ", ") + name;
  return list;
}

template <class Enum>
void enum_from_json(const nlohmann::json& json, Enum& value, const char* what) {
  const std::string text = json.get<std::string>();
  for (const auto& [name, v] : names_of<Enum>()) {
    if (name == text) {
      value = v;
      return;
    }
  }
  throw std::invalid_argument(std::string(what) + " = '" + text + "': expected one of " +
                              spellings<Enum>());
}

// Turns an option's spelling into its enum value for CLI11 (which reads enums as their number);
// an unknown spelling fails with the list of the known ones.
template <class Enum>
CLI::Validator enum_option() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        for (const auto& [name, value] : names_of<Enum>()) {
          if (name == text) {
            text = std::to_string(static_cast<int>(value));
            return "";
          }
        }
        return "'" + text + "' is not one of " + spellings<Enum>();
      },
      "ENUM");
}
}  // namespace

void to_json(nlohmann::json& json, AlgorithmName value) { json = name_of(value); }
void from_json(const nlohmann::json& json, AlgorithmName& value) {
  enum_from_json(json, value, "algorithm");
}
void to_json(nlohmann::json& json, NoiseModel value) { json = name_of(value); }
void from_json(const nlohmann::json& json, NoiseModel& value) {
  enum_from_json(json, value, "noise");
}
void to_json(nlohmann::json& json, ReferenceSet value) { json = name_of(value); }
void from_json(const nlohmann::json& json, ReferenceSet& value) {
  enum_from_json(json, value, "reference");
}

namespace {

// The paper's per-generator GA settings and Wang & Ponce's lab GA, by the names --ga-preset
// takes.
const std::map<std::string, xdream::GeneticPreset>& presets() {
  namespace p = xdream::presets;
  static const std::map<std::string, xdream::GeneticPreset> table{
      {"norm1", p::norm1}, {"norm2", p::norm2}, {"conv3", p::conv3}, {"conv4", p::conv4},
      {"pool5", p::pool5}, {"fc6", p::fc6},     {"fc7", p::fc7},     {"fc8", p::fc8},
      {"wang-ponce", p::wang_ponce_lab}};
  return table;
}

[[noreturn]] void bad(const std::string& option, const std::string& value,
                      const std::string& expected) {
  throw std::invalid_argument("option --" + option + " = " + value + ": expected " + expected);
}

}  // namespace

namespace {
// A --config file is read by CLI11, which lets a repeated key or a list given to a one-value
// setting through (the last value wins). Refuse both, and any file that is not a small regular
// file, naming the file, the key and the lines.
void check_config_file(const std::filesystem::path& file, const std::set<std::string>& lists) {
  const auto fail = [&](const std::string& what) {
    throw std::invalid_argument("option --config " + file.string() + ": " + what);
  };
  std::error_code error;
  const auto status = std::filesystem::status(file, error);
  if (error || !std::filesystem::exists(status)) return;  // CLI11 says it is not readable
  if (!std::filesystem::is_regular_file(status)) fail("not a regular file");
  if (std::filesystem::file_size(file, error) > (1u << 20)) fail("larger than 1 MiB");
  std::ifstream in(file);
  std::map<std::string, int> seen;
  std::string section, line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!valid_utf8(line)) fail("line " + std::to_string(number) + " is not UTF-8");
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#' || line[first] == ';') continue;
    if (line[first] == '[') {
      section = line.substr(first);
      continue;
    }
    const auto equals = line.find('=');
    if (equals == std::string::npos) continue;
    std::string key = line.substr(first, equals - first);
    key.erase(key.find_last_not_of(" \t") + 1);
    if (key.size() >= 2 && (key.front() == '"' || key.front() == '\'')) {
      key = key.substr(1, key.size() - 2);
    }
    const std::string where = section.empty() ? key : section + " " + key;
    if (const auto [it, fresh] = seen.emplace(where, number); !fresh) {
      fail("the key '" + key + "' is given twice (lines " + std::to_string(it->second) + " and " +
           std::to_string(number) + ")");
    }
    const auto value = line.find_first_not_of(" \t", equals + 1);
    if (value != std::string::npos && line[value] == '[' && lists.count(key) == 0) {
      fail("the key '" + key + "' (line " + std::to_string(number) +
           ") takes one value, not a list");
    }
  }
}
}  // namespace

std::optional<int> parse_command_line(int argc, char** argv, Invocation& invocation,
                                      const std::string& models_dir) {
  EvolveConfig& c = invocation.config;
  c.generator = models_dir + "/generator.pt";
  c.network = models_dir + "/classifier.pt";

  CLI::App app{
      "xdream-evolve: evolves the images that drive one unit of a network hardest, through a "
      "generative network (XDream). With no options: unit 0 of fc8 (the class 'T-shirt/top') of "
      "the bundled Fashion-MNIST classifier, through the bundled generator, 10,000 stimuli.",
      "xdream-evolve"};
  app.set_config("--config", "", "Read options from a TOML or INI file (keys = the long option names without the leading dashes, e.g. mutation-rate = 0.9)");
  app.allow_config_extras(CLI::config_extras_mode::error);  // a misspelt key is an error
  // An option given twice: the last one counts (as in most command lines).
  app.option_defaults()->always_capture_default()->multi_option_policy(
      CLI::MultiOptionPolicy::TakeLast);

  const char* models = "Models (docs/torch-models.md: the contract)";
  app.add_option("--generator", c.generator, "TorchScript generator: codes [N,D] -> images [N,C,H,W] in [0,1]")->group(models);
  app.add_option("--network", c.network, "TorchScript network: images -> Tensor or Dict[str,Tensor] of taps (pre-ReLU)")->group(models);
  app.add_option("--code-size", c.code_size, "Code length; 0 = the generator's code_size attribute")->group(models)->check(CLI::Range(std::int64_t{0}, max_code_size));
  app.add_option("--tap", c.tap, "Layer: a key of the network's dict, 'output', or a submodule name (features.3)")->group(models);
  app.add_option("--unit", c.unit, "Channel (or feature) of the tap")->group(models)->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 30));
  app.add_option("--y", c.y, "Row of a convolutional unit; -1 = centre")->group(models)->check(CLI::Range(std::int64_t{-1}, std::int64_t{1} << 20));
  app.add_option("--x", c.x, "Column of a convolutional unit; -1 = centre")->group(models)->check(CLI::Range(std::int64_t{-1}, std::int64_t{1} << 20));
  app.add_option("--resize-height", c.resize_height, "Resize images before the network (0 = no)")->group(models)->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 14));
  app.add_option("--resize-width", c.resize_width, "Resize images before the network (0 = no)")->group(models)->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 14));
  app.add_option("--mean", c.mean, "Per-channel mean to subtract before the network")
      ->group(models)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(CLI::Range(-1e6, 1e6));
  app.add_option("--std", c.std, "Per-channel std to divide by before the network")
      ->group(models)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(CLI::Range(1e-6, 1e6));

  const char* search = "Search";
  app.add_option("--algorithm", c.algorithm, "ga | cmaes | sep-cmaes | cholesky-cmaes | sphere-cma | lm-ma-es | fdgd | nes")->group(search)->transform(enum_option<AlgorithmName>())->default_str(name_of(c.algorithm));
  app.add_option("--population", c.population, "Codes per generation; 0 = the algorithm's (or preset's) default")->group(search);
  std::vector<std::string> preset_names;
  for (const auto& [name, p] : presets()) preset_names.push_back(name);
  auto* preset = app.add_option("--ga-preset", c.ga_preset, "GA settings of the paper per generator: norm1 norm2 conv3 conv4 pool5 fc6 fc7 fc8, or wang-ponce")->group(search)->check(CLI::IsMember(preset_names));
  auto* rate = app.add_option("--mutation-rate", c.mutation_rate, "GA: probability that a gene mutates")->group(search);
  auto* size = app.add_option("--mutation-size", c.mutation_size, "GA: std of a mutation")->group(search);
  auto* selectivity = app.add_option("--selectivity", c.selectivity, "GA: kT = std(scores) / selectivity")->group(search);
  auto* heritability = app.add_option("--heritability", c.heritability, "GA: share of genes from parent 1")->group(search);
  auto* conserve = app.add_option("--n-conserve", c.n_conserve, "GA: best codes kept unchanged (and scored again)")->group(search);
  app.add_option("--sigma", c.sigma, "CMA family: initial step size; 0 = default")->group(search)->check(CLI::Range(0.0, max_step));
  app.add_option("--radius", c.radius, "FDGD/NES sampling radius, SphereCMA sphere radius; 0 = default")->group(search)->check(CLI::Range(0.0, max_radius));
  app.add_option("--learning-rate", c.learning_rate, "FDGD/NES/SphereCMA learning rate; 0 = default")->group(search)->check(CLI::Range(0.0, max_step));
  app.add_option("--init", c.init, "GA start: 'random' (N(0,1) codes), 'reference-best' (the codes of the unit's best reference images, through the generator's encode()) or a .npy file of codes (N, D)")->group(search);
  app.add_option("--encode-tap", c.encode_tap, "--init reference-best: the tap whose features the generator's encode() takes")->group(search);

  const char* budget = "Budget and randomness";
  // Unsigned settings: CLI11 would wrap "-1" around to 2^64 - 1 and clamp what overflows; refuse
  // both, and anything above the setting's maximum, with the text as given.
  const auto whole_number = [](std::uint64_t max) {
    return CLI::Validator(
        [max](std::string& text) -> std::string {
          std::uint64_t value = 0;
          const char* end = text.data() + text.size();
          const auto [at, error] = std::from_chars(text.data(), end, value);
          if (text.empty() || text[0] == '-' || error != std::errc() || at != end) {
            return "expected a whole number >= 0";
          }
          if (value > max) return text + " is above the maximum " + std::to_string(max);
          return "";
        },
        "UINT");
  };
  app.add_option("--stimuli", c.stimuli, "Budget in stimuli presented (never exceeded)")->group(budget)->check(whole_number(max_stimuli));
  app.add_option("--generations", c.generations, "Budget in generations instead (0 = use --stimuli)")->group(budget)->check(whole_number(max_generations));
  app.add_option("--seed", c.seed, "Seed of every random stream (same seed, same run); the noise model's is seed + 1")->group(budget)->check(whole_number(max_seed));

  const char* noise = "Noise (in-silico neurons)";
  app.add_option("--noise", c.noise, "none | poisson | multiplicative")->group(noise)->transform(enum_option<NoiseModel>())->default_str(name_of(c.noise));
  app.add_option("--noise-level", c.noise_level, "poisson: expected spikes L of the reference max (default 20); multiplicative: nu (default 0.2)")->group(noise)->check(CLI::Range(0.0, max_noise_level));
  app.add_option("--noise-reps", c.noise_reps, "poisson: repeated presentations averaged")->group(noise)->check(CLI::Range(1, 1 << 20));

  const char* reference = "Reference set and control";
  app.add_option("--reference", c.reference, "fashion-mnist (the test set) | fashion-mnist-train (the training set, also the brute-force pool: the paper's definitions) | none")->group(reference)->transform(enum_option<ReferenceSet>())->default_str(name_of(c.reference));
  app.add_option("--reference-count", c.reference_count, "Images of the reference set used")->group(reference)->check(CLI::Range(std::int64_t{1}, std::int64_t{60000}));
  app.add_option("--data-dir", c.data_dir, "Fashion-MNIST IDX files (Debian: dataset-fashion-mnist)")->group(reference);
  app.add_option("--reference-cache", c.reference_cache, "Directory where reference activations are kept and reused (all units of a tap in one file); '' = none")->group(reference);
  app.add_option("--brute-force-pool", c.brute_force_pool, "With --reference fashion-mnist: Fashion-MNIST training images for the brute-force control (0 = none)")->group(reference)->check(CLI::Range(std::int64_t{0}, std::int64_t{60000}));

  const char* run = "Run";
  auto* device = app.add_option("--device", c.device, "auto | cpu | cuda | cuda:N")->group(run);
  auto* threads = app.add_option("--threads", c.threads, "LibTorch threads; 0 = every core")->group(run)->check(CLI::Range(0, 1024));
  app.add_option("--out", c.out, "Run directory (must not exist, unless --force)")->group(run);
  app.add_option("--checkpoint-every", c.checkpoint_every, "Generations between checkpoints")->group(run)->check(CLI::Range(1, 1 << 30));
  app.add_flag("--force", invocation.force, "Replace an existing run directory")->group(run);
  app.add_option("--resume", invocation.resume, "Continue the interrupted run in this directory (its config.json has the settings)")->group(run);
  auto* quiet = app.add_flag("--quiet", invocation.quiet, "Print only the result")->group(run);

  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--config" && i + 1 < argc) check_config_file(argv[i + 1], {"mean", "std"});
      if (arg.rfind("--config=", 0) == 0) check_config_file(arg.substr(9), {"mean", "std"});
      if (!valid_utf8(arg)) {
        const std::string option = i > 1 && std::string(argv[i - 1]).rfind("--", 0) == 0
                                       ? "option " + std::string(argv[i - 1])
                                       : "argument " + std::to_string(i);
        throw std::invalid_argument(option + ": the value is not UTF-8 text (config.json, which "
                                    "records it, is UTF-8)");
      }
    }
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, like every other error of the program; 2 = the command line itself is wrong.
    std::string message = e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::fprintf(stderr, "xdream-evolve: error: %s (see --help)\n", message.c_str());
    return 2;
  }

  if (!invocation.resume.empty()) {
    // Everything else comes from the run's config.json; only where it runs may change.
    const std::set<const CLI::Option*> allowed{device, threads, quiet,
                                               app.get_option("--resume")};
    for (const CLI::Option* option : app.get_options()) {
      if (option->count() > 0 && allowed.count(option) == 0) {
        throw std::invalid_argument("option " + option->get_name() +
                                    " cannot be combined with --resume (the run's config.json "
                                    "has its settings)");
      }
    }
    return std::nullopt;
  }

  if (preset->count() > 0) {
    const xdream::GeneticPreset& p = presets().at(c.ga_preset);
    if (app.get_option("--population")->count() == 0 && c.algorithm == AlgorithmName::ga) {
      c.population = p.population_size;
    }
    if (rate->count() == 0) c.mutation_rate = p.mutation_rate;
    if (size->count() == 0) c.mutation_size = p.mutation_size;
    if (selectivity->count() == 0) c.selectivity = p.selectivity;
    if (heritability->count() == 0) c.heritability = p.heritability;
    if (conserve->count() == 0) c.n_conserve = p.n_conserve;
  }
  if (c.threads == 0) c.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::nullopt;
}

namespace {
template <class T>
void in_range(const char* option, T value, T lo, T hi, const std::string& note = "") {
  if (!(value >= lo && value <= hi)) {  // NaN fails too
    std::ostringstream text, range;
    text << value;
    range << "[" << lo << ", " << hi << "]" << note;
    bad(option, text.str(), range.str());
  }
}
}  // namespace

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const std::size_t length = byte < 0x80 ? 1 : (byte >> 5) == 6 ? 2 : (byte >> 4) == 14 ? 3
                                         : (byte >> 3) == 30       ? 4
                                                                   : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 2) return false;
    }
    i += length;
  }
  return true;
}

void check(const EvolveConfig& c) {
  for (const auto& [option, path] :
       {std::pair{"generator", &c.generator}, {"network", &c.network}, {"init", &c.init},
        {"data-dir", &c.data_dir}, {"reference-cache", &c.reference_cache}, {"out", &c.out},
        {"tap", &c.tap}, {"encode-tap", &c.encode_tap}, {"device", &c.device}}) {
    if (!valid_utf8(*path)) bad(option, "(a path that is not UTF-8)", "text in UTF-8");
  }
  if (presets().count(c.ga_preset) == 0) bad("ga-preset", c.ga_preset, "a preset's name");
  in_range<std::int64_t>("code-size", c.code_size, 0, max_code_size, " (0 = the generator's)");
  if (c.tap.empty()) bad("tap", "''", "a tap's name");
  in_range<std::int64_t>("unit", c.unit, 0, std::int64_t{1} << 30);
  in_range<std::int64_t>("y", c.y, -1, std::int64_t{1} << 20, " (-1 = the centre)");
  in_range<std::int64_t>("x", c.x, -1, std::int64_t{1} << 20, " (-1 = the centre)");
  in_range<std::int64_t>("resize-height", c.resize_height, 0, std::int64_t{1} << 14);
  in_range<std::int64_t>("resize-width", c.resize_width, 0, std::int64_t{1} << 14);
  for (double v : c.mean) in_range("mean", v, -1e6, 1e6);
  for (double v : c.std) in_range("std", v, 1e-6, 1e6);
  if (c.population != 0) {
    in_range<std::int64_t>("population", c.population, 2, std::int64_t{1} << 20, " or 0 (default)");
  }
  in_range<std::int64_t>("n-conserve", c.n_conserve, 0, std::int64_t{1} << 20);
  in_range("sigma", c.sigma, 0.0, max_step, " (0 = default)");
  in_range("radius", c.radius, 0.0, max_radius, " (0 = default)");
  in_range("learning-rate", c.learning_rate, 0.0, max_step, " (0 = default)");
  in_range<std::uint64_t>("stimuli", c.stimuli, 0, max_stimuli);
  in_range<std::uint64_t>("generations", c.generations, 0, max_generations);
  in_range<std::uint64_t>("seed", c.seed, 0, max_seed, " (the noise model's seed is seed + 1)");
  if (c.stimuli == 0 && c.generations == 0) bad("stimuli", "0", ">= 1 (or give --generations)");
  in_range("noise-level", c.noise_level, 0.0, max_noise_level, " (0 = default)");
  in_range("noise-reps", c.noise_reps, 1, 1 << 20);
  if (c.noise == NoiseModel::poisson && c.reference == ReferenceSet::none) {
    bad("noise", "poisson", "a reference set (it scales the spike rate); --reference none was given");
  }
  in_range<std::int64_t>("reference-count", c.reference_count, 1, 60'000);
  in_range<std::int64_t>("brute-force-pool", c.brute_force_pool, 0, 60'000);
  in_range("threads", c.threads, 1, 1024, " (0 = every core, on the command line)");
  in_range("checkpoint-every", c.checkpoint_every, 1, 1 << 30);
  if (c.out.empty()) bad("out", "''", "a directory");
  if (c.init != "random" && c.algorithm != AlgorithmName::ga) {
    bad("init", c.init, "'random' for --algorithm " + name_of(c.algorithm) + " (codes from a file start the GA only)");
  }
}

EvolveConfig settings_from_json(const nlohmann::json& settings, const std::string& source) {
  const auto fail = [&](const std::string& what) {
    throw std::invalid_argument(source + ": " + what);
  };
  if (!settings.is_object()) fail("\"settings\" is not an object");
  // Every key of this version, each of the JSON type its field has: a negative number for an
  // unsigned setting, a fraction for a whole number or text for a number is refused, never
  // converted (nlohmann would wrap -1 to 2^64 - 1, or cut 1.5 to 1).
  const nlohmann::json expected = EvolveConfig{};
  for (const auto& [key, value] : settings.items()) {
    if (!expected.contains(key)) fail("unknown setting \"" + key + "\"");
  }
  for (const auto& [key, model] : expected.items()) {
    if (!settings.contains(key)) fail("the setting \"" + key + "\" is missing");
    const nlohmann::json& value = settings.at(key);
    const auto kind_ok = [](const nlohmann::json& model, const nlohmann::json& value) {
      if (model.is_number_unsigned()) return value.is_number_unsigned();
      if (model.is_number_integer()) return value.is_number_integer();
      if (model.is_number_float()) return value.is_number();
      return model.type() == value.type();
    };
    bool ok = kind_ok(model, value);
    if (ok && value.is_array()) {
      for (const auto& element : value) ok = ok && element.is_number();
    }
    if (!ok) fail("the setting \"" + key + "\" = " + value.dump() + " is not a " + model.type_name() +
                  (model.is_number_unsigned() ? " (a whole number >= 0)" : ""));
  }
  EvolveConfig config;
  try {
    settings.get_to(config);
  } catch (const std::exception& e) {
    fail(e.what());
  }
  check(config);
  return config;
}

}  // namespace xdream_evolve
