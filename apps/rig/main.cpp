// xdream-rig: XDream's closed loop with a recording rig. The library's driver runs any algorithm
// against a RigObjective; each generation's images and the natural reference images go to the
// presentation computer in blocks (the file exchange of docs/rig-files.md), the rig's responses
// come back, and everything is journaled before the session goes on (docs/rig.md).

#include "journal_file.hpp"
#include "plot.hpp"
#include "program.hpp"
#include "rig_config.hpp"
#include "run_directory.hpp"
#include "search.hpp"
#include "session_transport.hpp"

#include <xdream/callbacks/scores_file.hpp>
#include <xdream/driver.hpp>
#include <xdream/io/checkpoint.hpp>
#include <xdream/io/npy.hpp>
#include <xdream/io/png.hpp>
#include <xdream/io/sha256.hpp>
#include <xdream/rig/objective.hpp>
#include <xdream/rig/threads.hpp>
#include <xdream/torch.hpp>
#include <xdream/torch/image_writer.hpp>
#include <xdream/version.hpp>

#include <torch/version.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include <unistd.h>

#ifndef XDREAM_MODELS_DIR
#define XDREAM_MODELS_DIR "models/fashion_mnist"
#endif

namespace fs = std::filesystem;
using json = nlohmann::json;
namespace rig = xdream::rig;

namespace xdream_rig {
namespace {

std::atomic<bool> stop_requested{false};
extern "C" void ask_to_stop(int) { stop_requested = true; }

/// The generator's images as the rig objective takes them; remembers the codes it was given
/// (the journal writes them with each block, before the block is sent).
class RigImageGenerator {
 public:
  explicit RigImageGenerator(xdream::TorchGenerator& generator) : generator_(&generator) {}
  xdream::Index code_size() const { return generator_->code_size(); }
  rig::RigImages generate(const xdream::Population& codes) {
    codes_ = codes;
    const auto [cpu, view] = xdream::image_view(generator_->generate(codes));
    rig::RigImages images(static_cast<std::size_t>(view.count));
    for (int i = 0; i < view.count; ++i) {
      images[static_cast<std::size_t>(i)] = {
          std::vector<float>(view.pixels + i * view.size(), view.pixels + (i + 1) * view.size()),
          view.channels, view.height, view.width};
    }
    return images;
  }
  const xdream::Population& codes() const noexcept { return codes_; }

 private:
  xdream::TorchGenerator* generator_;
  xdream::Population codes_;
};

using Transport = SessionTransport;
using Objective = rig::RigObjective<Transport, rig::SteadyClock, JournalFile>;
using Threads = rig::RigThreads<Objective>;
using Session =
    xdream::Optimizer<RigImageGenerator&, rig::RigThreadObjective<Objective>, xdream::AnyAlgorithm>;

/// One optimizer of the session: its settings, generator, driver and record (the run
/// directory itself in a session of one, else threads/NAME/ in it).
struct Thread {
  /// How the operator's lines name it: "thread NAME: " ("" in a session of one).
  std::string label() const { return config.name.empty() ? "" : "thread " + config.name + ": "; }

