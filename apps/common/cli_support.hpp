#pragma once
// What the programs' command lines share: enum options spelled as words (CLI11 and
// config.json), whole numbers read as written, UTF-8 text, and the checks of a --config file.

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xdream_apps {

/// The spelling of each value of an enum on the command line and in config.json (specialized
/// where the enum is defined).
template <class Enum>
const std::vector<std::pair<std::string, Enum>>& names_of();

/// The spelling of `value` (e.g. "sep-cmaes").
template <class Enum>
std::string name_of(Enum value) {
  for (const auto& [name, v] : names_of<Enum>()) {
    if (v == value) return name;
  }
  return "?";
}

/// "a, b, c": every spelling of an enum.
template <class Enum>
std::string spellings() {
  std::string list;
  for (const auto& [name, value] : names_of<Enum>()) list += (list.empty() ? "" : ", ") + name;
  return list;
}

/// Reads an enum from its spelling in JSON; an unknown spelling is an error naming `what`.
template <class Enum>
void enum_from_json(const nlohmann::json& json, Enum& value, const char* what) {
  const std::string text = json.get<std::string>();
  for (const auto& [name, v] : names_of<Enum>()) {
    if (name == text) {
      value = v;
      return;
    }
  }
  throw std::invalid_argument(std::string(what) + " = '" + text + "': expected one of " +
                              spellings<Enum>());
}

/// Turns an option's spelling into its enum value for CLI11 (which reads enums as their number);
/// an unknown spelling fails with the list of the known ones.
template <class Enum>
CLI::Validator enum_option() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        for (const auto& [name, value] : names_of<Enum>()) {
          if (name == text) {
            text = std::to_string(static_cast<int>(value));
            return "";
          }
        }
        return "'" + text + "' is not one of " + spellings<Enum>();
      },
      "ENUM");
}

/// A whole number >= 0 as written: no wrap of "-1" to 2^64 - 1, no clamp of what overflows,
/// nothing above `max`.
CLI::Validator whole_number(std::uint64_t max);

/// Whether `text` is valid UTF-8 (paths are recorded in config.json, which is UTF-8).
bool valid_utf8(std::string_view text);

/// Before CLI11 parses: every argument must be UTF-8, and a --config file a regular file of at
/// most 1 MiB, in UTF-8, each key once, a list only for the keys in `lists`. Throws
/// std::invalid_argument naming the option, the file, the key and the lines.
void check_arguments(int argc, char** argv, const std::set<std::string>& lists);

/// "option --NAME = VALUE: expected EXPECTED", as std::invalid_argument.
[[noreturn]] void bad(const std::string& option, const std::string& value,
                      const std::string& expected);

/// Throws bad(...) unless lo <= value <= hi (NaN fails); `note` follows the range.
template <class T>
void in_range(const char* option, T value, T lo, T hi, const std::string& note = "") {
  if (!(value >= lo && value <= hi)) {
    std::ostringstream text, range;
    text << value;
    range << "[" << lo << ", " << hi << "]" << note;
    bad(option, text.str(), range.str());
  }
}

/// The settings object of a config.json read strictly: every key of `Config` (and no other),
/// each of the JSON type its field has (no conversion: nlohmann would wrap -1 to 2^64 - 1, or
/// cut 1.5 to 1), then converted. Throws std::invalid_argument beginning with `source`.
// GCC 12 at -O2 warns that the defaults' strings "may be used uninitialized" inside nlohmann's
// conversion (a false positive: every member has its initializer); silenced here only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
template <class Config>
Config strict_from_json(const nlohmann::json& settings, const std::string& source) {
  const auto fail = [&](const std::string& what) {
    throw std::invalid_argument(source + ": " + what);
  };
  if (!settings.is_object()) fail("\"settings\" is not an object");
  const nlohmann::json expected = Config{};
  for (const auto& [key, value] : settings.items()) {
    if (!expected.contains(key)) fail("unknown setting \"" + key + "\"");
  }
  for (const auto& [key, model] : expected.items()) {
    if (!settings.contains(key)) fail("the setting \"" + key + "\" is missing");
    const nlohmann::json& value = settings.at(key);
    const auto kind_ok = [](const nlohmann::json& m, const nlohmann::json& v) {
      if (m.is_number_unsigned()) return v.is_number_unsigned();
      if (m.is_number_integer()) return v.is_number_integer();
      if (m.is_number_float()) return v.is_number();
      return m.type() == v.type();
    };
    bool ok = kind_ok(model, value);
    if (ok && value.is_array()) {
      for (const auto& element : value) ok = ok && (element.is_number() || element.is_string());
    }
    if (!ok) {
      fail("the setting \"" + key + "\" = " + value.dump() + " is not a " + model.type_name() +
           (model.is_number_unsigned() ? " (a whole number >= 0)" : ""));
    }
  }
  Config config;
  try {
    settings.get_to(config);
  } catch (const std::exception& e) {
    fail(e.what());
  }
  return config;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace xdream_apps
