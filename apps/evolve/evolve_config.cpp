#include "evolve_config.hpp"

#include <xdream/genetic/presets.hpp>
#include <xdream/io/npy.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

template <>
const std::vector<std::pair<std::string, xdream_evolve::NoiseModel>>&
xdream_apps::names_of<xdream_evolve::NoiseModel>() {
  using xdream_evolve::NoiseModel;
  static const std::vector<std::pair<std::string, NoiseModel>> names{
      {"none", NoiseModel::none},
      {"poisson", NoiseModel::poisson},
      {"multiplicative", NoiseModel::multiplicative}};
  return names;
}
template <>
const std::vector<std::pair<std::string, xdream_evolve::ReferenceSet>>&
xdream_apps::names_of<xdream_evolve::ReferenceSet>() {
  using xdream_evolve::ReferenceSet;
  static const std::vector<std::pair<std::string, ReferenceSet>> names{
      {"fashion-mnist", ReferenceSet::fashion_mnist},
      {"fashion-mnist-train", ReferenceSet::fashion_mnist_train},
      {"none", ReferenceSet::none}};
  return names;
}

namespace xdream_evolve {

using xdream_apps::bad;
using xdream_apps::enum_from_json;
using xdream_apps::enum_option;
using xdream_apps::in_range;
using xdream_apps::valid_utf8;
using xdream_apps::whole_number;

void to_json(nlohmann::json& json, NoiseModel value) { json = name_of(value); }
void from_json(const nlohmann::json& json, NoiseModel& value) {
  enum_from_json(json, value, "noise");
}
void to_json(nlohmann::json& json, ReferenceSet value) { json = name_of(value); }
void from_json(const nlohmann::json& json, ReferenceSet& value) {
  enum_from_json(json, value, "reference");
}

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
  app.set_config("--config", "",
                 "Read options from a TOML or INI file (keys = the long option names without the "
                 "leading dashes, e.g. mutation-rate = 0.9)");
  app.allow_config_extras(CLI::config_extras_mode::error);  // a misspelt key is an error
  // An option given twice: the last one counts (as in most command lines).
  app.option_defaults()->always_capture_default()->multi_option_policy(
      CLI::MultiOptionPolicy::TakeLast);

