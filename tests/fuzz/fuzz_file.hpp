#pragma once
// Helpers of the fuzz targets: the readers take files, so each input is written to a file in a
// directory of the fuzzer's own (XDREAM_FUZZ_DIR, else the temporary directory).

#include <unistd.h>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace xdream_fuzz {

inline std::filesystem::path directory() {
  static const std::filesystem::path dir = [] {
    const char* given = std::getenv("XDREAM_FUZZ_DIR");
    std::filesystem::path d = given ? given : std::filesystem::temp_directory_path();
    d /= "xdream-fuzz-" + std::to_string(::getpid());
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

inline std::filesystem::path write_input(const std::uint8_t* data, std::size_t size,
                                         const std::string& name) {
  const auto path = directory() / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace xdream_fuzz
