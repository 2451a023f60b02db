#pragma once
/// @file
/// The RigTransport concept: how a rig objective reaches the presentation computer.

#include <xdream/rig/block.hpp>
#include <xdream/rig/clock.hpp>
#include <xdream/rig/events.hpp>

#include <concepts>
#include <string>
#include <vector>

namespace xdream::rig {

/// A session as a transport needs it.
struct RigSession {
  std::string tag;  ///< 8 hex digits, in every stimulus id
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