  ThreadConfig config;
  fs::path record;
  std::unique_ptr<xdream::TorchGenerator> generator;
  std::unique_ptr<RigImageGenerator> images;
  std::unique_ptr<Session> session;
  std::unique_ptr<xdream::callbacks::ScoresFile> scores;
};

/// The whole session's checkpoint: the rig objective's state, then every optimizer's (taken
/// once per generation, when all of them have been told their scores).
struct SessionCheckpoint {
  Objective* objective;
  std::vector<Thread>* threads;
  static std::string name() { return "xdream-rig-session"; }
  void save(xdream::io::ArchiveWriter& out) const {
    objective->save(out);
    out.write(static_cast<std::uint64_t>(threads->size()));
    for (const Thread& t : *threads) t.session->save(out);
  }
  void load(xdream::io::ArchiveReader& in) {
    objective->load(in);
    std::uint64_t count = 0;
    in.read(count);
    if (count != threads->size()) {
      throw std::invalid_argument("the checkpoint holds " + std::to_string(count) +
                                  " optimizers; the session has " +
                                  std::to_string(threads->size()));
    }
    for (Thread& t : *threads) t.session->load(in);
  }
};

/// One image as PNG (small images enlarged 4x, as xdream-evolve's).
void write_image(const rig::RigImage& image, const fs::path& file) {
  xdream::io::write_png(file, {image.pixels.data(), image.channels, image.height, image.width},
                        {.scale = image.height < 64 ? 4 : 1});
}

/// Each generation's best image (by score; NaN never wins) as images/genNNNN.png.
struct BestImageWriter {
  fs::path folder;
  void on_generation(const xdream::StimuliReport<rig::RigImages>& report) const {
    xdream::Index best = -1;
    for (xdream::Index i = 0; i < report.scores.size(); ++i) {
      if (!std::isnan(report.scores[i]) && (best < 0 || report.scores[i] > report.scores[best]))
        best = i;
    }
    if (best < 0) return;
    char name[32];
    std::snprintf(name, sizeof name, "gen%04u.png", report.stats.generation);
    write_image(report.stimuli[static_cast<std::size_t>(best)], folder / name);
  }
};

/// The reference images: every PNG of `dir`, named by its file's stem.
std::vector<rig::ReferenceImage> read_references(const std::string& dir) {
  std::vector<rig::ReferenceImage> references;
  if (dir.empty()) return references;
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    throw std::invalid_argument("option --references: '" + dir + "' is not a directory");
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (entry.is_regular_file(error) && entry.path().extension() == ".png")
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    throw std::invalid_argument("option --references: '" + dir + "' holds no .png images");
  }
  for (const fs::path& file : files) {
    std::string name = file.stem().string();
    for (char& ch : name) {
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') ch = '_';
    }
    const xdream::io::Image image = xdream::io::read_png(file);
    references.push_back({name, {image.pixels, image.channels, image.height, image.width}});
  }
  return references;
}

std::string new_session_tag() {
  std::random_device device;
  char tag[16];
  std::snprintf(tag, sizeof tag, "%08x", static_cast<unsigned>(device()));
  return tag;
}

/// A new session's tag must be new to the exchange: the files of an earlier session with the
/// same tag would otherwise be taken for this one's.
void check_tag_is_new(const std::string& exchange, const std::string& tag) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(exchange, error)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".manifest.json") || !entry.is_regular_file(error) ||
        entry.file_size(error) > (std::uintmax_t{1} << 24)) {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    const json manifest = json::parse(in, nullptr, false);
    if (manifest.is_object() && manifest.value("session", "") == tag) {
      throw std::invalid_argument(
          "option --session = " + tag +
          ": the exchange directory already "
          "holds blocks of a session with this tag (" +
          name + "); choose another tag, or --resume that session's run directory");
    }
  }
}

rig::RigOptions rig_options(const RigConfig& c) {
  rig::RigOptions o;
  o.reps = c.reps;
  o.max_reshows = c.max_reshows;
  o.min_valid_fraction = c.min_valid_fraction;
  o.max_reissues = c.max_reissues;
  o.expected_block_s = c.expected_block_s;
  o.soft_min_s = c.soft_min_s;
  o.hard_deadline_s = c.hard_deadline_s;
  o.poll_s = c.poll_s;
  o.channels = c.channels;
  if (!c.score_pattern.empty()) {
    const xdream::PatternMeasure measure =
        c.pattern_measure == "correlation"    ? xdream::PatternMeasure::correlation
        : c.pattern_measure == "dot"          ? xdream::PatternMeasure::dot
        : c.pattern_measure == "negative-mse" ? xdream::PatternMeasure::negative_mse
                                              : xdream::PatternMeasure::cosine;
    o.score = rig::ScorePolicy::pattern(c.score_pattern, measure, c.pattern_target,
                                        c.pattern_reference, c.pattern_zscore);
  } else if (!c.score_mean.empty()) {
    o.score = rig::ScorePolicy::mean(c.score_mean);
  } else {
    o.score = rig::ScorePolicy::channel(!c.score.empty()      ? c.score
                                        : !c.channels.empty() ? c.channels.front()
                                                              : "0");
  }
  o.order_seed = xdream::stream_seed(c.seed, 0, 0, xdream::Purpose::rig);
  o.stop_requested = &stop_requested;
  return o;
}