  const char* models = "Models (docs/torch-models.md: the contract)";
  app.add_option("--generator", c.generator,
                 "TorchScript generator: codes [N,D] -> images [N,C,H,W] in [0,1]")
      ->group(models);
  app.add_option("--network", c.network,
                 "TorchScript network: images -> Tensor or Dict[str,Tensor] of taps (pre-ReLU)")
      ->group(models);
  app.add_option("--code-size", c.code_size, "Code length; 0 = the generator's code_size attribute")
      ->group(models)
      ->check(CLI::Range(std::int64_t{0}, max_code_size));
  app.add_option("--tap", c.tap,
                 "Layer: a key of the network's dict, 'output', or a submodule name (features.3)")
      ->group(models);
  app.add_option("--unit", c.unit, "Channel (or feature) of the tap")
      ->group(models)
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 30));
  app.add_option("--y", c.y, "Row of a convolutional unit; -1 = centre")
      ->group(models)
      ->check(CLI::Range(std::int64_t{-1}, std::int64_t{1} << 20));
  app.add_option("--x", c.x, "Column of a convolutional unit; -1 = centre")
      ->group(models)
      ->check(CLI::Range(std::int64_t{-1}, std::int64_t{1} << 20));
  app.add_option("--resize-height", c.resize_height, "Resize images before the network (0 = no)")
      ->group(models)
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 14));
  app.add_option("--resize-width", c.resize_width, "Resize images before the network (0 = no)")
      ->group(models)
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 14));
  app.add_option("--mean", c.mean, "Per-channel mean to subtract before the network")
      ->group(models)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(CLI::Range(-1e6, 1e6));
  app.add_option("--std", c.std, "Per-channel std to divide by before the network")
      ->group(models)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(CLI::Range(1e-6, 1e6));

  const char* pattern = "Population pattern (instead of one unit; docs/evolve.md)";
  std::vector<std::string> pattern_items;
  auto* score_pattern =
      app.add_option("--score-pattern", pattern_items,
                     "Score how well the response of these channels of --tap (at --y/--x of a "
                     "convolutional tap) matches a target (--pattern-target or "
                     "--pattern-reference), instead of --unit; indices and ranges: 0-3,7")
          ->group(pattern)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
          ->delimiter(',');
  app.add_option("--pattern-measure", c.pattern_measure,
                 "cosine | correlation | dot | negative-mse (larger is better for all four)")
      ->group(pattern)
      ->check(CLI::IsMember({"cosine", "correlation", "dot", "negative-mse"}));
  std::string target_file;
  app.add_option("--pattern-target", target_file,
                 "The pattern's target: a .json array or a 1-D .npy of one value per "
                 "--score-pattern channel (recorded in config.json)")
      ->group(pattern)
      ->check(CLI::ExistingFile);
  app.add_option("--pattern-reference", c.pattern_reference,
                 "Or the target is the response of this reference image (its index in the "
                 "reference set); -1 = none")
      ->group(pattern)
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{59'999}));
  app.add_flag("--pattern-zscore", c.pattern_zscore,
               "Z-score each channel, responses and target alike, against the reference set's "
               "responses")
      ->group(pattern);

  const char* search = "Search";
  const xdream_apps::SearchOptions search_options = xdream_apps::add_search_options(app, c, search);
  app.add_option(
         "--init", c.init,
         "GA start: 'random' (N(0,1) codes), 'reference-best' (the codes of the unit's best "
         "reference images, through the generator's encode()) or a .npy file of codes (N, D)")
      ->group(search);
  app.add_option("--encode-tap", c.encode_tap,
                 "--init reference-best: the tap whose features the generator's encode() takes")
      ->group(search);

  const char* budget = "Budget and randomness";
  app.add_option("--stimuli", c.stimuli, "Budget in stimuli presented (never exceeded)")
      ->group(budget)
      ->check(whole_number(max_stimuli));
  app.add_option("--generations", c.generations,
                 "Budget in generations instead (0 = use --stimuli)")
      ->group(budget)
      ->check(whole_number(max_generations));
  app.add_option("--seed", c.seed,
                 "Seed of every random stream (same seed, same run); the noise model's is seed + 1")
      ->group(budget)
      ->check(whole_number(max_seed));

  const char* noise = "Noise (in-silico neurons)";
  app.add_option("--noise", c.noise, "none | poisson | multiplicative")
      ->group(noise)
      ->transform(enum_option<NoiseModel>())
      ->default_str(name_of(c.noise));
  app.add_option("--noise-level", c.noise_level,
                 "poisson: expected spikes L of the reference max (default 20); multiplicative: nu "
                 "(default 0.2)")
      ->group(noise)
      ->check(CLI::Range(0.0, max_noise_level));
  app.add_option("--noise-reps", c.noise_reps, "poisson: repeated presentations averaged")
      ->group(noise)
      ->check(CLI::Range(1, 1 << 20));

  const char* reference = "Reference set and control";
  app.add_option("--reference", c.reference,
                 "fashion-mnist (the test set) | fashion-mnist-train (the training set, also the "
                 "brute-force pool: the paper's definitions) | none")
      ->group(reference)
      ->transform(enum_option<ReferenceSet>())
      ->default_str(name_of(c.reference));
  app.add_option("--reference-count", c.reference_count, "Images of the reference set used")
      ->group(reference)
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{60000}));
  app.add_option("--data-dir", c.data_dir,
                 "Fashion-MNIST IDX files (Debian: dataset-fashion-mnist)")
      ->group(reference);
  app.add_option("--reference-cache", c.reference_cache,
                 "Directory where reference activations are kept and reused (all units of a tap in "
                 "one file); '' = none")
      ->group(reference);
  app.add_option("--brute-force-pool", c.brute_force_pool,
                 "With --reference fashion-mnist: Fashion-MNIST training images for the "
                 "brute-force control (0 = none)")
      ->group(reference)
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{60000}));

  const char* run = "Run";
  auto* device = app.add_option("--device", c.device, "auto | cpu | cuda | cuda:N")->group(run);
  auto* threads = app.add_option("--threads", c.threads, "LibTorch threads; 0 = every core")
                      ->group(run)
                      ->check(CLI::Range(0, 1024));
  app.add_option("--out", c.out, "Run directory (must not exist, unless --force)")->group(run);
  app.add_option("--checkpoint-every", c.checkpoint_every, "Generations between checkpoints")
      ->group(run)
      ->check(CLI::Range(1, 1 << 30));
  app.add_flag("--force", invocation.force, "Replace an existing run directory")->group(run);
  app.add_option(
         "--resume", invocation.resume,
         "Continue the interrupted run in this directory (its config.json has the settings)")
      ->group(run);
  auto* quiet = app.add_flag("--quiet", invocation.quiet, "Print only the result")->group(run);

  try {
    xdream_apps::check_arguments(argc, argv, {"mean", "std", "score-pattern"});
    app.parse(argc, argv);
    try {
      if (!pattern_items.empty()) c.score_pattern = pattern_channels(pattern_items);
      if (!target_file.empty()) c.pattern_target = read_pattern_target(target_file);
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError(e.what());  // the command line itself: exit 2
    }
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
    const std::set<const CLI::Option*> allowed{device, threads, quiet, app.get_option("--resume")};
    for (const CLI::Option* option : app.get_options()) {
      if (option->count() > 0 && allowed.count(option) == 0) {
        throw std::invalid_argument("option " + option->get_name() +
                                    " cannot be combined with --resume (the run's config.json "
                                    "has its settings)");
      }
    }
    return std::nullopt;
  }

  if (score_pattern->count() > 0 && app.get_option("--unit")->count() > 0) {
    throw std::invalid_argument(
        "option --unit cannot be combined with --score-pattern (the pattern's channels are "
        "scored, not one unit)");
  }
  xdream_apps::apply_preset(search_options, c);
  if (c.threads == 0)
    c.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::nullopt;
}

