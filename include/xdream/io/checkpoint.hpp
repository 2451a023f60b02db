#pragma once
/// @file
/// Checkpoint and resume of a whole run: the driver's state, the algorithm's state and any
/// values of the caller's own, in one archive file written atomically (io/archive.hpp).
///
/// Save between two `run` calls (run in chunks of k generations and checkpoint after each),
/// never from inside a callback: when `on_generation` is called the generation has been scored
/// and counted by the driver but the algorithm has not been told yet, so the two states would
/// not match. `optimizer.state().generation` and `.total_stimuli` say how much of the budget is
/// spent.
///
/// ```cpp
/// // after each chunk of generations (or when asked to stop):
/// xdream::io::save_checkpoint(dir / "checkpoint.bin", optimizer, history, noise_evaluations);
/// // --resume: build the optimizer exactly as the first run did (same options and seeds), then
/// xdream::io::load_checkpoint(dir / "checkpoint.bin", optimizer, history, noise_evaluations);
/// optimizer.run(rest_of_the_budget);   // continues bit-identically
/// ```

#include <xdream/any_algorithm.hpp>
#include <xdream/driver.hpp>
#include <xdream/io/archive.hpp>

#include <filesystem>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace xdream::io {

/// The tag of a checkpoint of a run whose algorithm is named `algorithm_name`.
inline std::string checkpoint_tag(const std::string& algorithm_name) {
  return "xdream.checkpoint/" + algorithm_name;
}

/// Writes the optimizer's state (OptimizerState), its algorithm's state and then `extra` (any
/// archivable values of the caller's: its history rows, a noise model's evaluation counter ...)
/// to `path`, atomically, tagged with `checkpoint_tag(algorithm name)`. The generator and the
/// objective are the caller's: an objective with its own state (a noise model's counter) must
/// go into `extra`. Throws ArchiveError naming the file when it cannot be written.
template <class G, class O, class... Extra>
void save_checkpoint(const std::filesystem::path& path,
                     const Optimizer<G, O, AnyAlgorithm>& optimizer, const Extra&... extra) {
  const AnyAlgorithm& algorithm = optimizer.algorithm();
  ArchiveWriter out;
  out.write(optimizer.state());
  algorithm.save(out);
  out(extra...);
  write_file_atomically(path, seal(checkpoint_tag(algorithm.name()), out.bytes()));
}

/// Restores what save_checkpoint wrote into an optimizer built as the saved run's was (same
/// generator and objective, an AnyAlgorithm of the same name, options and seed), and reads
/// `extra` back in the order it was saved. The next `optimizer.run(budget)` continues the run
/// bit-identically (its budget counts from that call: pass what was left).
///
/// Throws ArchiveError naming the file when it is missing, truncated, corrupt, of another format
/// version, of another algorithm, or does not hold what is asked for; std::invalid_argument when
/// a state does not fit the optimizer (another code size, population size ...). On any error
/// the optimizer and `extra` are left as they were. Each Extra must be default-constructible and
/// move-assignable.
template <class G, class O, class... Extra>
void load_checkpoint(const std::filesystem::path& path, Optimizer<G, O, AnyAlgorithm>& optimizer,
                     Extra&... extra) {
  const std::vector<std::byte> bytes = read_file(path);
  AnyAlgorithm& algorithm = optimizer.algorithm();
  ArchiveReader in(unseal(bytes, checkpoint_tag(algorithm.name()), path.string()), path.string());
  OptimizerState driver_state;
  in.read(driver_state);
  // The algorithm's state is decoded by the algorithm itself, and restoring it is the only way
  // to learn whether it fits: keep the current states to put back if anything after fails.
  ArchiveWriter previous_algorithm;
  algorithm.save(previous_algorithm);
  const OptimizerState previous = optimizer.state();
  std::tuple<Extra...> extra_values;
  optimizer.restore(std::move(driver_state));
  try {
    algorithm.load(in);
    std::apply([&in](auto&... values) { in(values...); }, extra_values);
    in.finish();
  } catch (...) {
    optimizer.restore(previous);
    ArchiveReader back(previous_algorithm.bytes(), "the previous state");
    algorithm.load(back);
    throw;
  }
  std::apply([&](auto&... values) { ((extra = std::move(values)), ...); }, extra_values);
}

}  // namespace xdream::io
