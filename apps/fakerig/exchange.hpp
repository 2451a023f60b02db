#pragma once
// The rig's side of the file exchange (docs/rig-files.md): what it reads (current_block.json, the
// manifest, the images) and the small files it writes (progress), plus the waits of the loop,
// every one bounded and cut short by SIGTERM or SIGINT.

#include <xdream/io/png.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace xdream_fakerig {

/// current_block.json.
struct CurrentBlock {
  std::string session;
  std::int64_t block = 0;
  std::string manifest;
  std::string status;  ///< open | closed | done
};

/// One image of a block.
struct Stimulus {
  std::int64_t index = 0;
  std::string stim_id;
  std::string kind;  ///< synthetic | reference
  std::string file;
  std::string sha256;
  int width = 0, height = 0;
};

/// A block's manifest.
struct Manifest {
  std::string session;
  std::int64_t block = 0, generation = 0, attempt = 1;
  int reps = 1;
  double deadline_s = 0.0;
  std::vector<Stimulus> stimuli;  ///< in showing order (by index)
};

/// "block007", "block1234".
std::string block_name(std::int64_t block);

/// Reads current_block.json; std::nullopt when it is not there yet. Throws std::runtime_error
/// naming the file when it is not the protocol's (another protocol or version, a bad field).
std::optional<CurrentBlock> read_current_block(const std::filesystem::path& dir);

/// Reads and checks a manifest (image names must be plain file names in the directory).
Manifest read_manifest(const std::filesystem::path& dir, const CurrentBlock& current);

/// Reads the block's images, each checked against its sha256 and size in the manifest.
std::vector<xdream::io::Image> read_images(const std::filesystem::path& dir,
                                           const Manifest& manifest);

/// The response file of `block` already written, in the directory or in processed/ (taken by
/// xdream), in any format; std::nullopt when there is none.
std::optional<std::filesystem::path> existing_response(const std::filesystem::path& dir,
                                                       std::int64_t block);

/// Writes blockNNN.progress.json atomically.
void write_progress(const std::filesystem::path& dir, std::int64_t block, std::size_t done,
                    std::size_t valid, bool paused);

/// Writes `bytes` to `path` through a temporary name, flushed and renamed.
void write_bytes_atomically(const std::filesystem::path& path, const std::string& bytes);

/// Reads a whole file as bytes.
std::string read_bytes(const std::filesystem::path& path);

/// SIGTERM and SIGINT set a flag that every wait checks.
void install_stop_handlers();
bool stop_requested();
/// The signal that asked to stop (0 = none).
int stop_signal();

/// Sleeps `seconds` of wall time in short slices; false when a stop was requested meanwhile.
bool sleep_for(double seconds);

/// Seconds on a monotonic clock.
double now_s();

}  // namespace xdream_fakerig
