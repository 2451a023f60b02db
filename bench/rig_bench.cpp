// The rig's dead time: from a block's last response file being accepted to the next block's
// files on disk (the file exchange), or from the rig's last RESULT taken to the next BLOCK at the
// rig (the socket protocol over TCP with PNG files, or over ZeroMQ with the PNGs inline). In
// between, the animal waits while xdream-rig journals the block's close, tells the optimizer (GA,
// 40 images a block: 36 evolved + 4 references), checkpoints, asks, runs the generator, converts
// the images, writes the next block's codes.npy and journal entry, encodes the PNGs (two threads,
// zlib's fastest level), writes them and the manifest (each synced, then renamed) and
// current_block.json. Measured with the real FileTransport and journal, against a rig simulated in
// the same process that answers each block with a .json response file (or an ACK and a RESULT over
// the socket, from the benchmark's own client).
//
// Models: the bundled generator by default; XDREAM_BENCH_GENERATOR for another (e.g. a full-size
// random-weight DeePSiM fc6 from tools/export_generator.py --random-weights), XDREAM_BENCH_THREADS
// (2). Counters: turnaround_ms (the whole dead time), forward_ms (the generator's forward pass in
// it) and beyond_forward_ms (the rest). docs/benchmarks.md, "The rig's turnaround".
#include "journal_file.hpp"
#include "rig_ends.hpp"

#include <xdream/callbacks/checkpointer.hpp>
#include <xdream/callbacks/scores_file.hpp>
#include <xdream/driver.hpp>
#include <xdream/genetic/genetic.hpp>
#include <xdream/io/atomic_file.hpp>
#include <xdream/io/checkpoint.hpp>
#include <xdream/rig/file_transport.hpp>
#include <xdream/rig/objective.hpp>
#include <xdream/rig/socket_transport.hpp>
#include <xdream/rig/tcp_link.hpp>
#include <xdream/rig/threads.hpp>
#include <xdream/rig/zmq_link.hpp>
#include <xdream/torch.hpp>
#include <xdream/torch/image_writer.hpp>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#ifndef XDREAM_MODELS_DIR
#define XDREAM_MODELS_DIR "models/fashion_mnist"
#endif

