#pragma once
/// @file
/// The socket protocol's messages (docs/rig-protocol.md, version 1): the common fields, the
/// messages xdream sends, and the checks of the messages a rig sends. One JSON object per
/// message, the same over ZeroMQ and plain TCP. Link xdream::rig (nlohmann-json).

#include <xdream/rig/block.hpp>
#include <xdream/rig/events.hpp>
#include <xdream/rig/response_file.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xdream::rig::protocol {

/// The protocol's version, `v` in every message.
inline constexpr int version = 1;

/// A message that breaks the protocol; answered with ERROR `code` (`bad_message`, `version`,
/// `wrong_session`, `unknown_type`) and otherwise ignored.
class ProtocolError : public std::runtime_error {
 public:
  ProtocolError(std::string code, const std::string& what, std::optional<long long> about = {})
      : std::runtime_error(what), code_(std::move(code)), about_(about) {}
  const std::string& code() const noexcept { return code_; }
  /// The offending message's `seq`, when it could be read.
  std::optional<long long> about_seq() const noexcept { return about_; }

 private:
  std::string code_;
  std::optional<long long> about_;
};

/// The message types a rig may send.
inline bool is_rig_message(std::string_view type) {
  for (std::string_view known :
       {"HELLO", "ACK", "PROGRESS", "RESULT", "PING", "PONG", "BYE", "ERROR"}) {
    if (type == known) return true;
  }
  return false;
}

/// A wall time (default: now) as ISO 8601 UTC with milliseconds: 2026-12-02T06:10:00.123Z.
inline std::string wall_time(
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms));
  return text;
}

/// A message with the common fields; the caller adds the type's own.
inline nlohmann::json message(std::string_view type, const std::string& session, std::uint64_t seq,
                              std::int64_t t_mono_ns) {
  return {{"v", version}, {"type", type},           {"session", session},
          {"seq", seq},   {"t_mono_ns", t_mono_ns}, {"t_wall", wall_time()}};
}

/// Where the rig finds a stimulus's PNG: a path on xdream's machine, or a frame (1-based)
/// after the message's JSON.
struct ImageSource {
  std::string path;
  int frame = 0;
};

/// The BLOCK body of `block` (its stimuli in showing order), `sources[i]` and `sha256[i]` for
/// stimulus i.
inline void add_block(nlohmann::json& out, const RigBlock& block,
                      const std::vector<ImageSource>& sources,
                      const std::vector<std::string>& sha256) {
  out["block_id"] = block.number;
  out["generation"] = block.generation;
  out["attempt"] = block.attempt;
  out["reshow"] = block.reshow;
  out["reps"] = block.reps;
  out["deadline_s"] = block.deadline_s;
  nlohmann::json stimuli = nlohmann::json::array();
  for (std::size_t i = 0; i < block.stimuli.size(); ++i) {
    const RigStimulus& s = block.stimuli[i];
    nlohmann::json item{{"stim_id", s.id},
                        {"kind", s.kind == StimulusKind::synthetic ? "synthetic" : "reference"},
                        {"w", s.image->width},
                        {"h", s.image->height},
                        {"c", s.image->channels},
                        {"sha256", sha256.at(i)}};
    if (sources.at(i).frame > 0) {
      item["frame"] = sources[i].frame;
    } else {
      item["path"] = sources[i].path;
    }
    stimuli.push_back(std::move(item));
  }
  out["stimuli"] = std::move(stimuli);
}

