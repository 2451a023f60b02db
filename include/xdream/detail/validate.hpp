#pragma once
/// @file
/// Parameter checks that throw `std::invalid_argument` naming the parameter, its value and the
/// allowed range, at construction.

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace xdream::detail {

template <class T>
std::string to_text(const T& value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

[[noreturn]] inline void invalid(std::string_view where, std::string_view parameter,
                                 const std::string& value, std::string_view allowed) {
  std::string message;
  message.append(where).append(": ").append(parameter).append(" = ").append(value);
  message.append(" is out of range; allowed: ").append(allowed);
  throw std::invalid_argument(message);
}

/// Requires lo <= value <= hi (and value not NaN).
template <class T>
void require_closed(std::string_view where, std::string_view parameter, T value, T lo, T hi) {
  if (!(value >= lo && value <= hi)) {
    invalid(where, parameter, to_text(value), "[" + to_text(lo) + ", " + to_text(hi) + "]");
  }
}

/// Requires value > 0 and finite.
template <class T>
void require_positive(std::string_view where, std::string_view parameter, T value) {
  if (!(value > T{0}) || !std::isfinite(static_cast<double>(value))) {
    invalid(where, parameter, to_text(value), "a finite value > 0");
  }
}

/// Requires value >= lo (integers).
template <class T>
void require_at_least(std::string_view where, std::string_view parameter, T value, T lo) {
  if (!(value >= lo)) invalid(where, parameter, to_text(value), ">= " + to_text(lo));
}

/// An objective's check of its input: one stimulus per column, `expected` rows each.
inline void require_stimulus_rows(std::string_view where, long long rows, long long expected) {
  if (rows != expected) {
    throw std::invalid_argument(std::string(where) + ": stimuli have " + std::to_string(rows) +
                                " rows; expected the objective's dimension " +
                                std::to_string(expected));
  }
}

}  // namespace xdream::detail