// One optimizer's part of a summary.
json thread_summary(const Session& session) {
  json summary{{"generations", session.history().size()},
               {"stimuli", session.history().empty() ? 0 : session.history().back().stimuli}};
  if (!session.history().empty()) {
    summary["final_best"] = session.history().back().best;
    summary["best_score_ever"] = session.state().best.score;
  }
  return summary;
}

void write_summary(const fs::path& dir, const std::vector<Thread>& threads,
                   const JournalFile& journal, const std::string& ended) {
  const JournalFile::Counts& n = journal.counts();
  json summary{{"ended", ended},
               {"blocks", n.blocks},
               {"reshows", n.reshows},
               {"reissues", n.reissues},
               {"alarms", n.alarms},
               {"faults", n.faults},
               {"rejected_entries", n.rejected},
               {"responses", n.responses}};
  if (threads.size() == 1 && threads.front().config.name.empty()) {
    summary.update(thread_summary(*threads.front().session));
  } else {
    summary["threads"] = json::array();
    for (const Thread& t : threads) {
      json part = thread_summary(*t.session);
      part["name"] = t.config.name;
      part["record"] = fs::relative(t.record, dir).string();
      summary["threads"].push_back(part);
      xdream_apps::write_text_atomically(t.record / "summary.json", part.dump(2) + "\n");
    }
  }
  if (n.first_reference) {
    summary["reference_first"] = *n.first_reference;
    summary["reference_last"] = *n.last_reference;
  }
  if (!n.turnaround_s.empty()) {
    std::vector<double> t = n.turnaround_s;
    std::sort(t.begin(), t.end());
    summary["turnaround_median_s"] = t[t.size() / 2];
    summary["turnaround_max_s"] = t.back();
  }
  xdream_apps::write_text_atomically(dir / "summary.json", summary.dump(2) + "\n");
}

