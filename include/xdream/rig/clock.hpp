#pragma once
/// @file
/// The clocks a rig session runs on: the real one, and a virtual one for tests (no threads, no
/// sleeps: time moves only when the test moves it).

#include <chrono>
#include <thread>

namespace xdream::rig {

/// A point in a session's time: nanoseconds on the clock's own scale.
using RigTime = std::chrono::nanoseconds;

/// Seconds as a RigTime.
constexpr RigTime seconds(double s) noexcept {
  return std::chrono::duration_cast<RigTime>(std::chrono::duration<double>(s));
}
/// A RigTime in seconds.
constexpr double in_seconds(RigTime t) noexcept { return std::chrono::duration<double>(t).count(); }

/// The steady clock of the machine.
class SteadyClock {
 public:
  RigTime now() const noexcept {
    return std::chrono::duration_cast<RigTime>(std::chrono::steady_clock::now().time_since_epoch());
  }
  /// Sleeps until `when` (at once when it has passed).
  void sleep_until(RigTime when) const {
    const RigTime left = when - now();
    if (left > RigTime::zero()) std::this_thread::sleep_for(left);
  }
};

/// Virtual time: starts at 0 and moves only through `advance` and `sleep_until` (which jumps).
/// Unit tests run a whole session in microseconds with it.
class ManualClock {
 public:
  RigTime now() const noexcept { return now_; }
  void advance(RigTime by) noexcept { now_ += by; }
  void sleep_until(RigTime when) noexcept {
    if (when > now_) now_ = when;
  }

 private:
  RigTime now_{0};
};

}  // namespace xdream::rig
