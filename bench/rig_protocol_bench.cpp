// The rig transports' own latency over loopback, side by side: from a block handed to the
// transport to the rig's acknowledgement in xdream's hands (BLOCK -> ACK), and from the rig's
// last RESULT to the next block at the rig (RESULT -> next BLOCK), for the socket protocol over
// ZeroMQ (PNGs inline) and TCP (PNG files, paths), and for the file exchange (the rig polls
// current_block.json every millisecond; xdream polls the directory every 0.5 ms, and reads a
// response file once it is stable over 2 polls). A block: 40 grey 28x28 images, as the bundled
// generator's. The rig is the benchmark's own thread-free client on the same machine: these
// are the transports' costs, without a second process's scheduling.
//
// And the heartbeat's cost: the CPU time xdream spends per second of an idle, connected
// session (PING out each second, PONG in), per socket.
//
// docs/benchmarks.md, "The rig's transports".
#include "rig_ends.hpp"

#include <xdream/rig/file_transport.hpp>
#include <xdream/rig/socket_transport.hpp>
#include <xdream/rig/tcp_link.hpp>
#include <xdream/rig/zmq_link.hpp>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <zmq_addon.hpp>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {
using namespace xdream_bench;
namespace fs = std::filesystem;
namespace rig = xdream::rig;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* session = "0badcafe";

rig::RigBlock make_block(std::uint32_t number) {
  rig::RigBlock block;
  block.session = session;
  block.number = number;
  block.generation = number;
  block.deadline_s = 60;
  for (int i = 0; i < 40; ++i) {
    auto image = std::make_shared<rig::RigImage>();
    image->channels = 1;
    image->height = image->width = 28;
    image->pixels.resize(28 * 28);
    for (std::size_t p = 0; p < image->pixels.size(); ++p)
      image->pixels[p] =
          static_cast<float>((p * 7 + static_cast<std::size_t>(i) * 13) % 256) / 255.f;
    block.stimuli.push_back(
        {std::string(session) + "-g" + std::to_string(number) + "-" + std::to_string(i),
         rig::StimulusKind::synthetic, image});
  }
  return block;
}

template <class Event, class T>
void poll_until(T& transport, rig::SteadyClock& clock) {
  for (;;) {
    for (const rig::RigEvent& e : transport.poll(clock.now() + rig::seconds(5.0)))
      if (std::holds_alternative<Event>(e)) return;
  }
}

