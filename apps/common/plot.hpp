#pragma once
// The score plot of a run directory, made by tools/plot_run.py (matplotlib) with Debian's Python.

#include <filesystem>
#include <string>

namespace xdream_apps {

/// Runs `/usr/bin/python3 tools/plot_run.py DIR`, which writes DIR/scores.png from scores.csv
/// (and summary.json's reference lines). When Python, matplotlib or the script is missing, or the
/// plot fails, prints one line saying so on stderr (prefixed by `program`) and returns false:
/// scores.csv holds the same numbers. The same script plots any run directory afterwards.
bool plot_run(const std::filesystem::path& dir, const std::string& program);

}  // namespace xdream_apps
