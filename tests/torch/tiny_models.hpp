#pragma once
// What the LibTorch adapters' tests share: the path of a tiny formula-weight model of
// tests/data/torch, and the message an expected exception carries.

#include <string>

namespace torch_test {

inline std::string model(const std::string& name) {
  return std::string(XDREAM_TEST_DATA_DIR) + "/torch/" + name;
}

// Runs `f` and returns the message of the exception of type E it throws ("" when none).
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace torch_test
