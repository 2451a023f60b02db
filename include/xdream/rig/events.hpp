#pragma once
/// @file
/// What a transport reports from the rig while a block runs.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace xdream::rig {

/// The rig has the block (socket transports; the file transport has no acknowledgement).
struct Ack {
  std::uint32_t block = 0;
  std::vector<std::string> missing;   ///< stimuli it could not get
  std::vector<std::string> bad_hash;  ///< stimuli whose image did not match its sha256
};

/// The rig works on the block: only this extends a block's deadline.
struct Progress {
  std::uint32_t block = 0;
  int done = 0;   ///< presentations done
  int valid = 0;  ///< of which with a response
  bool paused = false;
};

/// Responses to a block: one row per presentation, one value per channel.
struct Responses {
  struct Row {
    std::string stim_id;  ///< matched by the transport; "" = it names no stimulus of the block
    std::string shown;    ///< as the rig named it
    int rep = 0;
    std::vector<double> values;  ///< one per channel; NaN = no response
  };
  std::uint32_t block = 0;
  std::vector<std::string> channels;
  std::vector<Row> rows;
  bool final = true;        ///< the block is complete (a file is always final)
  std::string source;       ///< the file or message it came from
  bool transposed = false;  ///< a .mat matrix in the other orientation (accepted, warned)
};

/// The rig connected (again). `name` identifies it; a restart brings a new one.
struct PeerUp {
  std::string name;
};
/// The rig is gone (no heartbeat for too long, or it said goodbye).
struct PeerDown {
  std::string reason;
};

/// Something went wrong on the way (a damaged file quarantined, a stale file, a message that
/// does not parse): journaled, never fatal.
struct Fault {
  std::string kind;  ///< e.g. "quarantined", "stale", "parse_retry", "unknown_ids"
  std::string message;
  std::string source;
};

using RigEvent = std::variant<Ack, Progress, Responses, PeerUp, PeerDown, Fault>;

}  // namespace xdream::rig
