#pragma once
// xdream-fakerig's settings: every option of its command line, checked before anything runs.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xdream_fakerig {

/// The response file's format (docs/rig-files.md: What the rig writes).
enum class Format { mat, h5, json };
/// How the rig names each image in its response file: the PNG's file name, a full Windows path
/// of the shared folder (as a MonkeyLogic rig does), or the stimulus id.
enum class Names { file, path, id };
/// The damage a schema fault does to one block's response file.
enum class SchemaFault {
  none,
  missing_variable,  ///< .mat without tEvokedResp
  row_cell,          ///< stimulusID as a 1 x N cell (MATLAB's other orientation; valid)
  transposed,        ///< tEvokedResp as N x channels (accepted with a warning)
  nan,               ///< every response NaN
  inf,               ///< the first presentation's responses +Inf
  wrong_channels,    ///< one channel more than the labels
  h5py_strings,      ///< stimulusID stored as h5py writes strings (valid, unlike MATLAB)
};

/// What a crashed process hands to the process it re-executes (an internal option): what it
/// had measured or decided, so that the restarted rig answers exactly as the first would have.
struct CarriedState {
  bool restarted = false;               ///< this process is the restart after the crash fault
  bool stale_pending = false;           ///< the stale file was written and may still be there
  std::optional<double> reference_max;  ///< the network's measured reference maximum
  std::string never_score_id;           ///< the image that is never scored, once chosen
  std::uint64_t blocks_shown = 0;       ///< blocks shown before the crash (for --max-blocks)
};

/// The socket a rig connects with (docs/rig-protocol.md).
enum class SocketKind { zmq, tcp };

struct RigOptions {
  // The exchange: a directory, or a socket.
  std::string dir;
  std::string connect;  ///< where xdream-rig listens ("" = the file exchange in --dir)
  SocketKind socket = SocketKind::zmq;
  Format format = Format::mat;
  Names names = Names::file;
  bool in_place = false;
  double speed = 1.0;
  std::uint64_t max_blocks = 0;  ///< 0 = until current_block.json says done
  double idle_timeout_s = 0.0;   ///< 0 = wait for blocks forever
  double take_wait_s = 30.0;     ///< how long to wait for xdream to take a file away
  std::uint64_t seed = 0;
  std::string log;
  bool quiet = false;

  // The neuron.
  bool synthetic = false;
  std::string network;
  std::string tap = "fc8";
  std::int64_t unit = 0, y = -1, x = -1;
  std::string device = "cpu";
  int threads = 1;
  double spikes = 20.0;
  double reference_max = 0.0;  ///< 0 = 1 (synthetic) or measured on the first block (network)
  double window_ms = 150.0;
  int channels = 1;
  std::vector<std::string> labels;
  int correlated = 0;
  double noise_rate_hz = 20.0;

  // The behaviour model.
  int images_per_trial = 4;
  double on_ms = 100.0, off_ms = 150.0, iti_ms = 500.0;
  double fixation_break = 0.0;

  // Faults (block numbers: 0 = off).
  std::int64_t lost_block = 0;
  std::int64_t never_score_index = -1;
  std::int64_t never_score_block = 1;
  std::string never_score_id;
  double latency_s = 0.0;
  std::int64_t latency_block = 0;  ///< 0 = every block
  std::int64_t pause_block = 0;
  double pause_s = 0.0;
  std::int64_t hang_block = 0;
  std::int64_t partial_block = 0;
  double partial_gap_s = 1.0;
  std::int64_t truncate_block = 0;
  double truncate_fix_s = 2.0;
  SchemaFault schema_fault = SchemaFault::none;
  std::int64_t schema_block = 0;
  double unknown_ids = 0.0;
  std::int64_t unknown_ids_block = 0;  ///< 0 = every block
  bool stale_file = false;
  std::int64_t duplicate_block = 0;
  bool duplicate_conflict = false;
  double duplicate_delay_s = 1.0;
  std::int64_t crash_block = 0;
  double crash_restart_s = 0.5;
  std::int64_t dropout_channel = -1;
  std::int64_t dropout_block = 0;
  std::int64_t unit_loss_block = 0;
  bool reorder = false;
  // Faults of the sockets (the crash and hang faults above apply too).
  double hang_s = 15.0;              ///< how long a socket rig hangs (silent, deaf)
  std::int64_t partition_block = 0;  ///< the connection is cut halfway through block B ...
  double partition_s = 0.0;          ///< ... for this long, then made again
  bool result_before_ack = false;    ///< every RESULT goes out before the block's ACK
  double clock_offset_s = 0.0;       ///< the rig's clocks (t_wall, t_mono_ns) are off by this

  CarriedState carried;
};

/// The spelling of a schema fault on the command line and in the log (e.g. "row-cell").
std::string name_of(SchemaFault fault);
/// The file extension of a format, without the dot.
std::string extension_of(Format format);

/// Parses and checks the command line into `options`. Returns an exit code when the program
/// should stop now: 0 after --help, 2 after a bad command line (one line on stderr).
std::optional<int> parse_command_line(int argc, char** argv, RigOptions& options,
                                      const std::string& models_dir);

/// The internal option's value for the restarted process.
std::string encode_carried_state(const CarriedState& state);

/// The crash fault's restart: executes this program again with the same command line and
/// `state` as its internal option. Throws std::runtime_error when it cannot.
[[noreturn]] void restart_with(const CarriedState& state, int argc, char** argv);

}  // namespace xdream_fakerig
