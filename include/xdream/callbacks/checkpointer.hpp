#pragma once
/// @file
/// A callback that checkpoints the run every few generations, and after the last one.

#include <xdream/detail/every_generations.hpp>
#include <xdream/io/checkpoint.hpp>
#include <xdream/result.hpp>

#include <cstdint>
#include <filesystem>
#include <utility>

namespace xdream::callbacks {

/// Saves the optimizer (io::save_checkpoint: the driver's state, the algorithm's, a noise
/// model's) to `path` after every `every`-th generation and after the run's last one, in the
/// `on_tell` hook, where the driver's and the algorithm's states agree. A run killed at any
/// moment resumes from the last checkpoint (io::load_checkpoint, then `run_until`) and repeats
/// at most `every - 1` generations, with the same results.
///
/// @param path the checkpoint file (written atomically: a crash leaves the old one or the new).
/// @param every generations between checkpoints; default 1; range [1, inf).
class Checkpointer {
 public:
  explicit Checkpointer(std::filesystem::path path, std::uint32_t every = 1)
      : path_(std::move(path)), schedule_("xdream::callbacks::Checkpointer", every) {}

  template <class Optimizer>
  void on_tell(const Optimizer& optimizer, const TellReport& report) {
    if (schedule_.due(report)) io::save_checkpoint(path_, optimizer);
  }

  /// Whether a checkpoint is taken after the generation of `report` (the one-based count of
  /// generations is a multiple of `every`, or it is the last).
  bool due(const TellReport& report) const noexcept { return schedule_.due(report); }

  const std::filesystem::path& path() const noexcept { return path_; }
  std::uint32_t every() const noexcept { return schedule_.every(); }

 private:
  std::filesystem::path path_;
  detail::EveryGenerations schedule_;
};

}  // namespace xdream::callbacks
