#pragma once
/// @file
/// What a rig objective tells the program as a session goes: typed journal entries. The
/// library never prints or writes files; a program's observer writes each entry to its journal
/// (and fsyncs it) before the session goes on, and prints the operator's lines.

#include <xdream/rig/block.hpp>

#include <concepts>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace xdream::rig {

enum class EntryKind {
  block_submitted,   ///< a block is about to be sent (`block` points to it): record it first
  block_reattached,  ///< a block sent before a crash is taken up again
  ack,
  progress,
  responses,        ///< responses accepted into the session (`responses`)
  rejected,         ///< responses not counted: duplicate, conflict, late, unknown (`reason`)
  block_closed,     ///< `reason`: complete | timeout; `valid` / `total` stimuli with a response
  reshow,           ///< the next block shows again what is missing
  reissue,          ///< the generation is shown again: too few responses
  generation_done,  ///< scores handed to the optimizer (`scores` per synthetic stimulus)
  waiting,          ///< the soft deadline passed: the operator is told why the block waits
  alarm,            ///< reference drift, a dead channel, a changed channel set
  peer_up,
  peer_down,
  fault,  ///< `reason`: a transport's fault (quarantined file, parse retry, ...)
};

inline const char* to_string(EntryKind kind) noexcept {
  switch (kind) {
    case EntryKind::block_submitted:
      return "BLOCK_SUBMITTED";
    case EntryKind::block_reattached:
      return "BLOCK_REATTACHED";
    case EntryKind::ack:
      return "ACK";
    case EntryKind::progress:
      return "PROGRESS";
    case EntryKind::responses:
      return "RESULT_RECEIVED";
    case EntryKind::rejected:
      return "REJECTED";
    case EntryKind::block_closed:
      return "BLOCK_CLOSED";
    case EntryKind::reshow:
      return "RESHOW";
    case EntryKind::reissue:
      return "REISSUE";
    case EntryKind::generation_done:
      return "OPTIMIZER_TOLD";
    case EntryKind::waiting:
      return "WAITING";
    case EntryKind::alarm:
      return "ALARM";
    case EntryKind::peer_up:
      return "PEER_UP";
    case EntryKind::peer_down:
      return "PEER_DOWN";
    case EntryKind::fault:
      return "FAULT";
  }
  return "?";
}

/// One accepted (or rejected) response, with where it came from.
struct JournalResponse {
  std::string stim_id;
  StimulusKind kind = StimulusKind::synthetic;
  int rep = 0;
  std::string channel;
  double value = 0.0;
};

/// One journal entry. Fields a kind does not use stay empty.
struct JournalEntry {
  EntryKind kind = EntryKind::fault;
  double t = 0.0;  ///< seconds on the session's clock
  std::uint32_t block = 0;
  std::uint32_t generation = 0;
  std::uint32_t attempt = 0;
  const RigBlock* submitted = nullptr;  ///< block_submitted / block_reattached
  std::vector<JournalResponse> responses{};
  std::vector<std::string> channels{};
  std::string reason{};  ///< why: a close, a rejection, a fault, an alarm, what a block waits for
  std::string source{};  ///< the file or message
  int valid = 0, total = 0;  ///< block_closed, generation_done: stimuli with a response
  int done = 0;              ///< progress: presentations done
  bool paused = false;
  double seconds = 0.0;         ///< block_closed: how long the block ran
  double reference_mean = 0.0;  ///< block_closed: the reference images' mean score (NaN: none)
  /// block_closed, alarm: the reference images' responses over their own first blocks'
  /// (NaN: not known yet)
  double reference_drift = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> scores{};  ///< generation_done
  /// generation_done, reissue: the optimizer's name in a session of several (else empty)
  std::string thread{};
};

/// Receives the journal: `record(entry)` must have made the entry durable (written, synced)
/// when it returns; an exception thrown from it (a full disk) stops the session.
template <class T>
concept RigObserver = requires(T& t, const JournalEntry& entry) {
  t.record(entry);
};

/// An observer that keeps nothing (tests that need no journal).
struct NullObserver {
  void record(const JournalEntry&) {}
};

}  // namespace xdream::rig
