#pragma once
/// @file
/// Checkpoint files: any Checkpointable object (an Optimizer whose algorithm is Checkpointable,
/// an algorithm alone, a noise model) and values of the caller's own, in one archive file
/// written atomically (io/archive.hpp), tagged with the object's name.
///
/// An Optimizer is best saved from a callback's `on_tell` hook (callbacks/checkpointer.hpp does
/// it every k generations), or between two `run` calls: then the driver's and the algorithm's
/// states agree. (In `on_generation` the generation has been counted but the algorithm has not
/// been told yet.)
///
/// ```cpp
/// xdream::io::save_checkpoint(dir / "checkpoint.bin", optimizer);
/// // --resume: build the optimizer exactly as the first run did (same parts, options, seeds), then
/// xdream::io::load_checkpoint(dir / "checkpoint.bin", optimizer);
/// optimizer.run_until(budget);   // finishes the budget the run started with, bit-identically
/// ```

#include <xdream/concepts.hpp>
#include <xdream/io/archive.hpp>

#include <filesystem>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace xdream::io {

/// The tag of a checkpoint of an object named `name` (an algorithm's stable name).
inline std::string checkpoint_tag(const std::string& name) { return "xdream.checkpoint/" + name; }

/// Writes `object`'s state and then `extra` (any archivable values of the caller's) to `path`,
/// atomically, tagged with `checkpoint_tag(object.name())`. Throws ArchiveError naming the file
/// when it cannot be written.
template <Checkpointable T, class... Extra>
void save_checkpoint(const std::filesystem::path& path, const T& object, const Extra&... extra) {
  ArchiveWriter out;
  object.save(out);
  out(extra...);
  write_file_atomically(path, seal(checkpoint_tag(object.name()), out.bytes()));
}

/// Restores what save_checkpoint wrote into an object built as the saved one was (for an
/// Optimizer: the same generator and objective, an algorithm of the same name, options and
/// seed), and reads `extra` back in the order it was saved.
///
/// Throws ArchiveError naming the file when it is missing, truncated, corrupt, of another format
/// version, of another object (another name), or does not hold what is asked for;
/// std::invalid_argument when a state does not fit (another code size, population size ...). On
/// any error the object and `extra` are left as they were. Each Extra must be
/// default-constructible and move-assignable.
template <Checkpointable T, class... Extra>
void load_checkpoint(const std::filesystem::path& path, T& object, Extra&... extra) {
  const std::vector<std::byte> bytes = read_file(path);
  ArchiveReader in(unseal(bytes, checkpoint_tag(object.name()), path.string()), path.string());
  // Restoring is the only way to learn whether a state fits: keep the current one to put back
  // when anything after it fails.
  ArchiveWriter previous;
  object.save(previous);
  std::tuple<Extra...> extra_values;
  object.load(in);
  try {
    std::apply([&in](auto&... values) { in(values...); }, extra_values);
    in.finish();
  } catch (...) {
    ArchiveReader back(previous.bytes(), "the previous state");
    object.load(back);
    throw;
  }
  std::apply([&](auto&... values) { ((extra = std::move(values)), ...); }, extra_values);
}

}  // namespace xdream::io
