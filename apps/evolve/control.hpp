#pragma once
// The paper's brute-force control: the expected best of K images drawn at
// random from a pool, K = the run's budget.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace xdream_evolve {

/// Expected max of `k` values drawn without replacement from `pool` (NaN values ignored):
/// with the pool sorted ascending, v_1 <= ... <= v_M, P(max = v_i) = C(i-1, k-1) / C(M, k) for
/// i >= k; k >= M gives the pool's max.
inline double expected_max_of_sample(std::vector<double> pool, std::int64_t k) {
  pool.erase(std::remove_if(pool.begin(), pool.end(), [](double v) { return std::isnan(v); }),
             pool.end());
  if (pool.empty() || k < 1) return std::nan("");
  std::sort(pool.begin(), pool.end());
  const auto m = static_cast<std::int64_t>(pool.size());
  if (k >= m) return pool.back();
  const auto log_choose = [](double n, double r) {
    return std::lgamma(n + 1.0) - std::lgamma(r + 1.0) - std::lgamma(n - r + 1.0);
  };
  const double log_total = log_choose(static_cast<double>(m), static_cast<double>(k));
  double expected = 0.0;
  for (std::int64_t i = k; i <= m; ++i) {
    const double p =
        std::exp(log_choose(static_cast<double>(i - 1), static_cast<double>(k - 1)) - log_total);
    expected += p * pool[static_cast<std::size_t>(i - 1)];
  }
  return expected;
}

}  // namespace xdream_evolve