namespace {

// The rules of a population pattern's settings that need no model: the channels, the target
// (given, or a reference image's response), the measure, and what a pattern cannot be combined
// with. The target's direction or spread after z-scoring, and the channels against the tap,
// are checked once the network and the reference set are there (main.cpp).
void check_pattern(const EvolveConfig& c) {
  if (c.pattern_measure != "cosine" && c.pattern_measure != "correlation" &&
      c.pattern_measure != "dot" && c.pattern_measure != "negative-mse") {
    bad("pattern-measure", c.pattern_measure, "cosine, correlation, dot or negative-mse");
  }
  if (c.score_pattern.empty()) {
    if (!c.pattern_target.empty())
      bad("pattern-target", "(a pattern's target)", "--score-pattern with it");
    if (c.pattern_reference != -1)
      bad("pattern-reference", std::to_string(c.pattern_reference), "--score-pattern with it");
    if (c.pattern_zscore) bad("pattern-zscore", "true", "--score-pattern with it");
    return;
  }
  const std::size_t n = c.score_pattern.size();
  if (n > max_pattern_channels) {
    bad("score-pattern", std::to_string(n) + " channels",
        "at most " + std::to_string(max_pattern_channels));
  }
  std::set<std::int64_t> seen;
  for (std::int64_t channel : c.score_pattern) {
    in_range<std::int64_t>("score-pattern", channel, 0, max_channel);
    if (!seen.insert(channel).second) {
      bad("score-pattern", std::to_string(channel),
          "distinct channels (" + std::to_string(channel) + " is listed twice)");
    }
  }
  if (c.pattern_target.empty() == (c.pattern_reference == -1)) {
    bad("score-pattern", "(no target, or two)",
        "one of --pattern-target FILE and --pattern-reference INDEX");
  }
  if (c.pattern_measure == "correlation" && n < 2) {
    bad("score-pattern", "1 channel", "at least 2 for --pattern-measure correlation");
  }
  if (!c.pattern_target.empty()) {
    if (c.pattern_target.size() != n) {
      bad("pattern-target", std::to_string(c.pattern_target.size()) + " values",
          std::to_string(n) + " (one per --score-pattern channel)");
    }
    for (double v : c.pattern_target) {
      if (!std::isfinite(v)) bad("pattern-target", std::to_string(v), "finite values");
    }
  }
  if (c.reference == ReferenceSet::none) {
    if (c.pattern_reference != -1) {
      bad("pattern-reference", std::to_string(c.pattern_reference),
          "a reference set to take the image from; --reference none was given");
    }
    if (c.pattern_zscore) {
      bad("pattern-zscore", "true",
          "a reference set to z-score against; --reference none was given");
    }
  }
  if (c.pattern_reference != -1 &&
      (c.pattern_reference < 0 || c.pattern_reference >= c.reference_count)) {
    bad("pattern-reference", std::to_string(c.pattern_reference),
        "an index into the " + std::to_string(c.reference_count) +
            " reference images (--reference-count): [0, " + std::to_string(c.reference_count - 1) +
            "]");
  }
  if (c.noise != NoiseModel::none) {
    bad("noise", name_of(c.noise),
        "none with --score-pattern (a noise model perturbs one unit's activation, and a "
        "pattern's score is not an activation)");
  }
  // A raw target is compared as it is: one without direction (cosine) or spread (correlation)
  // scores every image NaN.
  if (!c.pattern_target.empty() && !c.pattern_zscore) {
    const bool all_zero = std::all_of(c.pattern_target.begin(), c.pattern_target.end(),
                                      [](double v) { return v == 0.0; });
    const bool constant = std::all_of(c.pattern_target.begin(), c.pattern_target.end(),
                                      [&](double v) { return v == c.pattern_target.front(); });
    if (c.pattern_measure == "cosine" && all_zero) {
      bad("pattern-target", "a zero vector", "a direction for --pattern-measure cosine");
    }
    if (c.pattern_measure == "correlation" && constant) {
      bad("pattern-target", "a constant vector", "a spread for --pattern-measure correlation");
    }
  }
}

}  // namespace

