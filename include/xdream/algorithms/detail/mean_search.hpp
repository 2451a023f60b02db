#pragma once
/// @file
/// What the searches with a mean and a step size (CMAES, SepCMAES, CholeskyCMAES, LMMAES) share
/// besides their parameters: the first checks of their constructors and their accessors.

#include <xdream/algorithms/detail/cma_parameters.hpp>
#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace xdream::detail {

/// Requires a code size of at least 2 (`where`: the algorithm's name in messages); returns it.
inline Index checked_code_size(std::string_view where, Index n) {
  require_at_least(where, "code_size", n, Index{2});
  return n;
}

/// The checks that start a mean-and-step-size search's constructor: a code size of at least 2
/// and a finite initial mean. Returns the code size.
inline Index checked_initial_mean(std::string_view where, const Code& initial_mean) {
  const Index n = checked_code_size(where, initial_mean.size());
  if (!initial_mean.allFinite()) {
    throw std::invalid_argument(std::string(where) + ": the initial mean holds NaN or inf");
  }
  return n;
}

/// The settings CMAES and SepCMAES share, checked in this order: population_size (0 becomes the
/// family's default for code size n), sigma, threads.
template <class Options>
void settle_shared_options(std::string_view where, Options& options, Index n) {
  if (options.population_size == 0) options.population_size = default_population_size(n);
  require_at_least(where, "population_size", options.population_size, Index{2});
  require_positive(where, "sigma", options.sigma);
  require_at_least(where, "threads", options.threads, 1);
}

/// Gives `Derived` the accessors of a mean-and-step-size search, read from its public `state()`
/// (which has `mean`, `sigma` and `generation`) and `options()` (which has `population_size`).
template <class Derived>
class MeanSearch {
 public:
  /// The mean of the search distribution (never the luckiest sample).
  Code recommendation() const { return current().mean.template cast<float>(); }

  Index code_size() const noexcept { return current().mean.size(); }
  Index population_size() const noexcept { return self().options().population_size; }
  std::uint64_t generation() const noexcept { return current().generation; }
  double sigma() const noexcept { return current().sigma; }
  const Eigen::VectorXd& mean() const noexcept { return current().mean; }

 private:
  const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }
  const auto& current() const noexcept { return self().state(); }
};

}  // namespace xdream::detail
