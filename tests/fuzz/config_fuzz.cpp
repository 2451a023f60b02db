// libFuzzer target: xdream-evolve's settings from any bytes, both ways they come in: a --config
// file (TOML/INI, through the duplicate/list check and CLI11), and a run's config.json read by
// --resume (strict types, then every range). Settings that are accepted must pass check().
// Built and run by scripts/fuzz.
#include "evolve_config.hpp"
#include "fuzz_file.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

// Seeds (XDREAM_FUZZ_SEEDS): a config.json's settings and a --config file.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* seeds = std::getenv("XDREAM_FUZZ_SEEDS");
  if (seeds == nullptr) return 0;
  const std::filesystem::path dir(seeds);
  std::ofstream(dir / "settings.json")
      << '\x01' << nlohmann::json(xdream_evolve::EvolveConfig{}).dump(1);
  std::ofstream(dir / "settings.toml")
      << '\x00'
      << "# a run\nalgorithm = \"sep-cmaes\"\nseed = 7\nmean = [0.5]\nstd = [0.25]\n"
         "noise = \"poisson\"\nnoise-level = 20\ngenerations = 30\n[section]\ntap = \"fc6\"\n";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    const auto path = xdream_fuzz::write_input(data + 1, size - 1, "settings.toml");
    const std::string file = path.string();
    std::string program = "xdream-evolve", option = "--config";
    char* argv[] = {program.data(), option.data(), const_cast<char*>(file.c_str()), nullptr};
    xdream_evolve::Invocation invocation;
    try {
      if (!xdream_evolve::parse_command_line(3, argv, invocation, "/models")) {
        xdream_evolve::check(invocation.config);
      }
    } catch (const std::exception&) {
    }
  } else {
    xdream_evolve::EvolveConfig config;
    try {
      config = xdream_evolve::settings_from_json(nlohmann::json::parse(text), "fuzz");
    } catch (const std::invalid_argument&) {
      return 0;
    } catch (const nlohmann::json::exception&) {
      return 0;
    }
    try {
      xdream_evolve::check(config);         // what was accepted passed check(): it must again
      (void)nlohmann::json(config).dump();  // and it must be written back as config.json
    } catch (...) {
      std::abort();
    }
  }
  return 0;
}
