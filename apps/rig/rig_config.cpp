#include "rig_config.hpp"

#include <xdream/rig/options.hpp>
#include <xdream/rig/transport.hpp>

#include <xdream/io/npy.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <thread>

template <>
const std::vector<std::pair<std::string, xdream_rig::TransportKind>>&
xdream_apps::names_of<xdream_rig::TransportKind>() {
  static const std::vector<std::pair<std::string, xdream_rig::TransportKind>> names{
      {"file", xdream_rig::TransportKind::file},
      {"zmq", xdream_rig::TransportKind::zmq},
      {"tcp", xdream_rig::TransportKind::tcp}};
  return names;
}

namespace xdream_rig {

using xdream_apps::bad;
using xdream_apps::in_range;

void to_json(nlohmann::json& json, TransportKind value) { json = xdream_apps::name_of(value); }
void from_json(const nlohmann::json& json, TransportKind& value) {
  xdream_apps::enum_from_json(json, value, "transport");
}

namespace {

// A session tag names files on the shared exchange: short, and safe on every file system.
CLI::Validator session_tag_check() {
  return CLI::Validator(
      [](const std::string& tag) -> std::string {
        return xdream::rig::is_session_tag(tag)
                   ? std::string()
                   : "expected 1 to 32 letters, digits, _ and -, not beginning with 'ref'";
      },
      "TAG");
}

// A file the program reads whole: a regular file (a FIFO would block forever) of at most 16 MiB.
void require_small_regular_file(const std::string& file, const std::string& where) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error))
    throw CLI::ValidationError(where, "is not a regular file");
  if (std::filesystem::file_size(file, error) > (std::uintmax_t{1} << 24))
    throw CLI::ValidationError(where, "is larger than 16 MiB");
}

// The values of a pattern's target: a JSON array of numbers, or a 1-D .npy.
std::vector<double> read_pattern_target(const std::string& file) {
  const std::string where = "option --pattern-target: '" + file + "'";
  require_small_regular_file(file, where);
  std::vector<double> values;
  if (file.ends_with(".npy")) {
    const xdream::Population codes = xdream::io::load_npy(file);
    if (codes.cols() != 1) throw CLI::ValidationError(where, "holds more than one vector");
    values.assign(codes.data(), codes.data() + codes.rows());
  } else {
    std::ifstream in(file);
    const nlohmann::json array = nlohmann::json::parse(in, nullptr, false);
    if (!array.is_array() || array.empty() || array.size() > 100000)
      throw CLI::ValidationError(where, "is not a JSON array of 1 to 100000 numbers");
    for (const auto& v : array) {
      if (!v.is_number()) throw CLI::ValidationError(where, "holds something that is not a number");
      values.push_back(v.get<double>());
    }
  }
  for (double v : values)
    if (!std::isfinite(v)) throw CLI::ValidationError(where, "holds a value that is not finite");
  return values;
}

// --thread-file: a JSON array of 1 to 16 objects, each with a "name" and settings of
// thread_keys(); returned as compact JSON text (recorded in config.json). Relative generator
// paths are made absolute (a resumed session may start elsewhere).
std::string read_thread_file(const std::string& file) {
  const std::string where = "option --thread-file: '" + file + "'";
  require_small_regular_file(file, where);
  std::ifstream in(file);
  // A key given twice in one object would silently be the last: it is refused. Each object's
  // keys are kept while it is read (a stack: objects nest).
  std::vector<std::set<std::string>> keys;
  std::string twice;
  const nlohmann::json::parser_callback_t check_keys = [&](int, nlohmann::json::parse_event_t event,
                                                           nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) keys.emplace_back();
    if (event == Event::object_end && !keys.empty()) keys.pop_back();
    if (event == Event::key && !keys.empty() && !keys.back().insert(parsed.dump()).second &&
        twice.empty()) {
      twice = parsed.dump();
    }
    return true;
  };
  nlohmann::json threads = nlohmann::json::parse(in, check_keys, false);
  if (!threads.is_array() || threads.empty() || threads.size() > xdream::rig::max_threads) {
    throw CLI::ValidationError(where, "is not a JSON array of 1 to " +
                                          std::to_string(xdream::rig::max_threads) +
                                          " threads (objects)");
  }
  if (!twice.empty()) throw CLI::ValidationError(where, "gives the key " + twice + " twice");
  for (auto& thread : threads) {
    if (!thread.is_object())
      throw CLI::ValidationError(where, "holds a thread that is not an object");
    if (thread.contains("generator") && thread.at("generator").is_string()) {
      const std::string path = thread.at("generator").get<std::string>();
      if (!path.empty())
        thread["generator"] = std::filesystem::absolute(path).lexically_normal().string();
    }
  }
  return threads.dump();
}

}  // namespace

