#pragma once
/// @file
/// Per-generation statistics as CSV, written to a stream the caller owns.

#include <xdream/result.hpp>

#include <cstdio>
#include <ostream>

namespace xdream::callbacks {

/// Writes `generation,stimuli,best,mean,std,best_clean,missing,seconds` (header first), one row
/// per generation, flushed so a crash loses nothing already scored.
class CsvLog {
 public:
  explicit CsvLog(std::ostream& out) : out_(&out) {}

  void on_start(const Population&) {
    if (!header_written_) *out_ << "generation,stimuli,best,mean,std,best_clean,missing,seconds\n";
    header_written_ = true;
  }

  void on_generation(const GenerationReport& report) {
    const GenerationStats& s = report.stats;
    char line[256];
    std::snprintf(line, sizeof line, "%u,%llu,%.9g,%.9g,%.9g,%.9g,%lld,%.6f",
                  static_cast<unsigned>(s.generation), static_cast<unsigned long long>(s.stimuli),
                  s.best, s.mean, s.std_dev, s.best_clean, static_cast<long long>(s.missing),
                  s.seconds);
    *out_ << line << '\n' << std::flush;
  }

 private:
  std::ostream* out_;
  bool header_written_ = false;
};

}  // namespace xdream::callbacks
