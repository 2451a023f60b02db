#pragma once
// Bit-for-bit comparisons of what two runs report: a resumed run must equal the uninterrupted
// one in every bit but the wall time.

#include <xdream/result.hpp>

#include <doctest/doctest.h>

#include <cstring>

namespace xdream_test {

/// Whether two doubles have the same bits (NaN equals NaN; 0 and -0 differ).
inline bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

/// Checks that two best individuals are the same in every field.
inline void check_same(const xdream::Best& a, const xdream::Best& b) {
  CHECK(a.code == b.code);
  CHECK(same_bits(a.score, b.score));
  CHECK(same_bits(a.clean_score, b.clean_score));
  CHECK(a.generation == b.generation);
  CHECK(a.index == b.index);
}

/// Checks that two generations' statistics are the same in everything but the wall time.
inline void check_same(const xdream::GenerationStats& a, const xdream::GenerationStats& b) {
  CHECK(a.generation == b.generation);
  CHECK(a.stimuli == b.stimuli);
  CHECK(same_bits(a.best, b.best));
  CHECK(same_bits(a.mean, b.mean));
  CHECK(same_bits(a.std_dev, b.std_dev));
  CHECK(same_bits(a.best_clean, b.best_clean));
  CHECK(a.missing == b.missing);
}

}  // namespace xdream_test