namespace {
namespace fs = std::filesystem;
namespace rig = xdream::rig;
using Clock = std::chrono::steady_clock;

std::string setting(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// The generator's images as RigImages, timing its forward pass.
struct Images {
  xdream::TorchGenerator* generator;
  xdream::Population codes;
  double forward_s = 0.0;
  xdream::Index code_size() const { return generator->code_size(); }
  rig::RigImages generate(const xdream::Population& c) {
    codes = c;
    const auto start = Clock::now();
    const torch::Tensor images = generator->generate(c);
    const auto [cpu, view] = xdream::image_view(images);
    forward_s = std::chrono::duration<double>(Clock::now() - start).count();
    rig::RigImages out(static_cast<std::size_t>(view.count));
    for (int i = 0; i < view.count; ++i) {
      out[static_cast<std::size_t>(i)] = {
          std::vector<float>(view.pixels + i * view.size(), view.pixels + (i + 1) * view.size()),
          view.channels, view.height, view.width};
    }
    return out;
  }
};

// Four grey reference images of the generator's shape (levels 0, 0.25, 0.5, 0.75).
std::vector<rig::ReferenceImage> grey_references(const xdream::TorchGenerator& generator) {
  std::vector<rig::ReferenceImage> references;
  const auto [c, h, w] = generator.image_shape();
  for (int k = 0; k < 4; ++k) {
    references.push_back({"ref" + std::to_string(k),
                          {std::vector<float>(static_cast<std::size_t>(c * h * w), 0.25f * k),
                           static_cast<int>(c), static_cast<int>(h), static_cast<int>(w)}});
  }
  return references;
}

// The real file transport, with a rig in the same process: each block is answered at once with
// a response file; the times of acceptance and of the next block's files are taken.
struct TimedTransport {
  rig::FileTransport<rig::SteadyClock> files;
  Clock::time_point accepted{}, written{};
  std::uint32_t answered = 0;
  std::vector<rig::RigBlock> blocks{};

  void open(const rig::RigSession& s) { files.open(s); }
  std::vector<double>
      gaps_s{};  // each block's turnaround: responses accepted -> next block written

  void submit(const rig::RigBlock& block) {
    files.submit(block);
    written = Clock::now();
    if (accepted != Clock::time_point{})
      gaps_s.push_back(std::chrono::duration<double>(written - accepted).count());
    blocks.push_back(block);
  }
  std::vector<rig::RigEvent> poll(rig::RigTime deadline) {
    const rig::RigBlock& block = blocks.back();
    if (answered != block.number) {
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& s : block.stimuli) {
        double sum = 0.0;
        for (float p : s.image->pixels) sum += p;
        rows.push_back(
            {{"stim_id", s.id}, {"rep", 0}, {"values", {100.0 * sum / s.image->pixels.size()}}});
      }
      const std::string text = nlohmann::json{
          {"type", "RESULT"},
          {"v", 1},
          {"block_id", block.number},
          {"attempt", block.attempt},
          {"channels", {"unit"}},
          {"responses", rows},
          {"final", true}}.dump();
      char name[32];
      std::snprintf(name, sizeof name, "block%03u.json", block.number);
      xdream::io::write_file_atomically(files.exchange() / name,
                                        std::as_bytes(std::span(text.data(), text.size())));
      answered = block.number;
    }
    std::vector<rig::RigEvent> events = files.poll(deadline);
    for (const auto& e : events) {
      if (std::holds_alternative<rig::Responses>(e)) accepted = Clock::now();
    }
    return events;
  }
  void close() { files.close(); }
  void retire(std::uint32_t b) { files.retire(b); }
};

// The real socket transport, with the benchmark's rig at the other end: each BLOCK is answered
// at once with an ACK and a RESULT; "written" is when the BLOCK reached the rig.
template <class LinkT, class RigT>
struct TimedSocket {
  LinkT link;
  rig::SocketTransport<LinkT, rig::SteadyClock> socket;
  RigT rig_end;
  rig::SteadyClock* clock;
  Clock::time_point accepted{}, written{};
  std::vector<rig::RigBlock> blocks{};
  std::uint64_t seq = 0;

  TimedSocket(const std::string& address, rig::SteadyClock& c,
              const rig::SocketTransportOptions& options)
      : link(address), socket(link, c, options), rig_end(link.endpoint()), clock(&c) {}
  void open(const rig::RigSession& s) {
    socket.open(s);
    rig_end.send(xdream_bench::rig_message("HELLO", s.tag, seq, {{"rig", "bench"}}));
  }
  void submit(const rig::RigBlock& block) {
    blocks.push_back(block);
    socket.submit(block);
  }
  std::vector<rig::RigEvent> poll(rig::RigTime deadline) {
    while (auto m = rig_end.next(0)) {
      if ((*m)["type"] != "BLOCK") continue;
      written = Clock::now();
      const rig::RigBlock& block = blocks.back();
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& s : block.stimuli) {
        double sum = 0.0;
        for (float p : s.image->pixels) sum += p;
        rows.push_back(
            {{"stim_id", s.id}, {"rep", 0}, {"values", {100.0 * sum / s.image->pixels.size()}}});
      }
      rig_end.send(xdream_bench::rig_message("ACK", block.session, seq,
                                             {{"block_id", block.number},
                                              {"attempt", block.attempt},
                                              {"missing", nlohmann::json::array()},
                                              {"bad_hash", nlohmann::json::array()}}));
      rig_end.send(xdream_bench::rig_message("RESULT", block.session, seq,
                                             {{"block_id", block.number},
                                              {"attempt", block.attempt},
                                              {"channels", {"unit"}},
                                              {"responses", rows},
                                              {"final", true}}));
    }
    std::vector<rig::RigEvent> events =
        socket.poll(std::min(deadline, clock->now() + rig::seconds(0.0005)));
    for (const auto& e : events) {
      if (std::holds_alternative<rig::Responses>(e)) accepted = Clock::now();
    }
    return events;
  }
  void close() { socket.close(); }
  void retire(std::uint32_t b) { socket.retire(b); }
};