const std::vector<std::string>& thread_keys() {
  static const std::vector<std::string> keys{"algorithm",
                                             "population",
                                             "mutation_rate",
                                             "mutation_size",
                                             "selectivity",
                                             "heritability",
                                             "n_conserve",
                                             "sigma",
                                             "radius",
                                             "learning_rate",
                                             "seed",
                                             "generator",
                                             "code_size",
                                             "score",
                                             "score_mean",
                                             "score_pattern",
                                             "pattern_measure",
                                             "pattern_target",
                                             "pattern_reference",
                                             "pattern_zscore",
                                             "generations"};
  return keys;
}

std::vector<ThreadConfig> thread_configs(const RigConfig& c) {
  if (c.optimizer_threads.empty()) return {{"", c}};
  const nlohmann::json threads = nlohmann::json::parse(c.optimizer_threads, nullptr, false);
  if (!threads.is_array() || threads.empty() || threads.size() > xdream::rig::max_threads) {
    bad("thread-file", "(its threads)",
        "a JSON array of 1 to " + std::to_string(xdream::rig::max_threads) + " threads");
  }
  std::vector<ThreadConfig> configs;
  std::set<std::string> names;
  for (std::size_t t = 0; t < threads.size(); ++t) {
    const nlohmann::json& thread = threads[t];
    const std::string which = "thread " + std::to_string(t + 1);
    if (!thread.is_object() || !thread.contains("name") || !thread.at("name").is_string())
      bad("thread-file", which, "an object with a \"name\"");
    const std::string name = thread.at("name").get<std::string>();
    if (!xdream::rig::is_thread_name(name))
      bad("thread-file", which + " name '" + name + "'", "1 to 16 letters, digits and _");
    if (!names.insert(name).second) bad("thread-file", "thread '" + name + "'", "distinct names");
    nlohmann::json settings = c;
    settings["optimizer_threads"] = "";
    // A thread that names its own score replaces the session's whole score (a mean or a pattern
    // in place of the session's channel, its own pattern settings or their defaults).
    if (thread.contains("score") || thread.contains("score_mean") ||
        thread.contains("score_pattern")) {
      const nlohmann::json defaults = RigConfig{};
      for (const char* key : {"score", "score_mean", "score_pattern", "pattern_measure",
                              "pattern_target", "pattern_reference", "pattern_zscore"}) {
        settings[key] = defaults.at(key);
      }
    }
    for (const auto& [key, value] : thread.items()) {
      if (key == "name") continue;
      const auto& keys = thread_keys();
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        bad("thread-file", "thread '" + name + "': setting \"" + key + "\"",
            "one a thread sets (the search's, generator, code_size, the score's, generations); "
            "the others are the session's");
      }
      settings[key] = value;
    }
    try {
      configs.push_back({name, settings_from_json(settings, "its settings")});
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("option --thread-file: thread '" + name + "': " + e.what());
    }
  }
  return configs;
}

