// The socket transport over real sockets on loopback: the protocol's handshake, every message a
// rig sends turned into its event, acknowledgements only after the objective had the
// responses, idempotence, refusals, heartbeats and a lost rig; over TCP (JSON lines) and
// ZeroMQ (a DEALER, PNG frames inline).

#include <xdream/io/png.hpp>
#include <xdream/io/sha256.hpp>
#include <xdream/rig/socket_transport.hpp>
#include <xdream/rig/tcp_link.hpp>
#ifdef XDREAM_HAVE_ZMQ
#include <xdream/rig/zmq_link.hpp>

#include <zmq_addon.hpp>
#endif

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace fs = std::filesystem;
using json = nlohmann::json;
namespace rig = xdream::rig;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char pattern[] = "/tmp/xdream-socket-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() {
    std::error_code error;
    fs::remove_all(path, error);
  }
};

/// A rig's end of a TCP connection: JSON lines out and in.
class LineClient {
 public:
  explicit LineClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  }
  ~LineClient() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void send(const std::string& text) {
    const std::string line = text + "\n";
    REQUIRE(::send(fd_, line.data(), line.size(), MSG_NOSIGNAL) ==
            static_cast<::ssize_t>(line.size()));
  }
  /// The next message, waiting at most 2 s.
  std::optional<json> next() {
    for (;;) {
      if (const auto end = buffer_.find('\n'); end != std::string::npos) {
        const std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return json::parse(line);
      }
      pollfd fd{fd_, POLLIN, 0};
      if (::poll(&fd, 1, 2000) <= 0) return std::nullopt;
      char chunk[65536];
      const ::ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  /// The next message of `type`, skipping others (PINGs).
  json next_of(const std::string& type) {
    for (int i = 0; i < 100; ++i) {
      auto m = next();
      REQUIRE(m.has_value());
      if ((*m)["type"] == type) return *m;
    }
    FAIL("no " << type);
    return {};
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

int seq = 0;
json rig_message(const std::string& type, const std::string& session, json body = json::object()) {
  json m{{"v", 1},       {"type", type},       {"session", session},
         {"seq", seq++}, {"t_mono_ns", 12345}, {"t_wall", "2026-12-02T06:00:00.000Z"}};
  m.update(body);
  return m;
}

rig::RigBlock small_block(std::uint32_t number) {
  rig::RigBlock block;
  block.session = "sock";
  block.number = number;
  block.generation = number - 1;
  block.deadline_s = 60;
  for (int i = 0; i < 3; ++i) {
    auto image = std::make_shared<rig::RigImage>();
    image->channels = 1;
    image->height = image->width = 4;
    image->pixels.assign(16, 0.25f * static_cast<float>(i));
    block.stimuli.push_back({"sock-g" + std::to_string(number - 1) + "-" + std::to_string(i),
                             rig::StimulusKind::synthetic, image});
  }
  return block;
}

/// Polls until an event of type E comes (at most 3 s); the events before it are kept.
template <class E, class T>
std::optional<E> poll_for(T& transport, rig::SteadyClock& clock,
                          std::vector<rig::RigEvent>* seen = nullptr) {
  const rig::RigTime until = clock.now() + rig::seconds(3.0);
  while (clock.now() < until) {
    for (rig::RigEvent& event : transport.poll(clock.now() + rig::seconds(0.2))) {
      if (auto* e = std::get_if<E>(&event)) return *e;
      if (seen) seen->push_back(event);
    }
  }
  return std::nullopt;
}

int port_of(const std::string& endpoint) {
  return std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
}

}  // namespace

TEST_CASE("over TCP, a rig's messages become events and a BLOCK reaches it whole") {
  TempDir dir;
  rig::SteadyClock clock;
  rig::TcpLink link("127.0.0.1:0");
  rig::SocketTransport transport(link, clock,
                                 {.images = dir.path, .log = dir.path / "protocol.jsonl"});
  transport.open({"sock", {"ch0"}});
  const rig::RigBlock block = small_block(1);
  transport.submit(block);  // no rig yet: kept for the HELLO

  LineClient client(port_of(link.endpoint()));
  client.send(rig_message("HELLO", "",
                          {{"rig", "test"},
                           {"version", "1"},
                           {"instance", "a"},
                           {"state", "idle"},
                           {"blocks", json::array()}})
                  .dump());
  const auto up = poll_for<rig::PeerUp>(transport, clock);
  REQUIRE(up.has_value());
  CHECK(up->name == "test (a)");
  const json welcome = client.next_of("WELCOME");
  CHECK(welcome["outstanding"] == 1);
  CHECK(welcome["session"] == "sock");
  CHECK(welcome["channels"] == json::array({"ch0"}));
  const json sent = client.next_of("BLOCK");
  CHECK(sent["block_id"] == 1);
  REQUIRE(sent["stimuli"].size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const json& s = sent["stimuli"][i];
    CHECK(s["stim_id"] == block.stimuli[i].id);
    const fs::path path = s["path"].get<std::string>();
    REQUIRE(fs::exists(path));
    CHECK(xdream::io::sha256_file(path) == s["sha256"]);
    const auto image = xdream::io::read_png(path);
    CHECK(image.height == 4);
    CHECK(image.pixels[0] == doctest::Approx(0.25 * static_cast<double>(i)).epsilon(0.01));
  }

  SUBCASE("ACK, PROGRESS and RESULT; the RESULT acknowledged on the next poll; again: duplicate") {
    client.send(rig_message("ACK", "sock",
                            {{"block_id", 1},
                             {"attempt", 1},
                             {"missing", json::array()},
                             {"bad_hash", {"sock-g0-2"}}})
                    .dump());
    const auto ack = poll_for<rig::Ack>(transport, clock);
    REQUIRE(ack.has_value());
    CHECK(ack->bad_hash == std::vector<std::string>{"sock-g0-2"});
    client.send(
        rig_message("PROGRESS", "sock",
                    {{"block_id", 1}, {"done", 2}, {"valid", 1}, {"aborted", 1}, {"paused", true}})
            .dump());
    const auto progress = poll_for<rig::Progress>(transport, clock);
    REQUIRE(progress.has_value());
    CHECK(progress->done == 2);
    CHECK(progress->paused);
    const json result = rig_message(
        "RESULT", "sock",
        {{"block_id", 1},
         {"attempt", 1},
         {"channels", {"ch0"}},
         {"responses",
          {{{"stim_id", "sock-g0-0"}, {"rep", 0}, {"values", {1.5}}},
           {{"stim_id", "block001_001_sock-g0-1.png"}, {"rep", 0}, {"values", {nullptr}}}}},
         {"final", true}});
    client.send(result.dump());
    const auto responses = poll_for<rig::Responses>(transport, clock);
    REQUIRE(responses.has_value());
    REQUIRE(responses->rows.size() == 2);
    CHECK(responses->rows[0].stim_id == "sock-g0-0");
    CHECK(responses->rows[0].values[0] == 1.5);
    CHECK(responses->rows[1].stim_id == "sock-g0-1");  // named by its file: matched
    CHECK(std::isnan(responses->rows[1].values[0]));
    CHECK(responses->final);
    transport.poll(clock.now());  // the objective had the responses: now acknowledged
    const json ack1 = client.next_of("RESULT_ACK");
    CHECK(ack1["ack_seq"] == result["seq"]);
    CHECK(ack1["accepted"] == 2);
    client.send(result.dump());  // sent again (the rig did not see the ack)
    REQUIRE(poll_for<rig::Responses>(transport, clock).has_value());
    transport.retire(1);
    const json ack2 = client.next_of("RESULT_ACK");
    CHECK(ack2["accepted"] == 0);
    CHECK(ack2["duplicate"] == 2);
    CHECK(client.next_of("CANCEL")["block_id"] == 1);
  }

  SUBCASE("numbered parts: a final part that overtook an earlier one does not end the block") {
    const auto part = [&](int number, bool final, const char* id) {
      json body{
          {"block_id", 1},       {"attempt", 1},
          {"channels", {"ch0"}}, {"responses", {{{"stim_id", id}, {"rep", 0}, {"values", {1.0}}}}},
          {"final", final},      {"part", number}};
      if (final) body["parts"] = 2;
      client.send(rig_message("RESULT", "sock", body).dump());
      const auto r = poll_for<rig::Responses>(transport, clock);
      REQUIRE(r.has_value());
      return r->final;
    };
    CHECK_FALSE(part(1, true, "sock-g0-1"));  // part 0 was lost with a connection
    CHECK(part(0, false, "sock-g0-0"));       // sent again: now the block is whole
    client.send(rig_message("RESULT", "sock",
                            {{"block_id", 1},
                             {"responses", json::array()},
                             {"part", 2},
                             {"parts", 2},
                             {"final", true}})
                    .dump());
    REQUIRE(poll_for<rig::Fault>(transport, clock).has_value());  // part 2 of 2: refused
    CHECK(client.next_of("ERROR")["code"] == "bad_message");
  }

  SUBCASE("a PING is answered; a message that breaks the protocol is refused with ERROR") {
    const json ping = rig_message("PING", "sock");
    client.send(ping.dump());
    transport.poll(clock.now() + rig::seconds(0.3));
    CHECK(client.next_of("PONG")["ping_seq"] == ping["seq"]);
    client.send("{not json");
    const auto fault = poll_for<rig::Fault>(transport, clock);
    REQUIRE(fault.has_value());
    CHECK(fault->kind == "protocol");
    CHECK(client.next_of("ERROR")["code"] == "bad_message");
    client.send(rig_message("PING", "sock", {{"v", 2}}).dump());
    REQUIRE(poll_for<rig::Fault>(transport, clock).has_value());
    CHECK(client.next_of("ERROR")["code"] == "version");
    client.send(rig_message("BLOCK", "sock").dump());  // not a rig's message
    REQUIRE(poll_for<rig::Fault>(transport, clock).has_value());
    CHECK(client.next_of("ERROR")["code"] == "unknown_type");
    client.send(rig_message("PROGRESS", "sock", {{"block_id", 1}, {"done", "many"}}).dump());
    REQUIRE(poll_for<rig::Fault>(transport, clock).has_value());
    CHECK(client.next_of("ERROR")["code"] == "bad_message");
    client.send(
        rig_message("RESULT", "other", {{"block_id", 1}, {"responses", json::array()}}).dump());
    REQUIRE(poll_for<rig::Fault>(transport, clock).has_value());
    CHECK(client.next_of("ERROR")["code"] == "wrong_session");
    json unknown = rig_message(
        "RESULT", "sock",
        {{"block_id", 1}, {"responses", {{{"stim_id", "elsewhere-g0-0"}, {"values", {1.0}}}}}});
    client.send(unknown.dump());
    const auto refused = poll_for<rig::Fault>(transport, clock);
    REQUIRE(refused.has_value());
    CHECK(refused->message.find("name no stimulus") != std::string::npos);
  }

  SUBCASE("a closed connection is a lost rig; its new connection gets the block again") {
    client.close();
    const auto down = poll_for<rig::PeerDown>(transport, clock);
    REQUIRE(down.has_value());
    CHECK(down->reason.find("closed") != std::string::npos);
    LineClient again(port_of(link.endpoint()));
    again.send(rig_message("HELLO", "", {{"rig", "test"}, {"instance", "b"}}).dump());
    REQUIRE(poll_for<rig::PeerUp>(transport, clock).has_value());
    CHECK(again.next_of("BLOCK")["block_id"] == 1);
  }

  // Every message in and out was logged, each with the common fields.
  std::ifstream log(dir.path / "protocol.jsonl");
  int lines = 0;
  for (std::string line; std::getline(log, line); ++lines) {
    const json entry = json::parse(line);
    CHECK(entry["msg"]["v"] == 1);
    CHECK(entry["msg"].contains("t_wall"));
  }
  CHECK(lines >= 4);
}

TEST_CASE("a silent rig is lost after peer_lost_s; heartbeats go out meanwhile") {
  TempDir dir;
  rig::SteadyClock clock;
  rig::TcpLink link("127.0.0.1:0");
  rig::SocketTransport transport(link, clock,
                                 {.heartbeat_s = 0.05, .peer_lost_s = 0.4, .images = dir.path});
  transport.open({"sock", {}});
  LineClient client(port_of(link.endpoint()));
  client.send(rig_message("HELLO", "", {{"rig", "quiet"}}).dump());
  REQUIRE(poll_for<rig::PeerUp>(transport, clock).has_value());
  const auto down = poll_for<rig::PeerDown>(transport, clock);
  REQUIRE(down.has_value());
  CHECK(down->reason.find("no word") != std::string::npos);
  client.next_of("WELCOME");
  CHECK(client.next_of("PING")["type"] == "PING");
  // It speaks again: taken up, welcomed again.
  client.send(rig_message("PING", "sock").dump());
  REQUIRE(poll_for<rig::PeerUp>(transport, clock).has_value());
  CHECK(client.next_of("WELCOME")["session"] == "sock");
}

TEST_CASE("bad settings and addresses are refused") {
  rig::SteadyClock clock;
  CHECK_THROWS_AS(rig::TcpLink("no-port"), std::invalid_argument);
  CHECK_THROWS_AS(rig::TcpLink("127.0.0.1:99999"), std::invalid_argument);
  rig::TcpLink link("127.0.0.1:0");
  CHECK_THROWS_AS(rig::SocketTransport(link, clock, {.images = "/no/such/dir"}),
                  std::invalid_argument);
  CHECK_THROWS_AS(rig::SocketTransport(link, clock, {.inline_images = true}),
                  std::invalid_argument);  // TCP sends paths
  CHECK_THROWS_AS(
      rig::SocketTransport(link, clock, {.heartbeat_s = 5, .peer_lost_s = 2, .images = "/tmp"}),
      std::invalid_argument);
}

#ifdef XDREAM_HAVE_ZMQ
TEST_CASE("over ZeroMQ, PNG frames travel inline and a restarted rig gets the block again") {
  rig::SteadyClock clock;
  rig::ZmqLink link("tcp://127.0.0.1:*");
  rig::SocketTransport transport(link, clock, {.inline_images = true});
  transport.open({"sock", {}});
  const rig::RigBlock block = small_block(4);
  transport.submit(block);

  zmq::context_t context;
  const auto hello_and_block = [&](zmq::socket_t& dealer, const std::string& instance) {
    dealer.set(zmq::sockopt::linger, 0);
    dealer.connect(link.endpoint());
    dealer.send(
        zmq::buffer(rig_message("HELLO", "", {{"rig", "zrig"}, {"instance", instance}}).dump()));
    REQUIRE(poll_for<rig::PeerUp>(transport, clock).has_value());
    for (int i = 0; i < 10; ++i) {
      std::vector<zmq::message_t> parts;
      dealer.set(zmq::sockopt::rcvtimeo, 2000);
      REQUIRE(zmq::recv_multipart(dealer, std::back_inserter(parts)).has_value());
      const json m = json::parse(parts[0].to_string());
      if (m["type"] != "BLOCK") continue;
      REQUIRE(parts.size() == 4);  // the JSON, then 3 PNGs
      for (std::size_t s = 0; s < 3; ++s) {
        const json& stimulus = m["stimuli"][s];
        const int frame = stimulus["frame"].get<int>();
        const auto* bytes = static_cast<const std::byte*>(parts[frame].data());
        const std::span<const std::byte> png(bytes, parts[frame].size());
        CHECK(xdream::io::sha256(png) == stimulus["sha256"]);
        CHECK(xdream::io::decode_png(png).width == 4);
      }
      return m;
    }
    FAIL("no BLOCK");
    return json{};
  };
  zmq::socket_t first(context, zmq::socket_type::dealer);
  CHECK(hello_and_block(first, "one")["block_id"] == 4);
  first.close();  // the rig crashed; its restart is a new identity
  zmq::socket_t second(context, zmq::socket_type::dealer);
  CHECK(hello_and_block(second, "two")["block_id"] == 4);
  second.send(zmq::buffer(
      rig_message("RESULT", "sock",
                  {{"block_id", 4},
                   {"responses", {{{"stim_id", "sock-g3-1"}, {"rep", 0}, {"values", {7.0}}}}},
                   {"final", false}})
          .dump()));
  const auto responses = poll_for<rig::Responses>(transport, clock);
  REQUIRE(responses.has_value());
  CHECK(responses->rows.at(0).stim_id == "sock-g3-1");
  CHECK_FALSE(responses->final);
}
#endif
