#pragma once
/// @file
/// The clean stops of a rig session: only these end a run before its budget (every other fault
/// becomes NaN and a journal entry).

#include <cerrno>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

namespace xdream::rig {

enum class StopReason {
  operator_abort,            ///< the operator asked (SIGINT, SIGTERM)
  reissue_budget_exhausted,  ///< too few responses after every re-issue of a generation
  disk_full,                 ///< a file could not be written: no space left
};

inline const char* to_string(StopReason reason) noexcept {
  switch (reason) {
    case StopReason::operator_abort:
      return "operator_abort";
    case StopReason::reissue_budget_exhausted:
      return "reissue_budget_exhausted";
    case StopReason::disk_full:
      return "disk_full";
  }
  return "?";
}

/// Thrown out of `RigObjective::evaluate` (so out of the driver's `run`) to end a session
/// cleanly: the generation in progress is not told to the optimizer, and the last checkpoint
/// and the journal hold everything up to it.
class RigStop : public std::runtime_error {
 public:
  RigStop(StopReason reason, const std::string& why)
      : std::runtime_error(std::string(to_string(reason)) + ": " + why), reason_(reason) {}
  StopReason reason() const noexcept { return reason_; }

 private:
  StopReason reason_;
};

/// Whether a write failed for want of space (the message of the writers' errors names it).
inline bool is_disk_full(const std::exception& e) {
  return std::string(e.what()).find(std::strerror(ENOSPC)) != std::string::npos;
}

/// Runs `write`; a failure for want of space ends the session cleanly (RigStop disk_full), any
/// other failure goes on as it was.
template <class F>
void stop_if_disk_full(F&& write) {
  try {
    write();
  } catch (const RigStop&) {
    throw;
  } catch (const std::exception& e) {
    if (is_disk_full(e)) throw RigStop(StopReason::disk_full, e.what());
    throw;
  }
}

}  // namespace xdream::rig