std::optional<int> parse_command_line(int argc, char** argv, Invocation& invocation,
                                      const std::string& models_dir) {
  RigConfig& c = invocation.config;
  c.generator = models_dir + "/generator.pt";
  CLI::App app{
      "xdream-rig: closes XDream's loop with a recording rig. Each generation's images (and the "
      "natural reference images) go to the presentation computer in blocks, the rig's responses "
      "come back, and the algorithm breeds the next generation: through fixation breaks, a "
      "silent rig, damaged files and restarts, losing nothing (docs/rig.md).",
      "xdream-rig"};
  app.set_config("--config", "", "Read options from a TOML file (keys = the long option names)");
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.option_defaults()->always_capture_default()->multi_option_policy(
      CLI::MultiOptionPolicy::TakeLast);

  const char* rig = "The rig";
  app.add_option("--transport", c.transport,
                 "file (XDream's shared-folder exchange, docs/rig-files.md) | zmq (a ZeroMQ "
                 "ROUTER a DEALER rig connects to) | tcp (one JSON object per line, for MATLAB's "
                 "tcpclient); the sockets' messages: docs/rig-protocol.md")
      ->group(rig)
      ->transform(xdream_apps::enum_option<TransportKind>())
      ->default_str("file");
  app.add_option("--dir", c.dir,
                 "The exchange directory the presentation computer shares (sockets: the folder "
                 "the images are written to, for the rig to read; not needed with --transport "
                 "zmq --inline-images)")
      ->group(rig);
  app.add_option("--listen", c.listen,
                 "Where a socket transport listens (default tcp://127.0.0.1:5555 for zmq, "
                 "127.0.0.1:5556 for tcp; loopback unless you name another address)")
      ->group(rig);
  app.add_flag("--inline-images", c.inline_images,
               "zmq: send each block's PNGs as frames of its message instead of as files")
      ->group(rig);
  app.add_option("--channels", c.channels,
                 "The channel labels the rig records (default: as its files say)")
      ->group(rig)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->delimiter(',');
  app.add_option("--score", c.score, "The channel whose response is the score (default: the first)")
      ->group(rig);
  app.add_option("--score-mean", c.score_mean, "Or the mean response over these channels")
      ->group(rig)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->delimiter(',');
  app.add_option("--score-pattern", c.score_pattern,
                 "Or a population pattern: how well the responses of these channels match a "
                 "target (--pattern-target or --pattern-reference)")
      ->group(rig)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->delimiter(',');
  app.add_option("--pattern-measure", c.pattern_measure,
                 "cosine | correlation | dot | negative-mse (larger is better for all four)")
      ->group(rig)
      ->check(CLI::IsMember({"cosine", "correlation", "dot", "negative-mse"}));
  std::string target_file;
  app.add_option("--pattern-target", target_file,
                 "The pattern's target: a .json array or a 1-D .npy of one value per "
                 "--score-pattern channel (recorded in config.json)")
      ->group(rig)
      ->check(CLI::ExistingFile);
  app.add_option("--pattern-reference", c.pattern_reference,
                 "Or the target is this reference image's mean response (its file's stem) in "
                 "the same generation")
      ->group(rig);
  app.add_flag("--pattern-zscore", c.pattern_zscore,
               "Z-score each channel against the reference images' responses (each generation)")
      ->group(rig);
  std::string thread_file;
  app.add_option("--thread-file", thread_file,
                 "Several optimizers in one session: a JSON array of threads, each with a "
                 "\"name\" and its own settings (algorithm, seed, generator, score, generations"
                 " ...; docs/rig.md); every block holds every thread's images")
      ->group(rig)
      ->check(CLI::ExistingFile);
  app.add_option(
         "--references", c.references,
         "A directory of natural reference images (PNG), shown in every block, never optimized")
      ->group(rig);
  app.add_option("--reps", c.reps, "Presentations of each image per block")
      ->group(rig)
      ->check(CLI::Range(1, 100));
  app.add_option("--max-reshows", c.max_reshows,
                 "Blocks that show again the images without a response")
      ->group(rig)
      ->check(CLI::Range(0, 10));
  app.add_option("--min-valid-fraction", c.min_valid_fraction,
                 "Below this share of images with a response, the generation is shown again")
      ->group(rig)
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--max-reissues", c.max_reissues,
                 "Times a generation is shown again before the session stops")
      ->group(rig)
      ->check(CLI::Range(0, 100));
  app.add_option("--expected-block-s", c.expected_block_s,
                 "How long a block is expected to take (s)")
      ->group(rig)
      ->check(CLI::Range(0.001, 3600.0));
  app.add_option("--soft-min-s", c.soft_min_s,
                 "A warning when a block takes longer than max(3 x expected, this) (s)")
      ->group(rig)
      ->check(CLI::Range(0.0, 86400.0));
  app.add_option("--hard-deadline-s", c.hard_deadline_s,
                 "A block with no response and no progress for this long is closed (s)")
      ->group(rig)
      ->check(CLI::Range(0.001, 86400.0));
  app.add_option("--poll-s", c.poll_s, "How often the exchange directory is looked at (s)")
      ->group(rig)
      ->check(CLI::Range(0.001, 60.0));

  const char* models = "The generator";
  app.add_option("--generator", c.generator,
                 "TorchScript generator: codes [N,D] -> images [N,C,H,W] in [0,1]")
      ->group(models);
  app.add_option("--code-size", c.code_size, "Code length; 0 = the generator's code_size attribute")
      ->group(models)
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 24));
  auto* device = app.add_option("--device", c.device, "auto | cpu | cuda | cuda:N")->group(models);
  auto* threads = app.add_option("--threads", c.threads, "LibTorch threads; 0 = every core")
                      ->group(models)
                      ->check(CLI::Range(0, 1024));

  const xdream_apps::SearchOptions search = xdream_apps::add_search_options(app, c, "Search");
  app.add_option("--seed", c.seed, "Seed of every random stream and of the images' order")
      ->group("Search")
      ->check(xdream_apps::whole_number(~std::uint64_t{0}));

  const char* run = "Run";
  app.add_option("--generations", c.generations, "Budget in generations")
      ->group(run)
      ->check(xdream_apps::whole_number(100'000));
  app.add_option("--out", c.out, "Run directory (must not exist, unless --force)")->group(run);
  app.add_flag("--force", invocation.force, "Replace an existing run directory")->group(run);
  app.add_option("--resume", invocation.resume,
                 "Continue the session in this run directory: the same block numbering, an "
                 "outstanding block taken up again")
      ->group(run);
  app.add_option("--session", invocation.session,
                 "The session's tag, in every stimulus id (1 to 32 letters, digits, _ and -, not "
                 "beginning with 'ref'); default: 8 random hex digits")
      ->group(run)
      ->check(session_tag_check());
  auto* quiet =
      app.add_flag("--quiet", invocation.quiet, "Print only alarms and the result")->group(run);

  try {
    xdream_apps::check_arguments(
        argc, argv, {"channels", "score-mean", "score_mean", "score-pattern", "score_pattern"});
    app.parse(argc, argv);
    if (!target_file.empty()) c.pattern_target = read_pattern_target(target_file);
    if (!thread_file.empty()) c.optimizer_threads = read_thread_file(thread_file);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::fprintf(stderr, "xdream-rig: error: %s (see --help)\n", message.c_str());
    return 2;
  }
  if (!invocation.resume.empty()) {
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
  xdream_apps::apply_preset(search, c);
  if (c.threads == 0)
    c.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::nullopt;
}

void check(const RigConfig& c) {
  xdream_apps::check_search(c);
  for (const auto& [option, text] : {std::pair{"dir", &c.dir},
                                     {"listen", &c.listen},
                                     {"references", &c.references},
                                     {"generator", &c.generator},
                                     {"out", &c.out},
                                     {"score", &c.score},
                                     {"device", &c.device}}) {
    if (!xdream_apps::valid_utf8(*text)) bad(option, "(text that is not UTF-8)", "UTF-8 text");
  }
  if (c.dir.empty() && !(c.transport == TransportKind::zmq && c.inline_images))
    bad("dir", "''",
        "the folder the presentation computer shares (only --transport zmq --inline-images "
        "needs none)");
  if (!c.listen.empty() && c.transport == TransportKind::file)
    bad("listen", c.listen, "no address with --transport file (it exchanges files)");
  if (c.inline_images && c.transport != TransportKind::zmq)
    bad("inline-images", "true", "--transport zmq (plain TCP and files send paths)");
  if (c.out.empty()) bad("out", "''", "a directory");
  std::set<std::string> labels;
  for (const std::string& label : c.channels) {
    if (label.empty() || !labels.insert(label).second) {
      bad("channels", label.empty() ? "''" : label, "distinct, non-empty labels");
    }
  }
  if ((!c.score.empty()) + (!c.score_mean.empty()) + (!c.score_pattern.empty()) > 1) {
    bad("score", c.score.empty() ? "(with --score-mean)" : c.score,
        "one of --score, --score-mean and --score-pattern");
  }
  const char* scored = !c.score_pattern.empty() ? "score-pattern"
                       : !c.score_mean.empty()  ? "score-mean"
                                                : "score";
  const std::vector<std::string> scored_labels = !c.score_pattern.empty() ? c.score_pattern
                                                 : !c.score_mean.empty()  ? c.score_mean
                                                                          : std::vector{c.score};
  std::set<std::string> seen;
  for (const std::string& label : scored_labels) {
    if (!label.empty() && !c.channels.empty() && labels.count(label) == 0)
      bad(scored, label, "one of the channels given with --channels");
    if (!seen.insert(label).second) bad(scored, label, "distinct channels");
  }
  if (c.score_pattern.empty()) {
    if (!c.pattern_target.empty() || !c.pattern_reference.empty() || c.pattern_zscore)
      bad("pattern-target", "(a pattern's setting)", "--score-pattern with it");
  } else {
    if (c.pattern_target.empty() == c.pattern_reference.empty())
      bad("score-pattern", "(no target, or two)",
          "one of --pattern-target FILE and --pattern-reference NAME");
    if (!c.pattern_target.empty() && c.pattern_target.size() != c.score_pattern.size())
      bad("pattern-target", std::to_string(c.pattern_target.size()) + " values",
          std::to_string(c.score_pattern.size()) + " (one per --score-pattern channel)");
    if (c.pattern_measure == "correlation" && c.score_pattern.size() < 2)
      bad("score-pattern", "1 channel", "at least 2 for --pattern-measure correlation");
    if ((!c.pattern_reference.empty() || c.pattern_zscore) && c.references.empty())
      bad("references", "''", "a directory of reference images (the pattern needs them)");
  }
  if (c.pattern_measure != "cosine" && c.pattern_measure != "correlation" &&
      c.pattern_measure != "dot" && c.pattern_measure != "negative-mse")
    bad("pattern-measure", c.pattern_measure, "cosine, correlation, dot or negative-mse");
  in_range("reps", c.reps, 1, 100);
  in_range("max-reshows", c.max_reshows, 0, 10);
  in_range("min-valid-fraction", c.min_valid_fraction, 0.0, 1.0);
  in_range("max-reissues", c.max_reissues, 0, 100);
  in_range("expected-block-s", c.expected_block_s, 0.001, 3600.0);
  in_range("soft-min-s", c.soft_min_s, 0.0, 86400.0);
  in_range("hard-deadline-s", c.hard_deadline_s, 0.001, 86400.0);
  in_range("poll-s", c.poll_s, 0.001, 60.0);
  if (c.hard_deadline_s < c.expected_block_s) {
    bad("hard-deadline-s", std::to_string(c.hard_deadline_s),
        "at least --expected-block-s (" + std::to_string(c.expected_block_s) +
            "): a block could never finish");
  }
  if (c.poll_s > c.hard_deadline_s) {
    bad("poll-s", std::to_string(c.poll_s), "at most --hard-deadline-s");
  }
  in_range<std::int64_t>("code-size", c.code_size, 0, std::int64_t{1} << 24);
  in_range("threads", c.threads, 1, 1024, " (0 = every core, on the command line)");
  in_range<std::uint64_t>("generations", c.generations, 1, 100'000);
  if (!c.optimizer_threads.empty()) (void)thread_configs(c);  // each thread's settings checked too
}

RigConfig settings_from_json(const nlohmann::json& settings, const std::string& source) {
  RigConfig config = xdream_apps::strict_from_json<RigConfig>(settings, source);
  check(config);
  return config;
}

}  // namespace xdream_rig
