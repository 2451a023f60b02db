// libFuzzer target: io::load_npy on any bytes (through a file: the reader bounds what it
// allocates by the file's size). Built and run by scripts/fuzz.
#include <xdream/io/npy.hpp>

#include "fuzz_file.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = xdream_fuzz::write_input(data, size, "input.npy");
  try {
    const xdream::Population codes = xdream::io::load_npy(path);
    if (codes.size() == 0) __builtin_trap();  // the reader never returns an empty array
  } catch (const std::exception&) {
    // a clear error is the expected answer to damaged bytes
  }
  return 0;
}
