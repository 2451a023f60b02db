#pragma once
/// @file
/// The Link concept: how the socket transport moves whole messages (one JSON text, optionally
/// followed by binary frames) to and from rigs, whatever the socket (ZeroMQ, TCP).

#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xdream::rig {

/// One message as a link delivers it: who sent it (a peer id of the link's own making, new for
/// each connection), its JSON text and its frames.
struct LinkMessage {
  std::string peer;
  std::string text;
  std::vector<std::vector<std::byte>> frames;
};

/// A link: `receive(timeout)` waits at most `timeout` for one message; `send(peer, text,
/// frames)` returns false when the peer is gone or cannot take it now (never blocks long);
/// `frames_supported()` says whether binary frames can follow a text; `endpoint()` is where
/// rigs connect (with the port chosen when 0 was asked); `dropped()` returns the peers whose
/// connection closed since the last call.
template <class L>
concept Link = requires(L& link, const std::string& peer, std::string_view text,
                        std::span<const std::vector<std::byte>> frames,
                        std::chrono::milliseconds timeout) {
  { link.receive(timeout) } -> std::same_as<std::optional<LinkMessage>>;
  { link.send(peer, text, frames) } -> std::same_as<bool>;
  { link.frames_supported() } -> std::convertible_to<bool>;
  { link.endpoint() } -> std::convertible_to<std::string>;
  { link.dropped() } -> std::same_as<std::vector<std::string>>;
};

}  // namespace xdream::rig