int run_program(int argc, char** argv) {
  Invocation invocation;
  if (auto code = parse_command_line(argc, argv, invocation, XDREAM_MODELS_DIR)) return *code;
  const bool resuming = !invocation.resume.empty();
  const fs::path dir = resuming ? fs::path(invocation.resume) : fs::path(invocation.config.out);
  xdream_apps::RunLock lock;
  json recorded;
  RigConfig c = invocation.config;
  std::string session_tag = invocation.session.empty() ? new_session_tag() : invocation.session;
  if (resuming) {
    recorded = xdream_apps::read_run_config(dir, "xdream-rig");
    lock = xdream_apps::RunLock(dir, "option --resume");
    if (!recorded.contains("settings") || !recorded.contains("session") ||
        !recorded.at("session").is_string()) {
      throw std::runtime_error("option --resume: '" + (dir / "config.json").string() +
                               "' is not xdream-rig's");
    }
    c = settings_from_json(recorded.at("settings"),
                           "option --resume: " + (dir / "config.json").string());
    session_tag = recorded.at("session").get<std::string>();
    if (invocation.config.device != "auto") c.device = invocation.config.device;
    if (invocation.config.threads != 0) c.threads = invocation.config.threads;
    if (fs::exists(dir / "DONE")) {
      std::printf("xdream-rig: the session in %s is complete (summary.json)\n",
                  dir.string().c_str());
      return 0;
    }
  } else {
    check(c);
    xdream_apps::check_new_run_directory(dir, invocation.force);
    if (c.transport == TransportKind::file) check_tag_is_new(c.dir, session_tag);
    for (std::string* path : {&c.dir, &c.references, &c.generator}) {
      if (!path->empty()) *path = fs::absolute(*path).lexically_normal().string();
    }
  }

  // Everything is checked before the run directory appears: the generators, the references,
  // the algorithms, and the exchange directory (locked: no other session may use it).
  xdream::set_torch_threads(c.threads);
  std::vector<Thread> threads;
  for (ThreadConfig& config : thread_configs(c)) {
    Thread t;
    t.record = config.name.empty() ? dir : dir / "threads" / config.name;
    try {
      t.generator = std::make_unique<xdream::TorchGenerator>(
          config.config.generator,
          xdream::TorchGeneratorOptions{.code_size = config.config.code_size, .device = c.device});
    } catch (const std::exception& e) {
      if (config.name.empty()) throw;
      throw std::invalid_argument("option --thread-file: thread '" + config.name +
                                  "': " + e.what());
    }
    t.config = std::move(config);
    threads.push_back(std::move(t));
  }
  const std::vector<rig::ReferenceImage> reference_images = read_references(c.references);
  json models{
      {"generator", {{"file", c.generator}, {"sha256", xdream::io::sha256_file(c.generator)}}}};
  json seeds{{"algorithm", c.seed}, {"order", rig_options(c).order_seed}};
  for (const Thread& t : threads) {
    if (t.config.name.empty()) continue;
    const std::string& file = t.config.config.generator;
    models["threads"][t.config.name] = {{"file", file}, {"sha256", xdream::io::sha256_file(file)}};
    seeds["threads"][t.config.name] = t.config.config.seed;
  }
  const json record{{"settings", c},
                    {"session", session_tag},
                    {"program", "xdream-rig"},
                    {"protocol", c.transport == TransportKind::file ? "xdream-rig-files 1"
                                                                    : "xdream-rig-socket 1"},
                    {"versions", {{"xdream", xdream::version_string}, {"libtorch", TORCH_VERSION}}},
                    {"models", models},
                    {"seeds", seeds}};
  if (resuming && recorded.at("models") != record.at("models")) {
    throw std::runtime_error(
        "option --resume: a generator file changed since the session started "
        "(its sha256 differs from config.json)");
  }
  rig::RigOptions options = rig_options(c);
  for (const Thread& t : threads) {
    if (!t.config.name.empty())
      options.threads.push_back({t.config.name, rig_options(t.config.config).score});
  }
  rig::SteadyClock clock;
  Transport transport(c, clock);
  for (Thread& t : threads) t.images = std::make_unique<RigImageGenerator>(*t.generator);
  std::vector<ThreadCodes> codes;
  for (const Thread& t : threads) codes.push_back({t.config.name, &t.images->codes()});
  JournalFile journal(c.dir, session_tag, codes, invocation.quiet);
  Objective objective(transport, clock, journal, session_tag, reference_images, options);

  if (!resuming) {
    lock = xdream_apps::create_run_directory(dir, invocation.force, record.dump(2) + "\n");
    std::error_code error;  // several optimizers keep their images in threads/NAME/images
    if (!threads.front().config.name.empty()) fs::remove(dir / "images", error);
  }
  const fs::path checkpoint = dir / "checkpoint.bin";
  SessionCheckpoint whole{&objective, &threads};
  Threads meeting(objective, [&] { xdream::io::save_checkpoint(checkpoint, whole); });
  for (std::size_t i = 0; i < threads.size(); ++i) {
    Thread& t = threads[i];
    t.session = std::make_unique<Session>(
        *t.images, rig::RigThreadObjective<Objective>(meeting, i),
        xdream_apps::make_algorithm(t.config.config, t.generator->code_size(), nullptr));
    std::error_code error;
    fs::create_directories(t.record / "images", error);
    t.scores = std::make_unique<xdream::callbacks::ScoresFile>(t.record / "scores.csv");
  }
  Replay replay;
  if (resuming) {
    if (fs::exists(checkpoint)) xdream::io::load_checkpoint(checkpoint, whole);
    replay = replay_journal(dir / "rig" / "journal.jsonl", objective.state().next_block);
    objective.recover(replay.blocks);
    journal.open(dir, replay.whole_bytes);
    journal.rebuild_responses(replay.responses);
    journal.restore_counts(replay.counts);
  } else {
    journal.open(dir);
  }
  transport.set_record(dir / "rig");
  journal.write({{"kind", resuming ? "SESSION_RESUMED" : "SESSION_START"},
                 {"session", session_tag},
                 {"next_block", objective.state().next_block},
                 {"generation", objective.state().generation},
                 {"reattached_blocks", replay.blocks.size()},
                 {"config_sha256", xdream::io::sha256(record.dump())}});
  if (!invocation.quiet) {
    std::printf("xdream-rig: session %s, %s%s, %s\n", session_tag.c_str(),
                resuming ? "resuming " : "", dir.string().c_str(), transport.description().c_str());
    for (const Thread& t : threads) {
      std::printf("xdream-rig: %s%llu generations of %lld images\n", t.label().c_str(),
                  static_cast<unsigned long long>(t.config.config.generations),
                  static_cast<long long>(t.session->algorithm().population_size()));
    }
    std::fflush(stdout);
  }

  std::signal(SIGINT, ask_to_stop);
  std::signal(SIGTERM, ask_to_stop);
  std::vector<std::function<void()>> drivers;
  for (std::size_t i = 0; i < threads.size(); ++i) {
    drivers.push_back([&threads, &meeting, i] {
      Thread& t = threads[i];
      t.session->run_until(xdream::budget::generations(t.config.config.generations),
                           BestImageWriter{t.record / "images"}, *t.scores,
                           rig::RigThreadTold<Objective>{&meeting, i});
    });
  }
  std::string ended = "complete";
  try {
    meeting.run(std::move(drivers));
  } catch (const std::exception& e) {
    // A clean stop: the last checkpoint and the journal hold everything; --resume continues. A
    // full disk anywhere (images, scores, the checkpoint) is one too.
    const auto* stop = dynamic_cast<const rig::RigStop*>(&e);
    const bool disk_full = rig::is_disk_full(e);
    if (stop == nullptr && !disk_full) throw;
    ended = stop != nullptr ? rig::to_string(stop->reason())
                            : rig::to_string(rig::StopReason::disk_full);
    try {  // what still fits on the disk
      journal.write({{"kind", "SESSION_END"}, {"ended", ended}, {"why", e.what()}});
      for (Thread& t : threads) t.scores->write(t.session->history());
      write_summary(dir, threads, journal, ended);
    } catch (const std::exception&) {
    }
    const std::string why = stop != nullptr ? e.what() : ended + ": " + e.what();
    std::fprintf(stderr, "xdream-rig: stopped (%s); --resume %s continues the session\n",
                 why.c_str(), dir.string().c_str());
    return 3;
  }
  transport.finish();
  journal.write({{"kind", "SESSION_END"}, {"ended", ended}});
  for (Thread& t : threads) {
    const Session& session = *t.session;
    if (session.last_codes().size() > 0)
      xdream::io::save_npy(t.record / "codes.npy", session.last_codes());
    if (session.state().best.code.size() > 0) {  // none when no image ever had a response
      xdream::io::save_npy(t.record / "best_code.npy", xdream::Code(session.state().best.code));
      write_image(t.images->generate(session.state().best.code).front(), t.record / "best.png");
    }
    t.scores->write(session.history());
  }
  // The reference image the neuron answered best over the session, beside the evolved ones.
  const std::vector<double> reference_scores = objective.reference_scores();
  std::size_t best_reference = reference_scores.size();
  for (std::size_t r = 0; r < reference_scores.size(); ++r) {
    if (!std::isnan(reference_scores[r]) &&
        (best_reference == reference_scores.size() ||
         reference_scores[r] > reference_scores[best_reference])) {
      best_reference = r;
    }
  }
  if (best_reference < reference_scores.size()) {
    write_image(reference_images[best_reference].image, dir / "reference_best.png");
  }
  write_summary(dir, threads, journal, ended);
  for (const Thread& t : threads) xdream_apps::plot_run(t.record, "xdream-rig");
  xdream_apps::write_text_atomically(dir / "DONE", "");
  if (!invocation.quiet) {
    std::printf("xdream-rig: %d blocks, %lld responses; record: %s\n", journal.counts().blocks,
                journal.counts().responses, dir.string().c_str());
    for (const Thread& t : threads) {
      std::printf("xdream-rig: %s%zu generations, best score %.6g\n", t.label().c_str(),
                  t.session->history().size(), t.session->state().best.score);
    }
  }
  return 0;
}

}  // namespace
}  // namespace xdream_rig

int main(int argc, char** argv) {
  return xdream_apps::run_main(argc, argv, "xdream-rig", xdream_rig::run_program);
}
