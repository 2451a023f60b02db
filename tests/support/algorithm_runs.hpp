#pragma once
// What the algorithm tests (tests/algorithms/) share: a test problem, scores written inline, and
// the runs several tests make (side by side, to a target, for a fixed budget).

#include <xdream/population.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>

namespace xdream_test {

/// f(x) = -sum_i cond^(i / (n - 1)) (x_i - 1)^2, in double from the float codes: maximum 0 at the
/// all-ones code (with n = 1, f(x) = -(x_0 - 1)^2).
struct Ellipsoid {
  xdream::Index n;
  double condition;
  xdream::Scores evaluate(const xdream::Population& x) const {
    xdream::Scores s(x.cols());
    for (xdream::Index k = 0; k < x.cols(); ++k) {
      double f = 0.0;
      for (xdream::Index i = 0; i < n; ++i) {
        const double d = static_cast<double>(x(i, k)) - 1.0;
        const double exponent = n > 1 ? static_cast<double>(i) / static_cast<double>(n - 1) : 0.0;
        f += std::pow(condition, exponent) * d * d;
      }
      s[k] = -f;
    }
    return s;
  }
};

/// Scores written inline: scores({1, 4, 2, 3}).
inline xdream::Scores scores(std::initializer_list<double> values) {
  xdream::Scores s(static_cast<xdream::Index>(values.size()));
  xdream::Index i = 0;
  for (double v : values) s[i++] = v;
  return s;
}

/// Checks that constructing an A from code size `n` and `options` throws std::invalid_argument
/// whose message names `parameter` and what is "allowed".
template <class A, class Options>
void check_rejects(xdream::Index n, const Options& options, const char* parameter) {
  CAPTURE(parameter);
  try {
    A a(n, options);
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find(parameter) != std::string::npos);
    CHECK(std::string(e.what()).find("allowed") != std::string::npos);
  }
}

/// Runs `a` and `b` side by side for `generations` generations on `objective` (anything with
/// `evaluate(codes)`), requiring that they show the same codes before every tell.
template <class A, class B, class Objective>
void run_side_by_side(A& a, B& b, const Objective& objective, int generations) {
  for (int g = 0; g < generations; ++g) {
    REQUIRE(a.ask() == b.ask());
    a.tell(objective.evaluate(a.ask()));
    b.tell(objective.evaluate(b.ask()));
  }
}

/// The objective's score of `algorithm`'s recommendation after `generations` generations on it.
template <class A, class Objective>
double score_after(A algorithm, const Objective& objective, int generations) {
  for (int g = 0; g < generations; ++g) algorithm.tell(objective.evaluate(algorithm.ask()));
  const xdream::Population best = algorithm.recommendation();
  return objective.evaluate(best)[0];
}

/// The generations `algorithm` takes until its recommendation scores above -1e-8 on `objective`
/// (whose maximum is 0); budget + 1 if it does not within `budget`.
template <class A, class Objective>
int generations_to_optimum(A& algorithm, const Objective& objective, int budget) {
  for (int g = 1; g <= budget; ++g) {
    algorithm.tell(objective.evaluate(algorithm.ask()));
    const xdream::Population mean = algorithm.recommendation();
    if (objective.evaluate(mean)[0] > -1e-8) return g;
  }
  return budget + 1;
}

/// Tells `a` scores without a valid score for any sample (`no_valid_score`) and checks that
/// nothing changed: the same codes are shown again at the same generation. Returns the state
/// from before, for the caller's own checks.
template <class A>
auto check_nothing_learned(A& a, const xdream::Scores& no_valid_score) {
  const xdream::Population shown = a.ask();
  auto state = a.state();
  a.tell(no_valid_score);
  CHECK(a.ask() == shown);
  CHECK(a.generation() == state.generation);
  return state;
}

/// The NaN rule of a mean-and-step-size search of population 6 (`make()` builds one): NaN scores
/// (slots 1 and 4) act as scores below every valid one, and an all-NaN generation changes nothing.
template <class Make>
void check_mean_search_nan_rule(Make make) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto with_nan = make(), with_low = make();
  // NaN in slots 1 and 4 acts as the lowest scores (same order among them: sample order).
  with_nan.tell(scores({5, nan, 3, 1, nan, 4}));
  with_low.tell(scores({5, -100, 3, 1, -99, 4}));
  CHECK(with_nan.mean() == with_low.mean());
  CHECK(with_nan.sigma() == with_low.sigma());

  const auto state = check_nothing_learned(with_nan, xdream::Scores::Constant(6, nan));
  CHECK(with_nan.mean() == state.mean);
}

}  // namespace xdream_test
