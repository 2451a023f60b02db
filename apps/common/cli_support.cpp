#include "cli_support.hpp"

#include <charconv>
#include <fstream>
#include <map>
#include <system_error>

namespace xdream_apps {

CLI::Validator whole_number(std::uint64_t max) {
  return CLI::Validator(
      [max](std::string& text) -> std::string {
        std::uint64_t value = 0;
        const char* end = text.data() + text.size();
        const auto [at, error] = std::from_chars(text.data(), end, value);
        if (text.empty() || text[0] == '-' || error != std::errc() || at != end) {
          return "expected a whole number >= 0";
        }
        if (value > max) return text + " is above the maximum " + std::to_string(max);
        return "";
      },
      "UINT");
}

[[noreturn]] void bad(const std::string& option, const std::string& value,
                      const std::string& expected) {
  throw std::invalid_argument("option --" + option + " = " + value + ": expected " + expected);
}

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const std::size_t length = byte < 0x80         ? 1
                               : (byte >> 5) == 6  ? 2
                               : (byte >> 4) == 14 ? 3
                               : (byte >> 3) == 30 ? 4
                                                   : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 2) return false;
    }
    i += length;
  }
  return true;
}

namespace {
// A --config file is read by CLI11, which lets a repeated key or a list given to a one-value
// setting through (the last value wins). Refuse both, and any file that is not a small regular
// file, naming the file, the key and the lines.
void check_config_file(const std::filesystem::path& file, const std::set<std::string>& lists) {
  const auto fail = [&](const std::string& what) {
    throw std::invalid_argument("option --config " + file.string() + ": " + what);
  };
  std::error_code error;
  const auto status = std::filesystem::status(file, error);
  if (error || !std::filesystem::exists(status)) return;  // CLI11 says it is not readable
  if (!std::filesystem::is_regular_file(status)) fail("not a regular file");
  if (std::filesystem::file_size(file, error) > (1u << 20)) fail("larger than 1 MiB");
  std::ifstream in(file);
  std::map<std::string, int> seen;
  std::string section, line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!valid_utf8(line)) fail("line " + std::to_string(number) + " is not UTF-8");
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#' || line[first] == ';') continue;
    if (line[first] == '[') {
      section = line.substr(first);
      continue;
    }
    const auto equals = line.find('=');
    if (equals == std::string::npos) continue;
    std::string key = line.substr(first, equals - first);
    key.erase(key.find_last_not_of(" \t") + 1);
    if (key.size() >= 2 && (key.front() == '"' || key.front() == '\'')) {
      key = key.substr(1, key.size() - 2);
    }
    const std::string where = section.empty() ? key : section + " " + key;
    if (const auto [it, fresh] = seen.emplace(where, number); !fresh) {
      fail("the key '" + key + "' is given twice (lines " + std::to_string(it->second) + " and " +
           std::to_string(number) + ")");
    }
    const auto value = line.find_first_not_of(" \t", equals + 1);
    if (value != std::string::npos && line[value] == '[' && lists.count(key) == 0) {
      fail("the key '" + key + "' (line " + std::to_string(number) +
           ") takes one value, not a list");
    }
  }
}
}  // namespace

void check_arguments(int argc, char** argv, const std::set<std::string>& lists) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) check_config_file(argv[i + 1], lists);
    if (arg.rfind("--config=", 0) == 0) check_config_file(arg.substr(9), lists);
    if (!valid_utf8(arg)) {
      const std::string option = i > 1 && std::string(argv[i - 1]).rfind("--", 0) == 0
                                     ? "option " + std::string(argv[i - 1])
                                     : "argument " + std::to_string(i);
      throw std::invalid_argument(option +
                                  ": the value is not UTF-8 text (config.json, which "
                                  "records it, is UTF-8)");
    }
  }
}

}  // namespace xdream_apps