std::vector<std::int64_t> pattern_channels(const std::vector<std::string>& items) {
  std::vector<std::int64_t> channels;
  std::set<std::int64_t> seen;
  const auto expected = [](const std::string& item) {
    bad("score-pattern", "'" + item + "'",
        "channel indices in [0, " + std::to_string(max_channel) +
            "] or ranges A-B (A <= B), separated by commas");
  };
  for (const std::string& raw : items) {
    const auto first = raw.find_first_not_of(" \t");
    const auto last = raw.find_last_not_of(" \t");
    const std::string item = first == std::string::npos ? "" : raw.substr(first, last - first + 1);
    const auto number = [&](const std::string& text) {
      std::int64_t value = -1;
      const char* end = text.data() + text.size();
      const auto [stop, error] = std::from_chars(text.data(), end, value);
      if (text.empty() || text.front() == '-' || error != std::errc() || stop != end ||
          value > max_channel) {
        expected(item);
      }
      return value;
    };
    const auto dash = item.find('-');
    const std::int64_t from = number(item.substr(0, dash));
    const std::int64_t to = dash == std::string::npos ? from : number(item.substr(dash + 1));
    if (to < from) expected(item);
    if (static_cast<std::uint64_t>(to - from) + 1 + channels.size() > max_pattern_channels) {
      bad("score-pattern", "'" + item + "'",
          "at most " + std::to_string(max_pattern_channels) + " channels in all");
    }
    for (std::int64_t channel = from; channel <= to; ++channel) {
      if (!seen.insert(channel).second) {
        bad("score-pattern", std::to_string(channel),
            "distinct channels (" + std::to_string(channel) + " is listed twice)");
      }
      channels.push_back(channel);
    }
  }
  return channels;
}

