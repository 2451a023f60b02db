#pragma once
// Tolerances for stochastic checks, derived from sampling distributions (never tuned until green):
// a check allows `z` standard errors of its estimator. With z = 5 a correct implementation fails
// one check in ~1.7 million; with fixed seeds it either always passes or always fails.

#include <cmath>
#include <cstdint>

namespace xdream_test {

/// The z used by every stochastic check of the suite.
inline constexpr double z = 5.0;

/// Standard error of a frequency k/n whose true probability is p (binomial).
inline double binomial_se(double p, std::uint64_t n) {
  return std::sqrt(p * (1.0 - p) / static_cast<double>(n));
}

/// Standard error of the mean of n draws with standard deviation sigma.
inline double mean_se(double sigma, std::uint64_t n) {
  return sigma / std::sqrt(static_cast<double>(n));
}

/// Standard error of the (ddof 1) sample variance of n normal draws of variance sigma^2:
/// (n - 1) s^2 / sigma^2 ~ chi-square(n - 1), whose std is sqrt(2 (n - 1)), hence
/// SE(s^2) = sigma^2 sqrt(2 / (n - 1)).
inline double normal_variance_se(double sigma, std::uint64_t n) {
  return sigma * sigma * std::sqrt(2.0 / static_cast<double>(n - 1));
}

/// Standard error of the sample variance of n draws of any distribution with variance sigma2 and
/// fourth central moment mu4: sqrt((mu4 - sigma2^2) / n) (large-n form).
inline double variance_se(double sigma2, double mu4, std::uint64_t n) {
  return std::sqrt((mu4 - sigma2 * sigma2) / static_cast<double>(n));
}

/// Accumulates mean and ddof-1 variance (Welford).
struct RunningMoments {
  std::uint64_t n = 0;
  double mean = 0.0;
  double m2 = 0.0;
  void add(double x) {
    ++n;
    const double delta = x - mean;
    mean += delta / static_cast<double>(n);
    m2 += delta * (x - mean);
  }
  double variance() const { return m2 / static_cast<double>(n - 1); }
};

/// The moments of every element of a vector (an Eigen vector or anything indexable with size()).
template <class Vector>
RunningMoments moments_of(const Vector& values) {
  RunningMoments m;
  for (decltype(values.size()) i = 0; i < values.size(); ++i) m.add(values[i]);
  return m;
}

}  // namespace xdream_test
