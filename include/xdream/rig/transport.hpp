#pragma once
/// @file
/// The RigTransport concept: how a rig objective reaches the presentation computer.

#include <xdream/rig/block.hpp>
#include <xdream/rig/clock.hpp>
#include <xdream/rig/events.hpp>

#include <algorithm>
#include <concepts>
#include <string>
#include <string_view>
#include <vector>

namespace xdream::rig {

/// A session tag names the session's stimuli and files on the shared exchange: 1 to 32 letters,
/// digits, `_` and `-`, not beginning with `ref` (a reference image's id is `ref-NAME`).
inline bool is_session_tag(std::string_view tag) {
  return !tag.empty() && tag.size() <= 32 && !tag.starts_with("ref") &&
         std::all_of(tag.begin(), tag.end(), [](char ch) {
           return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
         });
}

/// A session as a transport needs it.
struct RigSession {
  std::string tag;  ///< the session's tag, in every stimulus id (letters, digits, _ and -)
  std::vector<std::string> channels;  ///< the channel labels the session expects (may be empty)
};

/// A transport: `open(session)` once, `submit(block)` per block, `poll(deadline)` returns the
/// events that arrived, waiting at most until `deadline` (on the objective's clock) for the
/// first, and `close()` at the end. Optional: `retire(block_number)` when a block is closed
/// (the rig should stop showing it), `finish()` when the session ends normally.
template <class T>
concept RigTransport = requires(T& t, const RigSession& session, const RigBlock& block,
                                RigTime deadline) {
  t.open(session);
  t.submit(block);
  { t.poll(deadline) } -> std::convertible_to<std::vector<RigEvent>>;
  t.close();
};

}  // namespace xdream::rig
