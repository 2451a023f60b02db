#pragma once
/// @file
/// A progress line per generation, written to a stream the caller owns.

#include <xdream/detail/validate.hpp>
#include <xdream/result.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>

namespace xdream::callbacks {

/// How Progress writes.
struct ProgressOptions {
  /// Write a line every `every` generations (and at the end); range [1, inf).
  unsigned every = 1;
  /// Generations the whole run will have (0 = unknown): lines then start with the percentage
  /// done.
  std::uint64_t total_generations = 0;
  /// Rewrite one line in place (carriage return, then erase to the end of the line), for a
  /// terminal; ends it with a newline when the run finishes.
  bool overwrite = false;
};

/// Writes one plain line every `every` generations (and at the end) to `out`:
/// `gen 12  stimuli 260  best 1.234  mean 0.456  std 0.321  [clean 1.200]  best-so-far 1.300  0.12
/// s`, preceded by the percentage done when the run's length is known, or one line rewritten in
/// place. The library itself never prints; this callback prints where the caller says.
class Progress {
 public:
  explicit Progress(std::ostream& out, unsigned every = 1)
      : Progress(out, ProgressOptions{.every = every}) {}
  Progress(std::ostream& out, ProgressOptions options) : out_(&out), options_(options) {
    detail::require_at_least("xdream::callbacks::Progress", "every", options.every, 1u);
  }

  void on_generation(const GenerationReport& report) {
    if (report.stats.generation % options_.every == 0) write(report.stats, report.best.score);
    last_ = report.stats;
    last_best_ = report.best.score;
  }

  void on_finish(const Result& result) {
    if (result.generations > 0 && last_.generation % options_.every != 0) write(last_, last_best_);
    if (options_.overwrite && result.generations > 0) *out_ << '\n' << std::flush;
  }

 private:
  void write(const GenerationStats& s, double best_so_far) {
    char line[320];
    int n = 0;
    const auto append = [&](const char* format, auto... values) {
      if (n >= 0 && n < static_cast<int>(sizeof line)) {
        n += std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n), format, values...);
      }
    };
    if (options_.total_generations > 0) {
      append("%3.0f%%  ", 100.0 * static_cast<double>(s.generation + 1) /
                              static_cast<double>(options_.total_generations));
    }
    append("gen %4u  stimuli %7llu  best %.6g  mean %.6g  std %.4g",
           static_cast<unsigned>(s.generation), static_cast<unsigned long long>(s.stimuli), s.best,
           s.mean, s.std_dev);
    if (!std::isnan(s.best_clean)) append("  clean %.6g", s.best_clean);
    append("  best-so-far %.6g  %.2f s", best_so_far, s.seconds);
    if (options_.overwrite) {
      *out_ << '\r' << line << "\x1b[K" << std::flush;
    } else {
      *out_ << line << '\n' << std::flush;
    }
  }

  std::ostream* out_;
  ProgressOptions options_;
  GenerationStats last_;
  double last_best_ = not_a_score;
};

}  // namespace xdream::callbacks