template <class Transport>
void turnaround(benchmark::State& state, Transport& transport, rig::SteadyClock& clock,
                const fs::path& root) {
  xdream::TorchGenerator generator(
      setting("XDREAM_BENCH_GENERATOR", XDREAM_MODELS_DIR "/generator.pt"), {.device = "cpu"});
  Images images{&generator, {}, 0.0};
  xdream_rig::JournalFile journal(root / "exchange", "0badcafe", {{"", &images.codes}},
                                  /*quiet=*/true);
  const std::vector<rig::ReferenceImage> references = grey_references(generator);
  rig::RigOptions options;
  options.score = rig::ScorePolicy::channel("unit");
  using Objective = rig::RigObjective<Transport, rig::SteadyClock, xdream_rig::JournalFile>;
  Objective objective(transport, clock, journal, "0badcafe", references, options);
  journal.open(root / "run");
  xdream::Optimizer<Images&, Objective&, xdream::Genetic<>> session(
      images, objective,
      xdream::Genetic<>(generator.code_size(), {.population_size = 36, .seed = 1}));
  xdream::callbacks::ScoresFile scores(root / "run" / "scores.csv");
  xdream::callbacks::Checkpointer checkpointer(root / "run" / "checkpoint.bin");
  session.run(xdream::budget::generations(2), scores, checkpointer);  // warm up
  double total = 0.0, forward = 0.0;
  for (auto _ : state) {
    // From the previous block's responses accepted to this block at the rig.
    const Clock::time_point previous = transport.accepted;
    session.run(xdream::budget::generations(1), scores, checkpointer);
    const double turnaround = std::chrono::duration<double>(transport.written - previous).count();
    state.SetIterationTime(turnaround);
    total += turnaround;
    forward += images.forward_s;
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["turnaround_ms"] = 1e3 * total / n;
  state.counters["forward_ms"] = 1e3 * forward / n;
  state.counters["beyond_forward_ms"] = 1e3 * (total - forward) / n;
  state.counters["images"] = 40;
  transport.close();
}

fs::path fresh_root() {
  const fs::path root =
      fs::temp_directory_path() / ("xdream-rig-bench-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "exchange");
  fs::create_directories(root / "run" / "rig" / "raw");
  return root;
}

// One turnaround benchmark: `make(root, clock)` builds its transport.
template <class Make>
void run_turnaround(benchmark::State& state, Make make) {
  xdream::set_torch_threads(std::stoi(setting("XDREAM_BENCH_THREADS", "2")));
  const fs::path root = fresh_root();
  rig::SteadyClock clock;
  {
    const auto transport = make(root, clock);
    turnaround(state, *transport, clock, root);
  }
  fs::remove_all(root);
}

void BM_RigTurnaround_Tcp(benchmark::State& state) {
  run_turnaround(state, [](const fs::path& root, rig::SteadyClock& clock) {
    return std::make_unique<TimedSocket<rig::TcpLink, xdream_bench::TcpRig>>(
        "127.0.0.1:0", clock, rig::SocketTransportOptions{.images = root / "exchange"});
  });
}
BENCHMARK(BM_RigTurnaround_Tcp)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(30);

void BM_RigTurnaround_Zmq(benchmark::State& state) {
  run_turnaround(state, [](const fs::path&, rig::SteadyClock& clock) {
    return std::make_unique<TimedSocket<rig::ZmqLink, xdream_bench::ZmqRig>>(
        "tcp://127.0.0.1:*", clock, rig::SocketTransportOptions{.inline_images = true});
  });
}
BENCHMARK(BM_RigTurnaround_Zmq)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(30);

void BM_RigTurnaround(benchmark::State& state) {
  run_turnaround(state, [](const fs::path& root, rig::SteadyClock& clock) {
    std::unique_ptr<TimedTransport> transport(new TimedTransport{
        rig::FileTransport<rig::SteadyClock>(root / "exchange", clock, {.poll_s = 0.0005})});
    transport->files.set_archive(root / "run" / "rig" / "raw");
    return transport;
  });
}
BENCHMARK(BM_RigTurnaround)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(30);

// The same dead time with two optimizers sharing the blocks (two GAs of 18 images, 40 images a
// block with the references, as above), each driven in its own thread through RigThreads, one
// checkpoint of the whole session per generation: the cost of the threads' meeting.
void BM_RigTurnaround_TwoThreads(benchmark::State& state) {
  xdream::set_torch_threads(std::stoi(setting("XDREAM_BENCH_THREADS", "2")));
  const fs::path root = fresh_root();
  rig::SteadyClock clock;
  double mean_s = 0.0;
  {
    TimedTransport transport{
        rig::FileTransport<rig::SteadyClock>(root / "exchange", clock, {.poll_s = 0.0005})};
    transport.files.set_archive(root / "run" / "rig" / "raw");
    xdream::TorchGenerator generator(
        setting("XDREAM_BENCH_GENERATOR", XDREAM_MODELS_DIR "/generator.pt"), {.device = "cpu"});
    std::vector<Images> images(2, Images{&generator, {}, 0.0});
    xdream_rig::JournalFile journal(root / "exchange", "0badcafe",
                                    {{"a", &images[0].codes}, {"b", &images[1].codes}},
                                    /*quiet=*/true);
    const std::vector<rig::ReferenceImage> references = grey_references(generator);
    rig::RigOptions options;
    options.threads = {{"a", rig::ScorePolicy::channel("unit")},
                       {"b", rig::ScorePolicy::channel("unit")}};
    using Objective = rig::RigObjective<TimedTransport, rig::SteadyClock, xdream_rig::JournalFile>;
    Objective objective(transport, clock, journal, "0badcafe", references, options);
    journal.open(root / "run");
    using Session =
        xdream::Optimizer<Images&, rig::RigThreadObjective<Objective>, xdream::Genetic<>>;
    std::vector<std::unique_ptr<Session>> sessions;
    struct Whole {
      Objective* objective;
      std::vector<std::unique_ptr<Session>>* sessions;
      static std::string name() { return "bench-rig-session"; }
      void save(xdream::io::ArchiveWriter& out) const {
        objective->save(out);
        for (const auto& s : *sessions) s->save(out);
      }
      void load(xdream::io::ArchiveReader& in) {
        objective->load(in);
        for (auto& s : *sessions) s->load(in);
      }
    } whole{&objective, &sessions};
    rig::RigThreads<Objective> meeting(
        objective, [&] { xdream::io::save_checkpoint(root / "run" / "checkpoint.bin", whole); });
    std::vector<std::unique_ptr<xdream::callbacks::ScoresFile>> scores;
    for (std::size_t t = 0; t < 2; ++t) {
      sessions.push_back(std::make_unique<Session>(
          images[t], rig::RigThreadObjective<Objective>(meeting, t),
          xdream::Genetic<>(generator.code_size(), {.population_size = 18, .seed = 1 + t})));
      scores.push_back(std::make_unique<xdream::callbacks::ScoresFile>(
          root / "run" / ("scores_" + std::to_string(t) + ".csv")));
    }
    const auto generations = static_cast<std::uint64_t>(state.max_iterations) + 2;
    std::vector<std::function<void()>> bodies;
    for (std::size_t t = 0; t < 2; ++t) {
      bodies.push_back([&, t] {
        sessions[t]->run(xdream::budget::generations(generations), *scores[t],
                         rig::RigThreadTold<Objective>{&meeting, t});
      });
    }
    meeting.run(std::move(bodies));
    // The first two are the warm-up's, as in the benchmarks above.
    std::size_t i = 2;
    for (auto _ : state) {
      const double gap = transport.gaps_s.at(std::min(i++, transport.gaps_s.size() - 1));
      state.SetIterationTime(gap);
      mean_s += gap;
    }
    transport.close();
  }
  state.counters["turnaround_ms"] = 1e3 * mean_s / static_cast<double>(state.iterations());
  state.counters["images"] = 40;
  fs::remove_all(root);
}
BENCHMARK(BM_RigTurnaround_TwoThreads)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(30);

}  // namespace

// LibTorch's OpenMP threads wait without spinning, as in xdream-rig (which sets the same before
// LibTorch loads): a spinning pool would take the cores the PNG encoders need.
int main(int argc, char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    ::execv("/proc/self/exe", argv);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
