// libFuzzer target: one socket-protocol message from a rig (rig::protocol::parse, then the
// reader of its type) on any bytes. A message is taken or refused with a ProtocolError naming
// its code; nothing else escapes. Built and run by scripts/fuzz.
#include <xdream/rig/protocol.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  namespace protocol = xdream::rig::protocol;
  try {
    const nlohmann::json m = protocol::parse(text);
    if (!m.is_object()) __builtin_trap();
    const std::string type = m.at("type").get<std::string>();
    if (type == "ACK") {
      protocol::ack(m);
    } else if (type == "PROGRESS") {
      const xdream::rig::Progress p = protocol::progress(m);
      if (p.done < 0 || p.valid < 0) __builtin_trap();
    } else if (type == "RESULT") {
      const xdream::rig::ResponseTable table = protocol::result(m);
      if (table.names.size() != static_cast<std::size_t>(table.values.rows())) __builtin_trap();
    } else if (type == "HELLO") {
      protocol::hello_name(m);
    }
  } catch (const protocol::ProtocolError& e) {
    const std::string& code = e.code();
    if (code != "bad_message" && code != "version" && code != "unknown_type" &&
        code != "wrong_session")
      __builtin_trap();
  }
  return 0;
}
