#pragma once
// The simulated session, without files or time: which presentations a block makes (trials,
// fixation breaks), the spike counts of every channel, and the rows a response file lists. Every
// random number comes from a stream keyed by (seed, block, stimulus id, rep, use), so a block's
// responses depend on nothing else: not on timing, threads, or a restart of the rig.

#include "exchange.hpp"
#include "options.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xdream_fakerig {

/// A presentation: an image of the manifest (its position), its repetition, its trial.
struct Presentation {
  std::size_t stimulus = 0;
  int rep = 0;
  std::size_t trial = 0;
};

/// A block as the simulated animal saw it.
struct BlockResult {
  std::vector<Presentation> rows;  ///< in presentation order: rep 0 of every image, rep 1 ...
  std::vector<double>
      trial_end_s;         ///< simulated seconds from the block's start to each trial's end
  Eigen::MatrixXd values;  ///< rows x channels, rates in Hz (NaN = no response)
  std::vector<std::string> faults;  ///< per row: the faults that changed it ("" = none)
  std::size_t valid = 0;            ///< rows with at least one response

  double duration_s() const { return trial_end_s.empty() ? 0.0 : trial_end_s.back(); }
};

/// Simulates block `manifest` for a neuron whose clean activations are `activation` (one per
/// image), with `reference_max` the activation that elicits --spikes spikes. `never_score_id`:
/// an image that never gets a response ("" = none).
BlockResult simulate_block(const RigOptions& options, const Manifest& manifest,
                           const std::vector<double>& activation, double reference_max,
                           const std::string& never_score_id);

/// The rows of one response file.
struct FileRows {
  std::vector<std::string> names;     ///< what the file calls each image
  std::vector<std::string> stim_ids;  ///< the stimulus id each name stands for
  std::vector<int> reps;              ///< the rep each row is (as the file implies it)
  Eigen::MatrixXd values;             ///< rows x channels
  std::vector<std::string> faults;    ///< per row
};

/// The rows block `manifest`'s response file lists: named as --names says (the stimulus id for
/// .json), with the faults that change rows applied (unknown ids, reordering, the nan and inf
/// schema faults, and a conflicting duplicate's extra spike when `conflict`).
FileRows compose_file(const RigOptions& options, const std::filesystem::path& dir,
                      const Manifest& manifest, const BlockResult& result, bool conflict);

/// The rows of a stale response file of another session (40 images, noise on every channel).
FileRows stale_rows(const RigOptions& options, const std::filesystem::path& dir,
                    std::string* session);

/// 64-bit FNV-1a of a stimulus id: its coordinate in the random streams.
std::uint64_t id_hash(std::string_view id);

}  // namespace xdream_fakerig