struct TempDir {
  fs::path path =
      fs::temp_directory_path() / ("xdream-rig-protocol-bench-" + std::to_string(::getpid()));
  TempDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

// --- the socket protocol ------------------------------------------------------------------------

template <class LinkT, class RigT>
void socket_round_trips(benchmark::State& state, const std::string& address, bool inline_images) {
  TempDir dir;
  rig::SteadyClock clock;
  LinkT link(address);
  rig::SocketTransport transport(link, clock, {.inline_images = inline_images, .images = dir.path});
  transport.open({session, {"unit"}});
  RigT rig_end(link.endpoint());
  std::uint64_t seq = 0;
  rig_end.send(rig_message("HELLO", session, seq, {{"rig", "bench"}}));
  poll_until<rig::PeerUp>(transport, clock);
  next_of(rig_end, "WELCOME");
  const bool block_to_ack = state.range(0) == 0;
  std::uint32_t number = 1;
  transport.submit(make_block(number));
  json block = next_of(rig_end, "BLOCK");
  double total = 0.0;
  for (auto _ : state) {
    if (block_to_ack) {
      // A block handed to the transport -> its ACK in xdream's hands.
      const auto start = Clock::now();
      transport.submit(make_block(++number));
      block = next_of(rig_end, "BLOCK");
      rig_end.send(rig_message("ACK", session, seq,
                               {{"block_id", block["block_id"]},
                                {"attempt", 1},
                                {"missing", json::array()},
                                {"bad_hash", json::array()}}));
      poll_until<rig::Ack>(transport, clock);
      const double s = std::chrono::duration<double>(Clock::now() - start).count();
      state.SetIterationTime(s);
      total += s;
    } else {
      // The rig's last RESULT -> the next BLOCK at the rig.
      const auto start = Clock::now();
      rig_end.send(result_of(block, session, seq));
      poll_until<rig::Responses>(transport, clock);
      transport.retire(number);
      transport.submit(make_block(++number));
      block = next_of(rig_end, "BLOCK");
      const double s = std::chrono::duration<double>(Clock::now() - start).count();
      state.SetIterationTime(s);
      total += s;
    }
  }
  state.counters["ms"] = 1e3 * total / static_cast<double>(state.iterations());
}

void BM_Zmq_Inline(benchmark::State& state) {
  socket_round_trips<rig::ZmqLink, ZmqRig>(state, "tcp://127.0.0.1:*", true);
}
void BM_Zmq_Paths(benchmark::State& state) {
  socket_round_trips<rig::ZmqLink, ZmqRig>(state, "tcp://127.0.0.1:*", false);
}
void BM_Tcp_Paths(benchmark::State& state) {
  socket_round_trips<rig::TcpLink, TcpRig>(state, "127.0.0.1:0", false);
}

// --- the file exchange --------------------------------------------------------------------------

// The block number current_block.json names once it is there (the rig's poll every 1 ms).
std::uint32_t wait_current(const fs::path& exchange, std::uint32_t after) {
  for (;;) {
    std::ifstream in(exchange / "current_block.json");
    const json current = json::parse(in, nullptr, false);
    if (current.is_object() && current.value("status", "") == "open" &&
        current.value("block", 0u) > after)
      return current["block"].get<std::uint32_t>();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void BM_File(benchmark::State& state) {
  TempDir dir;
  fs::create_directories(dir.path / "exchange");
  fs::create_directories(dir.path / "raw");
  rig::SteadyClock clock;
  rig::FileTransport<rig::SteadyClock> transport(dir.path / "exchange", clock, {.poll_s = 0.0005});
  transport.set_archive(dir.path / "raw");
  transport.open({session, {"unit"}});
  const bool block_to_ack = state.range(0) == 0;
  std::uint32_t number = 1;
  transport.submit(make_block(number));
  wait_current(dir.path / "exchange", 0);
  std::uint64_t seq = 0;
  double total = 0.0;
  for (auto _ : state) {
    const auto start = Clock::now();
    if (block_to_ack) {
      // The file exchange has no ACK: a block handed to the transport -> the rig sees it.
      transport.submit(make_block(++number));
      wait_current(dir.path / "exchange", number - 1);
    } else {
      // The rig's response file -> the next block's current_block.json at the rig.
      json block{{"block_id", number}, {"attempt", 1}, {"stimuli", json::array()}};
      for (const rig::RigStimulus& s : make_block(number).stimuli)
        block["stimuli"].push_back({{"stim_id", s.id}});
      const std::string text = result_of(block, session, seq).dump();
      char name[32];
      std::snprintf(name, sizeof name, "block%03u.json", number);
      xdream::io::write_file_atomically(dir.path / "exchange" / name,
                                        std::as_bytes(std::span(text.data(), text.size())));
      poll_until<rig::Responses>(transport, clock);
      transport.retire(number);
      transport.submit(make_block(++number));
      wait_current(dir.path / "exchange", number - 1);
    }
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    state.SetIterationTime(s);
    total += s;
  }
  state.counters["ms"] = 1e3 * total / static_cast<double>(state.iterations());
}

// Arg 0: BLOCK -> ACK (file: -> the rig sees it); arg 1: RESULT -> next BLOCK at the rig.
BENCHMARK(BM_Zmq_Inline)
    ->Arg(0)
    ->Arg(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(50);
BENCHMARK(BM_Zmq_Paths)
    ->Arg(0)
    ->Arg(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(50);
BENCHMARK(BM_Tcp_Paths)
    ->Arg(0)
    ->Arg(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(50);
BENCHMARK(BM_File)->Arg(0)->Arg(1)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(50);

// --- the heartbeat ------------------------------------------------------------------------------

double cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// xdream idle with a rig connected for 3 s (heartbeats every 1 s; the rig answers each PING):
// the CPU time it spends per second, and a PING's round trip.
template <class LinkT, class RigT>
void heartbeat(benchmark::State& state, const std::string& address) {
  TempDir dir;
  rig::SteadyClock clock;
  LinkT link(address);
  rig::SocketTransport transport(link, clock, {.images = dir.path});
  transport.open({session, {"unit"}});
  RigT rig_end(link.endpoint());
  std::uint64_t seq = 0;
  rig_end.send(rig_message("HELLO", session, seq, {{"rig", "bench"}}));
  poll_until<rig::PeerUp>(transport, clock);
  next_of(rig_end, "WELCOME");
  double cpu = 0.0, wall = 0.0;
  for (auto _ : state) {
    const double cpu_start = cpu_seconds();
    const auto start = Clock::now();
    const auto until = clock.now() + rig::seconds(3.0);
    int pings = 0;
    while (clock.now() < until) {
      transport.poll(std::min(until, clock.now() + rig::seconds(0.05)));
      while (auto m = rig_end.next(0)) {
        if ((*m)["type"] == "PING") {
          rig_end.send(rig_message("PONG", session, seq, {{"ping_seq", (*m)["seq"]}}));
          ++pings;
        }
      }
    }
    // The rig's own time answering is in the same process: a small overestimate.
    cpu += cpu_seconds() - cpu_start;
    wall += std::chrono::duration<double>(Clock::now() - start).count();
    state.counters["pings"] = pings;
  }
  state.counters["cpu_ms_per_s"] = 1e3 * cpu / wall;
}

void BM_Heartbeat_Zmq(benchmark::State& state) {
  heartbeat<rig::ZmqLink, ZmqRig>(state, "tcp://127.0.0.1:*");
}
void BM_Heartbeat_Tcp(benchmark::State& state) {
  heartbeat<rig::TcpLink, TcpRig>(state, "127.0.0.1:0");
}
BENCHMARK(BM_Heartbeat_Zmq)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_Heartbeat_Tcp)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
