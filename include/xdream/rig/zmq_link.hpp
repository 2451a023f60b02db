#pragma once
/// @file
/// A Link over ZeroMQ: xdream binds a ROUTER, the rig connects a DEALER (the side that
/// restarts; ZeroMQ reconnects it by itself). A message is one frame of JSON, optionally
/// followed by PNG frames. Link xdream::rig_zmq (Debian: libzmq3-dev, cppzmq-dev).

#include <xdream/rig/link.hpp>

#include <zmq.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace xdream::rig {

/// Binds `endpoint` (e.g. tcp://127.0.0.1:5555; port `*` or 0 picks a free one). The ROUTER
/// refuses to drop a message silently (ZMQ_ROUTER_MANDATORY: `send` says false), lets a
/// restarted rig with the same identity take over (ZMQ_ROUTER_HANDOVER), keeps nothing on close
/// (ZMQ_LINGER 0) and refuses messages over 256 MiB.
class ZmqLink {
 public:
  explicit ZmqLink(const std::string& endpoint)
      : context_(1), socket_(context_, zmq::socket_type::router) {
    socket_.set(zmq::sockopt::router_mandatory, 1);
    socket_.set(zmq::sockopt::router_handover, 1);
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::maxmsgsize, std::int64_t{256} << 20);
    socket_.set(zmq::sockopt::sndhwm, 1000);
    try {
      socket_.bind(endpoint);
    } catch (const zmq::error_t& e) {
      throw std::invalid_argument("xdream::rig::ZmqLink: cannot bind '" + endpoint +
                                  "': " + e.what());
    }
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  }

  std::string endpoint() const { return endpoint_; }
  bool frames_supported() const noexcept { return true; }

  std::optional<LinkMessage> receive(std::chrono::milliseconds timeout) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0) return std::nullopt;
    std::vector<zmq::message_t> parts;
    for (;;) {
      zmq::message_t part;
      if (!socket_.recv(part, zmq::recv_flags::dontwait)) break;
      const bool more = part.more();
      parts.push_back(std::move(part));
      if (!more) break;
    }
    if (parts.size() < 2) return std::nullopt;  // a DEALER always sends its identity and a text
    LinkMessage m;
    m.peer = to_hex(parts[0]);
    m.text = parts[1].to_string();
    for (std::size_t i = 2; i < parts.size(); ++i) {
      const auto* bytes = static_cast<const std::byte*>(parts[i].data());
      m.frames.emplace_back(bytes, bytes + parts[i].size());
    }
    return m;
  }

  bool send(const std::string& peer, std::string_view text,
            std::span<const std::vector<std::byte>> frames = {}) {
    const std::string identity = from_hex(peer);
    try {
      if (!socket_.send(zmq::buffer(identity),
                        zmq::send_flags::sndmore | zmq::send_flags::dontwait))
        return false;
      // Once the identity went, the rest of the message goes whole (ZeroMQ sends it atomically).
      socket_.send(zmq::buffer(text),
                   frames.empty() ? zmq::send_flags::none : zmq::send_flags::sndmore);
      for (std::size_t i = 0; i < frames.size(); ++i) {
        socket_.send(zmq::buffer(frames[i].data(), frames[i].size()),
                     i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
      }
      return true;
    } catch (const zmq::error_t&) {
      return false;  // EHOSTUNREACH: the rig is gone; it says HELLO when it is back
    }
  }

  /// A ROUTER does not see a DEALER go: a lost rig shows as silence (the heartbeat).
  std::vector<std::string> dropped() { return {}; }

 private:
  static std::string to_hex(const zmq::message_t& id) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    const auto* bytes = static_cast<const unsigned char*>(id.data());
    for (std::size_t i = 0; i < id.size(); ++i) {
      out.push_back(digits[bytes[i] >> 4]);
      out.push_back(digits[bytes[i] & 15]);
    }
    return out;
  }
  static std::string from_hex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
      out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return out;
  }

  zmq::context_t context_;
  zmq::socket_t socket_;
  std::string endpoint_;
};

}  // namespace xdream::rig
