#pragma once
/// @file
/// Counts heap allocations so that benchmarks can report allocations per iteration (the GA's
/// steady state should make none).
///
/// Link the object library `xdream_bench_alloc_counter` (bench/alloc_counter.cpp) into the
/// benchmark executable. On glibc it interposes the allocation entry points (malloc, calloc,
/// realloc and the aligned ones) with definitions that count and forward to glibc's own
/// `__libc_*` functions, which catches operator new (libstdc++ calls malloc) and Eigen's
/// aligned_malloc alike. Elsewhere `available()` is false and the count stays 0.

#include <cstdint>

namespace xdream_bench::alloc_counter {
/// Allocations made so far by the whole process.
std::uint64_t now() noexcept;
/// Whether allocations are counted on this platform.
bool available() noexcept;
}  // namespace xdream_bench::alloc_counter
