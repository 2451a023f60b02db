#pragma once
// The simulated rig over a socket (docs/rig-protocol.md): it connects to xdream-rig (a ZeroMQ
// DEALER, or TCP with one JSON object per line), says HELLO, and shows each BLOCK to the same
// simulated neuron and animal as the file rig, streaming PROGRESS and RESULT; with the faults
// that belong to sockets (crash and restart, hang, partition, reordering, duplicates, a clock
// offset).

#include "options.hpp"

namespace xdream_fakerig {

/// Runs until xdream says BYE, --max-blocks blocks are shown and acknowledged, --idle-timeout-s
/// passes without a block, or SIGTERM/SIGINT. Returns the exit code.
int run_socket_rig(const RigOptions& options, int argc, char** argv);

}  // namespace xdream_fakerig
