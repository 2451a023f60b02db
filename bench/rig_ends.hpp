#pragma once
// The rig's end of a socket in the benchmarks (the same process, no thread): a TCP client
// speaking JSON lines, or a ZeroMQ DEALER; the protocol's messages as a rig writes them.
#include <xdream/rig/block.hpp>

#include <nlohmann/json.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <chrono>
#include <cstdint>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace xdream_bench {
using json = nlohmann::json;

inline json rig_message(const char* type, const std::string& session, std::uint64_t& seq,
                        json body = json::object()) {
  json m{{"v", 1},       {"type", type},   {"session", session},
         {"seq", seq++}, {"t_mono_ns", 0}, {"t_wall", "2026-12-02T00:00:00.000Z"}};
  m.update(body);
  return m;
}

inline json result_of(const json& block, const std::string& session, std::uint64_t& seq) {
  json rows = json::array();
  for (const json& s : block["stimuli"])
    rows.push_back({{"stim_id", s["stim_id"]}, {"rep", 0}, {"values", {1.0}}});
  return rig_message("RESULT", session, seq,
                     {{"block_id", block["block_id"]},
                      {"attempt", block["attempt"]},
                      {"channels", {"unit"}},
                      {"responses", rows},
                      {"final", true}});
}

// The rig's end of each socket: send a message, wait for the next one of a type.
struct TcpRig {
  int fd = -1;
  std::string buffer;
  explicit TcpRig(const std::string& endpoint) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port =
        htons(static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1))));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("cannot connect");
    const int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  }
  ~TcpRig() { ::close(fd); }
  void send(const json& m) {
    const std::string line = m.dump() + "\n";
    if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<::ssize_t>(line.size()))
      throw std::runtime_error("send");
  }
  // The next message, if one comes within `ms`.
  std::optional<json> next(int ms) {
    for (;;) {
      if (const auto end = buffer.find('\n'); end != std::string::npos) {
        json m = json::parse(buffer.substr(0, end));
        buffer.erase(0, end + 1);
        return m;
      }
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, ms) <= 0) return std::nullopt;
      char chunk[65536];
      const ::ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return std::nullopt;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
  }
};

struct ZmqRig {
  zmq::context_t context;
  zmq::socket_t dealer{context, zmq::socket_type::dealer};
  explicit ZmqRig(const std::string& endpoint) {
    dealer.set(zmq::sockopt::linger, 0);
    dealer.connect(endpoint);
  }
  void send(const json& m) { dealer.send(zmq::buffer(m.dump())); }
  std::optional<json> next(int ms) {
    zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(ms)) == 0) return std::nullopt;
    std::vector<zmq::message_t> parts;
    (void)zmq::recv_multipart(dealer, std::back_inserter(parts));
    return json::parse(parts.at(0).to_string());
  }
};

template <class R>
inline json next_of(R& rig_end, const std::string& type) {
  for (int i = 0; i < 1000; ++i) {
    std::optional<json> m = rig_end.next(5000);
    if (!m) throw std::runtime_error("no " + type);
    if ((*m)["type"] == type) return *m;
  }
  throw std::runtime_error("no " + type);
}

}  // namespace xdream_bench
