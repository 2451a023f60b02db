#pragma once
/// @file
/// The identity generator: plain black-box optimization, the stimuli are the codes.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

namespace xdream {

/// Stimuli = codes (no copy). Turns xdream into a black-box optimizer of f(code).
/// @param code_size length of a code; range [1, inf).
class IdentityGenerator {
 public:
  explicit IdentityGenerator(Index code_size) : code_size_(code_size) {
    detail::require_at_least("xdream::IdentityGenerator", "code_size", code_size, Index{1});
  }
  Index code_size() const noexcept { return code_size_; }
  const Population& generate(const Population& codes) const noexcept { return codes; }

 private:
  Index code_size_;
};

}  // namespace xdream
