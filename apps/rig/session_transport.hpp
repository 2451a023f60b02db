#pragma once
// The transport a session runs over, chosen on the command line: the file exchange, or the
// socket protocol over ZeroMQ or plain TCP. One type for the objective, whichever it is.

#include "rig_config.hpp"

#include <xdream/rig/file_transport.hpp>
#include <xdream/rig/socket_transport.hpp>
#include <xdream/rig/tcp_link.hpp>
#include <xdream/rig/zmq_link.hpp>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace xdream_rig {

class SessionTransport {
 public:
  using Clock = xdream::rig::SteadyClock;
  using File = xdream::rig::FileTransport<Clock>;
  using Zmq = xdream::rig::SocketTransport<xdream::rig::ZmqLink, Clock>;
  using Tcp = xdream::rig::SocketTransport<xdream::rig::TcpLink, Clock>;

  /// Binds the socket (or locks nothing yet: the file exchange locks on open); throws
  /// std::invalid_argument naming the option when it cannot.
  SessionTransport(const RigConfig& c, Clock& clock) {
    const xdream::rig::SocketTransportOptions socket{.inline_images = c.inline_images,
                                                     .images = c.dir};
    switch (c.transport) {
      case TransportKind::file:
        transport_ = std::make_unique<File>(c.dir, clock,
                                            xdream::rig::FileTransportOptions{.poll_s = c.poll_s});
        description_ = "exchange " + c.dir;
        break;
      case TransportKind::zmq: {
        zmq_ = listen<xdream::rig::ZmqLink>(c);
        transport_ = std::make_unique<Zmq>(*zmq_, clock, socket);
        description_ = "ZeroMQ " + zmq_->endpoint() +
                       (c.inline_images ? ", images inline" : ", images in " + c.dir);
        break;
      }
      case TransportKind::tcp:
        tcp_ = listen<xdream::rig::TcpLink>(c);
        transport_ = std::make_unique<Tcp>(*tcp_, clock, socket);
        description_ = "TCP " + tcp_->endpoint() + ", images in " + c.dir;
        break;
    }
  }

  /// Where a socket transport listens by default: loopback (another address must be named).
  static std::string endpoint(const RigConfig& c) {
    if (!c.listen.empty()) return c.listen;
    return c.transport == TransportKind::zmq ? "tcp://127.0.0.1:5555" : "127.0.0.1:5556";
  }

  /// The link listening where --listen says; its refusal names the option.
  template <class Link>
  static std::unique_ptr<Link> listen(const RigConfig& c) {
    try {
      return std::make_unique<Link>(endpoint(c));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("option --listen = " + endpoint(c) + ": " + e.what());
    }
  }

  /// The run's record of what arrived: response files (file), or every message (sockets).
  void set_record(const std::filesystem::path& rig_dir) {
    std::visit(
        [&](auto& t) {
          if constexpr (std::is_same_v<std::decay_t<decltype(*t)>, File>) {
            t->set_archive(rig_dir / "raw");
          } else {
            t->set_log(rig_dir / "protocol.jsonl");
          }
        },
        transport_);
  }

  const std::string& description() const noexcept { return description_; }
  bool is_file() const noexcept {
    return std::holds_alternative<std::unique_ptr<File>>(transport_);
  }

  void open(const xdream::rig::RigSession& session) {
    std::visit([&](auto& t) { t->open(session); }, transport_);
  }
  void submit(const xdream::rig::RigBlock& block) {
    std::visit([&](auto& t) { t->submit(block); }, transport_);
  }
  std::vector<xdream::rig::RigEvent> poll(xdream::rig::RigTime deadline) {
    return std::visit([&](auto& t) { return t->poll(deadline); }, transport_);
  }
  void retire(std::uint32_t block) {
    std::visit([&](auto& t) { t->retire(block); }, transport_);
  }
  void finish() {
    std::visit([&](auto& t) { t->finish(); }, transport_);
  }
  void close() {
    std::visit([&](auto& t) { t->close(); }, transport_);
  }

 private:
  // The links outlive the transports that use them (declared first, destroyed last).
  std::unique_ptr<xdream::rig::ZmqLink> zmq_;
  std::unique_ptr<xdream::rig::TcpLink> tcp_;
  std::variant<std::unique_ptr<File>, std::unique_ptr<Zmq>, std::unique_ptr<Tcp>> transport_;
  std::string description_;
};

}  // namespace xdream_rig
