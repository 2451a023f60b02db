#pragma once
// A run's record on disk (design section 10): config.json, scores.csv, images/, the final codes,
// a contact sheet, a score plot, a checkpoint and a DONE marker. Every file is written to a
// temporary file in the same directory and renamed, so a crash never leaves a half file.

#include <xdream/result.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace xdream_evolve {

/// Writes `text` to `path` atomically (xdream::io::write_file_atomically: temporary file, fsync,
/// rename).
void write_text_atomically(const std::filesystem::path& path, const std::string& text);

/// Checks that a new run may be written to `dir`: it must not exist, or `force` must be given
/// and it must be an earlier run directory (with config.json) or empty; its parent must be
/// writable. Throws std::runtime_error naming the option and the directory otherwise. Nothing
/// is created.
void check_new_run_directory(const std::filesystem::path& dir, bool force);

/// Creates the run directory with images/ and config.json in it, atomically: all three are made
/// under a temporary name beside it, then renamed into place (replacing an earlier run's with
/// `force`), so a crash leaves either no directory or a resumable one.
void create_run_directory(const std::filesystem::path& dir, bool force, const std::string& config);

/// scores.csv: one row per generation.
std::string scores_csv(const std::vector<xdream::GenerationStats>& history);

/// scores.png: best, mean and (when known) clean best score per generation.
void write_score_plot(const std::filesystem::path& file,
                      const std::vector<xdream::GenerationStats>& history, bool noisy);

/// images/genNNNN.png (zero-padded generation number).
std::filesystem::path generation_image(const std::filesystem::path& dir, std::uint32_t generation);

}  // namespace xdream_evolve
