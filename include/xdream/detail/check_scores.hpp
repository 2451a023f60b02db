#pragma once
/// @file
/// The check every consumer of scores makes: one score per individual, none infinite.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

#include <cmath>
#include <stdexcept>
#include <string>
#include <string_view>

namespace xdream::detail {

inline void check_scores(std::string_view where, const Scores& scores, Index expected) {
  if (scores.size() != expected) {
    throw std::invalid_argument(std::string(where) + ": got " + std::to_string(scores.size()) +
                                " scores for a population of " + std::to_string(expected) +
                                "; expected one score per individual");
  }
  for (Index i = 0; i < scores.size(); ++i) {
    if (std::isinf(scores[i])) {
      throw std::invalid_argument(std::string(where) + ": score " + std::to_string(i) + " = " +
                                  to_text(scores[i]) +
                                  " is infinite; allowed: finite values, or NaN for no response");
    }
  }
}

}  // namespace xdream::detail
