#pragma once
/// @file
/// Counts heap allocations so that benchmarks can report allocations per iteration (the GA's
/// steady state should make none).
///
/// On glibc the allocation entry points (malloc, calloc, realloc, the aligned ones) are
/// interposed by definitions in the executable that count and forward to glibc's own
/// `__libc_*` functions. That catches operator new (libstdc++ calls malloc) and Eigen's
/// aligned_malloc alike. Include this header in exactly ONE translation unit of a benchmark
/// executable. Elsewhere, or with XDREAM_BENCH_NO_ALLOC_COUNT defined, the count stays 0 and
/// `alloc_counter::available()` is false.

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace xdream_bench::alloc_counter {
inline std::atomic<std::uint64_t> count{0};

inline std::uint64_t now() noexcept { return count.load(std::memory_order_relaxed); }
}  // namespace xdream_bench::alloc_counter

#if defined(__GLIBC__) && !defined(XDREAM_BENCH_NO_ALLOC_COUNT)
namespace xdream_bench::alloc_counter {
inline void count_one() noexcept { count.fetch_add(1, std::memory_order_relaxed); }
}  // namespace xdream_bench::alloc_counter

extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* pointer, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);

void* malloc(std::size_t size) noexcept {
  xdream_bench::alloc_counter::count_one();
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) noexcept {
  xdream_bench::alloc_counter::count_one();
  return __libc_calloc(count, size);
}
void* realloc(void* pointer, std::size_t size) noexcept {
  xdream_bench::alloc_counter::count_one();
  return __libc_realloc(pointer, size);
}
void* memalign(std::size_t alignment, std::size_t size) noexcept {
  xdream_bench::alloc_counter::count_one();
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  xdream_bench::alloc_counter::count_one();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** pointer, std::size_t alignment, std::size_t size) noexcept {
  xdream_bench::alloc_counter::count_one();
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *pointer = p;
  return 0;
}
}  // extern "C"

namespace xdream_bench::alloc_counter {
constexpr bool available() noexcept { return true; }
}  // namespace xdream_bench::alloc_counter
#else
namespace xdream_bench::alloc_counter {
constexpr bool available() noexcept { return false; }
}  // namespace xdream_bench::alloc_counter
#endif
