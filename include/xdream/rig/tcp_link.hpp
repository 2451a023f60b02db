#pragma once
/// @file
/// A Link over plain TCP, one JSON object per line: what MATLAB's `tcpclient` speaks with no
/// compiled add-on. xdream listens; a rig connects, and connects again after a drop or a
/// restart (each connection is a new peer). POSIX sockets only.

#include <xdream/rig/link.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace xdream::rig {

/// Listens on `HOST:PORT` (PORT 0: any free port; `endpoint()` says which).
class TcpLink {
 public:
  /// The longest line taken (a RESULT of a large block is a few MiB); a longer one drops the
  /// connection.
  static constexpr std::size_t max_line = std::size_t{64} << 20;

  explicit TcpLink(const std::string& address) {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
      throw std::invalid_argument("xdream::rig::TcpLink: '" + address + "' is not HOST:PORT");
    }
    const std::string host = address.substr(0, colon), port = address.substr(colon + 1);
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) > 65535) {
      throw std::invalid_argument("xdream::rig::TcpLink: '" + address +
                                  "': the port is not a number in [0, 65535]");
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (const int status = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); status != 0) {
      throw std::invalid_argument("xdream::rig::TcpLink: '" + address +
                                  "': " + ::gai_strerror(status));
    }
    std::string why = "no address";
    for (addrinfo* a = found; a != nullptr && listener_ < 0; a = a->ai_next) {
      const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0) continue;
      const int yes = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 8) == 0) {
        listener_ = fd;
      } else {
        why = std::strerror(errno);
        ::close(fd);
      }
    }
    ::freeaddrinfo(found);
    if (listener_ < 0) {
      throw std::invalid_argument("xdream::rig::TcpLink: cannot listen on '" + address +
                                  "': " + why);
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &length);
    const int bound_port = bound.ss_family == AF_INET6
                               ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                               : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    endpoint_ = host + ":" + std::to_string(bound_port);
  }

  TcpLink(const TcpLink&) = delete;
  TcpLink& operator=(const TcpLink&) = delete;
  ~TcpLink() {
    for (auto& [peer, connection] : connections_) ::close(connection.fd);
    if (listener_ >= 0) ::close(listener_);
  }

  std::string endpoint() const { return endpoint_; }
  bool frames_supported() const noexcept { return false; }

  std::optional<LinkMessage> receive(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (!ready_.empty()) {
        LinkMessage m = std::move(ready_.front());
        ready_.pop_front();
        return m;
      }
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      std::vector<std::string> peers{""};
      for (const auto& [peer, connection] : connections_) {
        fds.push_back({connection.fd, POLLIN, 0});
        peers.push_back(peer);
      }
      const int n =
          ::poll(fds.data(), fds.size(), static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
      if (n < 0 && errno != EINTR) throw std::runtime_error("xdream::rig::TcpLink: poll failed");
      if (n > 0) {
        if (fds[0].revents & POLLIN) accept_all();
        for (std::size_t i = 1; i < fds.size(); ++i) {
          if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) read_from(peers[i]);
        }
      }
      if (ready_.empty() && std::chrono::steady_clock::now() >= until) return std::nullopt;
    }
  }

  bool send(const std::string& peer, std::string_view text,
            std::span<const std::vector<std::byte>> frames = {}) {
    const auto it = connections_.find(peer);
    if (it == connections_.end() || !frames.empty()) return false;
    std::string line(text);
    line.push_back('\n');
    std::size_t sent = 0;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (sent < line.size()) {
      const ::ssize_t n =
          ::send(it->second.fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
          std::chrono::steady_clock::now() < until) {
        pollfd fd{it->second.fd, POLLOUT, 0};
        ::poll(&fd, 1, 100);
        continue;
      }
      drop(peer);  // gone, or not reading for 2 s: a rig that comes back connects again
      return false;
    }
    return true;
  }

  std::vector<std::string> dropped() { return std::exchange(dropped_, {}); }

 private:
  struct Connection {
    int fd = -1;
    std::string buffer;
  };

  void accept_all() {
    for (;;) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) return;
      const int yes = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
      connections_["tcp-" + std::to_string(++accepted_)] = {fd, {}};
    }
  }

  void read_from(const std::string& peer) {
    Connection& c = connections_.at(peer);
    char chunk[65536];
    for (;;) {
      const ::ssize_t n = ::recv(c.fd, chunk, sizeof chunk, 0);
      if (n > 0) {
        c.buffer.append(chunk, static_cast<std::size_t>(n));
        if (c.buffer.size() > max_line && c.buffer.find('\n') == std::string::npos) {
          drop(peer);
          return;
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      const bool closed = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
      split_lines(peer, c);
      if (closed) drop(peer);
      return;
    }
  }

  void split_lines(const std::string& peer, Connection& c) {
    std::size_t start = 0;
    for (std::size_t end; (end = c.buffer.find('\n', start)) != std::string::npos;
         start = end + 1) {
      std::string line = c.buffer.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();  // MATLAB's writeline: CR LF
      if (!line.empty()) ready_.push_back({peer, std::move(line), {}});
    }
    c.buffer.erase(0, start);
  }

  void drop(const std::string& peer) {
    const auto it = connections_.find(peer);
    if (it == connections_.end()) return;
    ::close(it->second.fd);
    connections_.erase(it);
    dropped_.push_back(peer);
  }

  int listener_ = -1;
  std::string endpoint_;
  std::map<std::string, Connection> connections_;
  std::deque<LinkMessage> ready_;
  std::vector<std::string> dropped_;
  unsigned long long accepted_ = 0;
};

}  // namespace xdream::rig
