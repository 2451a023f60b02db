#pragma once
/// @file
/// The clean stops of a rig session: only these end a run before its budget (every other fault
/// becomes NaN and a journal entry).

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

}  // namespace xdream::rig
