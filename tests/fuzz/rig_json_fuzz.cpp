// libFuzzer target: a rig's blockNNN.json response file (rig::read_json_responses) on any bytes.
// A file is read whole or refused with a clear error; what is read is consistent (one name and
// one rep per row, one value per channel). Built and run by scripts/fuzz.
#include <xdream/rig/response_file.hpp>

#include "fuzz_file.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = xdream_fuzz::write_input(data, size, "block001.json");
  try {
    const xdream::rig::ResponseTable table = xdream::rig::read_json_responses(path);
    const auto rows = static_cast<std::size_t>(table.values.rows());
    if (table.names.size() != rows || table.reps.size() != rows) __builtin_trap();
    if (!table.channels.empty() &&
        table.channels.size() != static_cast<std::size_t>(table.values.cols()))
      __builtin_trap();
    for (int rep : table.reps)
      if (rep < 0) __builtin_trap();
  } catch (const std::exception&) {
    // a clear error is the expected answer to damaged bytes
  }
  return 0;
}
