#pragma once
/// @file
/// The response files a rig writes back (docs/rig-files.md): `blockNNN.mat` (MATLAB v7.3, read
/// through HDF5's C library), `blockNNN.h5` and `blockNNN.json`, each read into one
/// ResponseTable. Link xdream::rig (libhdf5, nlohmann-json).
///
/// The readers never trust a size: every dataset's shape is checked against the file and the
/// block before anything is allocated, and a file that is not what its name says is a
/// ResponseFileError naming the file, the variable and the shape, never a crash.

#include <Eigen/Core>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace xdream::rig {

/// A response file that cannot be read. `retryable()` says whether reading it again later may
/// succeed (a file still being written: truncated, or not yet a complete HDF5 file) or not (a
/// complete file of the wrong content: a missing variable, a wrong shape).
class ResponseFileError : public std::runtime_error {
 public:
  ResponseFileError(const std::filesystem::path& file, const std::string& what, bool retryable)
      : std::runtime_error("response file " + file.string() + ": " + what),
        retryable_(retryable) {}
  bool retryable() const noexcept { return retryable_; }

 private:
  bool retryable_;
};

/// One response file's content, as the rig wrote it.
struct ResponseTable {
  /// Per row (one presentation): the stimulus as the rig named it (a file name, a path, or a
  /// stimulus id), unmatched.
  std::vector<std::string> names;
  /// Per row: the repetition (0 for the first presentation of a name in this file, 1 for the
  /// second ...), or as the file says (.json).
  std::vector<int> reps;
  /// Channel labels, one per column; empty when the file names none.
  std::vector<std::string> channels;
  /// rows x channels; NaN = no response.
  Eigen::MatrixXd values;
  /// .mat only: the file had tEvokedResp as N x channels (MATLAB's view) and was transposed.
  bool transposed = false;
  /// .json only: what the RESULT says of itself.
  std::optional<std::string> session;
  std::optional<long long> block;
  std::optional<long long> attempt;
  bool final = true;
};

/// Reads `blockNNN.mat` (MATLAB v7.3): `stimulusID` (cell of char, N x 1 or 1 x N, strings
/// stored as MATLAB and matio write them, or as h5py's null-padded fixed-length strings),
/// `tEvokedResp` (double; HDF5 shape (N, C), or (C, N) when only that fits the N names: then
/// `transposed`), optional `channelLabels` (cell of char).
ResponseTable read_mat_responses(const std::filesystem::path& file);

/// Reads `blockNNN.h5`: `scores` (n x C), optional `stim_ids` (n strings) or `indices` (n
/// integers into `image_files`, the block's image file names sorted ascending; without either,
/// row i is image i), optional `channels` (C strings). Names are the file names or stim ids.
ResponseTable read_h5_responses(const std::filesystem::path& file,
                                const std::vector<std::string>& image_files);

/// Reads `blockNNN.json`: the RESULT message (docs/rig-protocol.md).
ResponseTable read_json_responses(const std::filesystem::path& file);

/// Reads whichever format `file`'s extension names (.mat, .h5, .json).
ResponseTable read_responses(const std::filesystem::path& file,
                             const std::vector<std::string>& image_files);

/// How a rig's name for an image is matched to a stimulus id: `strict` takes the last path
/// component (`/` or `\`) and needs it to be the image's file name or the id itself;
/// `loose` also strips the extension and the `blockNNN_MMM_` prefix.
enum class NameMatch { strict, loose };

/// The stimulus id that `shown` names, given the block's (file name, stim id) pairs; nothing
/// when it names none of them. Strict first, then loose.
std::optional<std::string> match_stimulus(std::string_view shown,
                                          const std::vector<std::string>& files,
                                          const std::vector<std::string>& stim_ids);

}  // namespace xdream::rig
