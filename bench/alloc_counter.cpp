// Allocation counting for the benchmarks (see alloc_counter.hpp).
//
// On purpose this file includes no header that declares malloc and friends (<cstdlib>,
// <stdlib.h>, <malloc.h>, the intrinsics headers): their declarations differ in exception
// specifications between compilers and C libraries, and these definitions must not clash with
// them.

#include "alloc_counter.hpp"

#include <cerrno>
#include <cstddef>

namespace {
std::uint64_t allocations = 0;  // updated with atomic builtins: allocations come from any thread
}  // namespace

#if defined(__GLIBC__) && !defined(XDREAM_BENCH_NO_ALLOC_COUNT)

namespace {
inline void count_one() noexcept { __atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED); }
}  // namespace

extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* pointer, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);

void* malloc(std::size_t size) {
  count_one();
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) {
  count_one();
  return __libc_calloc(count, size);
}
void* realloc(void* pointer, std::size_t size) {
  count_one();
  return __libc_realloc(pointer, size);
}
void* memalign(std::size_t alignment, std::size_t size) {
  count_one();
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) {
  count_one();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** pointer, std::size_t alignment, std::size_t size) {
  count_one();
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *pointer = p;
  return 0;
}
}  // extern "C"

bool xdream_bench::alloc_counter::available() noexcept { return true; }

#else

bool xdream_bench::alloc_counter::available() noexcept { return false; }

#endif

std::uint64_t xdream_bench::alloc_counter::now() noexcept {
  return __atomic_load_n(&allocations, __ATOMIC_RELAXED);
}
