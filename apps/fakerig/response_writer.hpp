#pragma once
// How the simulated rig (xdream-fakerig) and the tests' fixtures write response files, the way
// a real rig does: MATLAB v7.3 .mat through matio (as MATLAB writes them), .h5 through HDF5's C
// library, .json as text. Each can be damaged on purpose (the fault options of xdream-fakerig).

#include <Eigen/Core>

#include <filesystem>
#include <string>
#include <vector>

namespace xdream_fakerig {

/// What goes into a response file.
struct ResponseContent {
  std::vector<std::string> names;     ///< per presentation: the name the rig gives the image
  std::vector<std::string> channels;  ///< channel labels
  Eigen::MatrixXd values;             ///< presentations x channels (NaN = no response)
  std::vector<int> reps;              ///< per presentation (.json only; .mat/.h5 imply them)
  std::string session;                ///< .json only
  long long block = 0, attempt = 1;   ///< .json only
  bool final = true;                  ///< .json only
};

/// Ways to damage a .mat file, for the fault options.
enum class MatFault {
  none,
  missing_variable,  ///< no tEvokedResp
  row_cell,          ///< stimulusID as a 1 x N cell (valid: MATLAB's other orientation)
  transposed,        ///< tEvokedResp as N x C in MATLAB's view (accepted with a warning)
  wrong_channels,    ///< one channel more than the labels
  h5py_strings,      ///< stimulusID written as h5py writes strings (null-padded, not MATLAB's)
};

/// Writes `content` as MATLAB v7.3 through matio: stimulusID (cell of char, N x 1 unless
/// row_cell), tEvokedResp (channels x N in MATLAB's view), channelLabels (cell of char). The
/// file is written to `file` directly (in place, as MATLAB's save does). Throws
/// std::runtime_error naming the file.
void write_mat(const std::filesystem::path& file, const ResponseContent& content,
               MatFault fault = MatFault::none);

/// Writes `content` as .h5: scores (n x C double), stim_ids (strings), channels (strings).
void write_h5(const std::filesystem::path& file, const ResponseContent& content);

/// Writes `content` as the RESULT message (docs/rig-protocol.md) in .json.
void write_json(const std::filesystem::path& file, const ResponseContent& content);

}  // namespace xdream_fakerig