namespace detail {

inline long long integer(const nlohmann::json& m, const char* key, long long lo, long long hi) {
  const auto it = m.find(key);
  if (it == m.end()) throw ProtocolError("bad_message", std::string("no \"") + key + "\"");
  long long value = 0;
  try {
    value = rig::detail::json_integer(*it, std::string("\"") + key + "\"");
  } catch (const rig::detail::JsonContent& e) {
    throw ProtocolError("bad_message", e.what());
  }
  if (value < lo || value > hi) {
    throw ProtocolError("bad_message", std::string("\"") + key + "\" = " + std::to_string(value) +
                                           " is out of range");
  }
  return value;
}

inline std::string text(const nlohmann::json& m, const char* key, bool required = true) {
  const auto it = m.find(key);
  if (it == m.end()) {
    if (required) throw ProtocolError("bad_message", std::string("no \"") + key + "\"");
    return "";
  }
  if (!it->is_string())
    throw ProtocolError("bad_message", std::string("\"") + key + "\" is not a string");
  return it->get<std::string>();
}

inline bool flag(const nlohmann::json& m, const char* key) {
  const auto it = m.find(key);
  if (it == m.end()) return false;
  if (!it->is_boolean())
    throw ProtocolError("bad_message", std::string("\"") + key + "\" is not true or false");
  return it->get<bool>();
}

inline std::vector<std::string> strings(const nlohmann::json& m, const char* key) {
  std::vector<std::string> out;
  const auto it = m.find(key);
  if (it == m.end()) return out;
  if (!it->is_array())
    throw ProtocolError("bad_message", std::string("\"") + key + "\" is not an array");
  for (const auto& item : *it) {
    if (!item.is_string())
      throw ProtocolError("bad_message", std::string("\"") + key + "\" holds a non-string");
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace detail

/// Parses and checks one message a rig sent: JSON (nesting <= 32, no repeated key), an object,
/// `v` = 1, a known rig message type, and the common fields of the right types. Throws
/// ProtocolError.
inline nlohmann::json parse(std::string_view text) {
  nlohmann::json m;
  try {
    m = rig::detail::parse_checked_json(text, rig::detail::scan_json(text));
  } catch (const rig::detail::JsonContent& e) {
    throw ProtocolError("bad_message", e.what());
  } catch (const nlohmann::json::exception& e) {
    throw ProtocolError("bad_message", std::string("not JSON: ") + e.what());
  }
  if (!m.is_object()) throw ProtocolError("bad_message", "not a JSON object");
  std::optional<long long> seq;
  if (const auto it = m.find("seq"); it != m.end() && it->is_number_integer())
    seq = it->get<long long>();
  try {
    const long long v = detail::integer(m, "v", 0, 1'000'000);
    if (v != version) {
      throw ProtocolError("version",
                          "version " + std::to_string(v) + "; this xdream speaks version 1", seq);
    }
    const std::string type = detail::text(m, "type");
    if (!is_rig_message(type)) {
      throw ProtocolError("unknown_type", "\"" + type + "\" is not a message a rig sends", seq);
    }
    detail::text(m, "session");
    detail::integer(m, "seq", 0, std::numeric_limits<long long>::max());
    detail::integer(m, "t_mono_ns", std::numeric_limits<long long>::min(),
                    std::numeric_limits<long long>::max());
    detail::text(m, "t_wall");
  } catch (const ProtocolError& e) {
    throw ProtocolError(e.code(), e.what(), seq);
  }
  return m;
}

/// The block a message is about (`block_id` >= 1).
inline std::uint32_t block_of(const nlohmann::json& m) {
  return static_cast<std::uint32_t>(detail::integer(m, "block_id", 1, 0xFFFFFFFFLL));
}

/// ACK as an event.
inline Ack ack(const nlohmann::json& m) {
  return {block_of(m), detail::strings(m, "missing"), detail::strings(m, "bad_hash")};
}

/// PROGRESS as an event.
inline Progress progress(const nlohmann::json& m) {
  constexpr long long most = 1'000'000'000;
  Progress p{block_of(m), static_cast<int>(detail::integer(m, "done", 0, most)),
             static_cast<int>(detail::integer(m, "valid", 0, most)), detail::flag(m, "paused")};
  return p;
}

/// RESULT's responses (the rows name stimuli by id, or by their image's file name).
inline ResponseTable result(const nlohmann::json& m) {
  try {
    ResponseTable table = result_table(m);
    if (!table.block) throw ProtocolError("bad_message", "a RESULT without \"block_id\"");
    return table;
  } catch (const rig::detail::JsonContent& e) {
    throw ProtocolError("bad_message", std::string("RESULT ") + e.what());
  }
}

/// A RESULT's optional part number and, on the final part, the number of parts (-1: not given).
inline std::pair<long long, long long> result_parts(const nlohmann::json& m) {
  constexpr long long most = 1'000'000;
  const long long part = m.contains("part") ? detail::integer(m, "part", 0, most) : -1;
  const long long parts = m.contains("parts") ? detail::integer(m, "parts", 1, most) : -1;
  if (part >= 0 && parts >= 0 && part >= parts) {
    throw ProtocolError("bad_message", "\"part\" = " + std::to_string(part) +
                                           " is not below \"parts\" = " + std::to_string(parts));
  }
  return {part, parts};
}

/// The rig's name and instance from a HELLO ("name (instance)").
inline std::string hello_name(const nlohmann::json& m) {
  const std::string name = detail::text(m, "rig", false);
  const std::string instance = detail::text(m, "instance", false);
  return (name.empty() ? "a rig" : name) + (instance.empty() ? "" : " (" + instance + ")");
}

}  // namespace xdream::rig::protocol
