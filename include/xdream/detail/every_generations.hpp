#pragma once
/// @file
/// When a callback that writes a file every few generations writes it.

#include <xdream/detail/validate.hpp>
#include <xdream/result.hpp>

#include <cstdint>
#include <string_view>

namespace xdream::detail {

/// Every `every`-th generation (the one-based count of generations is a multiple of `every`)
/// and the run's last one. `where` names the callback when `every` is out of range ([1, inf)).
class EveryGenerations {
 public:
  EveryGenerations(std::string_view where, std::uint32_t every) : every_(every) {
    require_at_least(where, "every", every, 1u);
  }

  /// Whether the generation of `report` is one of them.
  bool due(const TellReport& report) const noexcept {
    return report.last || (report.stats.generation + 1) % every_ == 0;
  }

  std::uint32_t every() const noexcept { return every_; }

 private:
  std::uint32_t every_;
};

}  // namespace xdream::detail
