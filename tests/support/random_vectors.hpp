#pragma once
// Random vectors for the objectives' tests: Gaussian directions, and points scattered at a given
// distance around a centre.

#include <xdream/population.hpp>
#include <xdream/random.hpp>

#include <boost/random/normal_distribution.hpp>

#include <cstdint>

namespace xdream_test {

/// n independent N(0, 1) draws from an engine seeded with `seed`.
inline Eigen::VectorXd gaussian(xdream::Index n, std::uint64_t seed) {
  xdream::Engine rng(seed);
  boost::random::normal_distribution<double> normal;
  Eigen::VectorXd v(n);
  for (xdream::Index i = 0; i < n; ++i) v[i] = normal(rng);
  return v;
}

/// `count` codes around `centre`, each displaced by a random direction of length `radius`.
inline xdream::Population perturbed(const xdream::Code& centre, float radius, xdream::Index count,
                                    std::uint64_t seed) {
  xdream::Engine rng(seed);
  boost::random::normal_distribution<float> normal;
  xdream::Population codes(centre.size(), count);
  for (xdream::Index j = 0; j < count; ++j) {
    xdream::Code direction(centre.size());
    for (xdream::Index i = 0; i < centre.size(); ++i) direction[i] = normal(rng);
    codes.col(j) = centre + radius * direction.normalized();
  }
  return codes;
}

/// One code as a population of one.
inline xdream::Population column(const xdream::Code& code) { return code; }

}  // namespace xdream_test
