#pragma once
// What every program's main() does around its work: LibTorch's threads set to wait without
// spinning, and an error as one line on stderr with exit code 1.

namespace xdream_apps {

/// Runs `program(argc, argv)` as `name`'s main. Before LibTorch loads, sets OMP_WAIT_POLICY to
/// PASSIVE (unless the user set it) and starts the program again, once: LibTorch's OpenMP
/// threads spin while they wait for work, and on a machine whose cores are busy that made a
/// generation ~10x slower (docs/benchmarks.md); the OpenMP runtime reads its settings only when
/// it loads. An exception ends the program with its first line on stderr
/// ("NAME: error: ...") and exit code 1.
int run_main(int argc, char** argv, const char* name, int (*program)(int, char**));

}  // namespace xdream_apps
