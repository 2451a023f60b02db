#pragma once
// The callbacks xdream-evolve adds to the library's loop beside the record's: the time in the
// forward passes, a guard against a unit that answers nothing, and the test hooks that kill the
// process at chosen points (tests/apps/evolve: resume after a kill equals an uninterrupted run).

#include <xdream/callbacks/checkpointer.hpp>
#include <xdream/driver.hpp>
#include <xdream/torch/module.hpp>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace xdream_evolve {

/// Test hook (tests/apps/evolve): XDREAM_EVOLVE_KILL_AT="G:POINT" kills the process with SIGKILL
/// at POINT (evaluated | image | checkpointed | final) of generation G, to test resume at each.
inline void kill_point(std::uint32_t generation, const char* point) {
  static const char* spec = std::getenv("XDREAM_EVOLVE_KILL_AT");
  if (spec != nullptr && std::string(spec) == std::to_string(generation) + ":" + point) {
    std::raise(SIGKILL);
  }
}
/// The kill point after a generation was scored (placed before the image writer) or after its
/// image (placed after it).
struct KillAfterGeneration {
  const char* point;
  void on_generation(const xdream::GenerationReport& report) const {
    kill_point(report.stats.generation, point);
  }
};
/// The kill point after a checkpoint.
struct KillAfterCheckpoint {
  const xdream::callbacks::Checkpointer* checkpointer;
  void on_tell(const xdream::TellReport& report) const {
    if (checkpointer->due(report)) kill_point(report.stats.generation, "checkpointed");
  }
};

/// Time in the forward passes (generate + evaluate, as the driver measured them).
struct ForwardTime {
  double seconds = 0.0;
  void on_tell(const xdream::TellReport& report) {
    seconds += report.timings.generate + report.timings.evaluate;
  }
};

/// Stops the run when a whole generation scored NaN: an in-silico unit that answers nothing is
/// a broken model (or preprocessing), not a fixation break, and the run would go on blind.
struct SilentUnitGuard {
  const std::string* network;
  void on_generation(const xdream::GenerationReport& report) const {
    if (report.stats.missing == report.scores.size()) {
      throw xdream::ModelError(
          "xdream: network file '" + *network + "' gave NaN for every image of generation " +
          std::to_string(report.stats.generation) + "; check the model and --mean/--std");
    }
  }
};
}  // namespace xdream_evolve
