#pragma once
/// @file
/// A callback that keeps a run's statistics in a CSV file, rewritten whole and atomically.

#include <xdream/detail/every_generations.hpp>
#include <xdream/io/atomic_file.hpp>
#include <xdream/result.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace xdream::callbacks {

/// The run's history as CSV: `generation,stimuli,best,mean,std,best_clean,missing,seconds`,
/// numbers with 17 significant digits (they read back exactly), a missing value (NaN) as an
/// empty field (pandas and numpy read it as NaN).
inline std::string scores_csv(const std::vector<GenerationStats>& history) {
  const auto number = [](double value) -> std::string {
    if (std::isnan(value)) return "";
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.17g", value);
    return buffer;
  };
  std::string out = "generation,stimuli,best,mean,std,best_clean,missing,seconds\n";
  for (const GenerationStats& row : history) {
    out += std::to_string(row.generation) + ',' + std::to_string(row.stimuli) + ',' +
           number(row.best) + ',' + number(row.mean) + ',' + number(row.std_dev) + ',' +
           number(row.best_clean) + ',' + std::to_string(row.missing) + ',' + number(row.seconds) +
           '\n';
  }
  return out;
}

/// Rewrites `path` with the whole run's history (scores_csv of `optimizer.history()`, from the
/// run's first generation, a restored run's included) after every `every`-th generation and
/// after the last, atomically: the file always holds whole rows of the generations up to a
/// recent one, and after a resume it is rewritten from the restored history, so no row is ever
/// repeated. (callbacks::CsvLog streams rows to an ostream instead.)
///
/// @param every generations between rewrites; default 1; range [1, inf).
class ScoresFile {
 public:
  explicit ScoresFile(std::filesystem::path path, std::uint32_t every = 1)
      : path_(std::move(path)), schedule_("xdream::callbacks::ScoresFile", every) {}

  template <class Optimizer>
  void on_tell(const Optimizer& optimizer, const TellReport& report) {
    if (schedule_.due(report)) write(optimizer.history());
  }

  /// Writes `history` now.
  void write(const std::vector<GenerationStats>& history) const {
    const std::string text = scores_csv(history);
    io::write_file_atomically(path_, std::as_bytes(std::span(text.data(), text.size())));
  }

 private:
  std::filesystem::path path_;
  detail::EveryGenerations schedule_;
};

}  // namespace xdream::callbacks
