#pragma once
/// @file
/// A progress line per generation, written to a stream the caller owns.

#include <xdream/detail/validate.hpp>
#include <xdream/result.hpp>

#include <cmath>
#include <cstdio>
#include <ostream>

namespace xdream::callbacks {

/// Writes one plain line every `every` generations (and at the end) to `out`:
/// `gen 12  stimuli 260  best 1.234  mean 0.456  std 0.321  [clean 1.200]  best-so-far 1.300  0.12
/// s`. The library itself never prints; this callback prints where the caller says.
class Progress {
 public:
  explicit Progress(std::ostream& out, unsigned every = 1) : out_(&out), every_(every) {
    detail::require_at_least("xdream::callbacks::Progress", "every", every, 1u);
  }

  void on_generation(const GenerationReport& report) {
    if (report.stats.generation % every_ == 0) write(report.stats, report.best.score);
    last_ = report.stats;
    last_best_ = report.best.score;
  }

  void on_finish(const Result& result) {
    if (result.generations > 0 && last_.generation % every_ != 0) write(last_, last_best_);
  }

 private:
  void write(const GenerationStats& s, double best_so_far) {
    char line[256];
    int n =
        std::snprintf(line, sizeof line, "gen %4u  stimuli %7llu  best %.6g  mean %.6g  std %.4g",
                      static_cast<unsigned>(s.generation),
                      static_cast<unsigned long long>(s.stimuli), s.best, s.mean, s.std_dev);
    if (!std::isnan(s.best_clean) && n > 0 && n < static_cast<int>(sizeof line)) {
      n += std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n), "  clean %.6g",
                         s.best_clean);
    }
    if (n > 0 && n < static_cast<int>(sizeof line)) {
      std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n),
                    "  best-so-far %.6g  %.2f s", best_so_far, s.seconds);
    }
    *out_ << line << '\n' << std::flush;
  }

  std::ostream* out_;
  unsigned every_;
  GenerationStats last_;
  double last_best_ = not_a_score;
};

}  // namespace xdream::callbacks
