// libFuzzer target: xdream-evolve's reference cache on any bytes: a cache that does not fit
// (damaged, another shape) is refused with a reason, never read past. Built and run by
// scripts/fuzz.
#include "fuzz_file.hpp"
#include "reference_cache.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = xdream_fuzz::write_input(data, size, "cache.npy");
  std::string why;
  const auto cache = xdream_evolve::read_reference_cache(path, 10, 40, &why);
  if (cache && (cache->rows() != 10 || cache->cols() != 40)) std::abort();
  if (!cache && why.empty()) std::abort();  // an existing file refused without a reason
  return 0;
}