std::vector<double> read_pattern_target(const std::string& file) {
  const std::string where = "option --pattern-target: '" + file + "'";
  const auto fail = [&](const std::string& what) {
    throw std::invalid_argument(where + " " + what);
  };
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error)) fail("is not a regular file");
  std::vector<double> values;
  if (file.ends_with(".npy")) {
    xdream::Population codes;
    try {
      codes = xdream::io::load_npy(file);
    } catch (const std::exception& e) {
      fail(std::string("cannot be read: ") + e.what());
    }
    if (codes.cols() != 1) {
      fail("holds " + std::to_string(codes.cols()) + " vectors of " + std::to_string(codes.rows()) +
           " values; expected one vector, shape (C,) or (1, C)");
    }
    values.assign(codes.data(), codes.data() + codes.rows());
  } else {
    constexpr std::uintmax_t max_bytes = std::uintmax_t{64} << 20;
    if (std::filesystem::file_size(file, error) > max_bytes || error) {
      fail("is larger than 64 MiB (or cannot be measured); expected a JSON array of numbers");
    }
    std::ifstream in(file, std::ios::binary);
    const nlohmann::json array = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (array.is_discarded()) {
      fail("is not JSON (a .json array of numbers, or a .npy vector; JSON has no NaN or inf)");
    }
    if (!array.is_array()) fail("is not a JSON array of numbers");
    for (const nlohmann::json& v : array) {
      if (!v.is_number()) fail("holds " + v.dump() + ", which is not a number");
      values.push_back(v.get<double>());
    }
  }
  if (values.empty() || values.size() > max_pattern_channels) {
    fail("holds " + std::to_string(values.size()) + " values; expected 1 to " +
         std::to_string(max_pattern_channels));
  }
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (!std::isfinite(values[k])) {
      std::ostringstream text;
      text << values[k];
      fail("holds " + text.str() + " at index " + std::to_string(k) + "; expected finite values");
    }
  }
  return values;
}

void check(const EvolveConfig& c) {
  for (const auto& [option, path] : {std::pair{"generator", &c.generator},
                                     {"network", &c.network},
                                     {"init", &c.init},
                                     {"data-dir", &c.data_dir},
                                     {"reference-cache", &c.reference_cache},
                                     {"out", &c.out},
                                     {"tap", &c.tap},
                                     {"encode-tap", &c.encode_tap},
                                     {"device", &c.device}}) {
    if (!valid_utf8(*path)) bad(option, "(a path that is not UTF-8)", "text in UTF-8");
  }
  xdream_apps::check_search(c);
  in_range<std::int64_t>("code-size", c.code_size, 0, max_code_size, " (0 = the generator's)");
  if (c.tap.empty()) bad("tap", "''", "a tap's name");
  in_range<std::int64_t>("unit", c.unit, 0, max_channel);
  in_range<std::int64_t>("y", c.y, -1, std::int64_t{1} << 20, " (-1 = the centre)");
  in_range<std::int64_t>("x", c.x, -1, std::int64_t{1} << 20, " (-1 = the centre)");
  in_range<std::int64_t>("resize-height", c.resize_height, 0, std::int64_t{1} << 14);
  in_range<std::int64_t>("resize-width", c.resize_width, 0, std::int64_t{1} << 14);
  for (double v : c.mean) in_range("mean", v, -1e6, 1e6);
  for (double v : c.std) in_range("std", v, 1e-6, 1e6);
  in_range<std::uint64_t>("stimuli", c.stimuli, 0, max_stimuli);
  in_range<std::uint64_t>("generations", c.generations, 0, max_generations);
  in_range<std::uint64_t>("seed", c.seed, 0, max_seed, " (the noise model's seed is seed + 1)");
  if (c.stimuli == 0 && c.generations == 0) bad("stimuli", "0", ">= 1 (or give --generations)");
  in_range("noise-level", c.noise_level, 0.0, max_noise_level, " (0 = default)");
  in_range("noise-reps", c.noise_reps, 1, 1 << 20);
  if (c.noise == NoiseModel::poisson && c.reference == ReferenceSet::none) {
    bad("noise", "poisson",
        "a reference set (it scales the spike rate); --reference none was given");
  }
  in_range<std::int64_t>("reference-count", c.reference_count, 1, 60'000);
  in_range<std::int64_t>("brute-force-pool", c.brute_force_pool, 0, 60'000);
  in_range("threads", c.threads, 1, 1024, " (0 = every core, on the command line)");
  in_range("checkpoint-every", c.checkpoint_every, 1, 1 << 30);
  if (c.out.empty()) bad("out", "''", "a directory");
  check_pattern(c);
  if (c.init != "random" && c.algorithm != AlgorithmName::ga) {
    bad("init", c.init,
        "'random' for --algorithm " + name_of(c.algorithm) +
            " (codes from a file start the GA only)");
  }
}

EvolveConfig settings_from_json(const nlohmann::json& settings, const std::string& source) {
  EvolveConfig config = xdream_apps::strict_from_json<EvolveConfig>(settings, source);
  check(config);
  return config;
}

}  // namespace xdream_evolve
