// Stopping rules (include/xdream/callbacks/early_stop.hpp): EarlyStop after `patience` generations
// without a gain above `min_delta`, StopAtScore at the first generation reaching its target (the
// clean score when the objective reports one).
#include <xdream/callbacks/early_stop.hpp>
#include <xdream/generators/identity.hpp>
#include <xdream/optimizer.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

namespace {
using xdream::IdentityGenerator;
using xdream::Optimizer;
using xdream::Population;
using xdream::Scores;
namespace budget = xdream::budget;
namespace callbacks = xdream::callbacks;

// Scores every individual of the k-th evaluation with k * step (0, step, 2 step, ...).
struct Counter {
  double step = 1.0;
  int calls = 0;
  Scores evaluate(const Population& x) { return Scores::Constant(x.cols(), step * calls++); }
};

TEST_CASE("EarlyStop ends a run after patience generations without improvement") {
  struct Flat {
    Scores evaluate(const Population& x) { return Scores::Zero(x.cols()); }
  };
  Optimizer<IdentityGenerator, Flat> flat(IdentityGenerator(4), Flat{});
  const xdream::Result stopped = flat.run(budget::generations(100), callbacks::EarlyStop(5));
  CHECK(stopped.stopped_early);
  CHECK(stopped.generations == 6);  // the first generation sets the reference, 5 more without gain

  // A best that rises every generation never triggers it.
  Optimizer<IdentityGenerator, Counter> rising(IdentityGenerator(4), Counter{});
  const xdream::Result full = rising.run(budget::generations(30), callbacks::EarlyStop(2));
  CHECK_FALSE(full.stopped_early);
  CHECK(full.generations == 30);

  // Gains no larger than min_delta do not count: 0.25 per generation against min_delta 1 gives
  // 0.25, 0.5, 0.75 above the reference, three stale generations.
  Optimizer<IdentityGenerator, Counter> slow(IdentityGenerator(4), Counter{0.25});
  const xdream::Result small = slow.run(budget::generations(30), callbacks::EarlyStop(3, 1.0));
  CHECK(small.stopped_early);
  CHECK(small.generations == 4);

  CHECK_THROWS_WITH_AS(callbacks::EarlyStop(0), doctest::Contains("patience"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(callbacks::EarlyStop(3, -1.0), doctest::Contains("min_delta"),
                       std::invalid_argument);
}

TEST_CASE("StopAtScore ends a run at the first generation reaching the target") {
  Optimizer<IdentityGenerator, Counter> opt(IdentityGenerator(4), Counter{});
  const xdream::Result result = opt.run(budget::generations(30), callbacks::StopAtScore(5.0));
  CHECK(result.stopped_early);
  CHECK(result.generations == 6);  // scores 0, 1, ..., 5
  CHECK(result.best.score == 5.0);
}

TEST_CASE("StopAtScore judges the clean score when the objective reports one") {
  // Noisy scores are always 1000, clean ones count generations: noise must not end the run.
  struct Lucky {
    int calls = 0;
    Scores clean;
    Scores evaluate(const Population& x) {
      clean = Scores::Constant(x.cols(), calls++);
      return Scores::Constant(x.cols(), 1000.0);
    }
    const Scores& clean_scores() const { return clean; }
  };
  Optimizer<IdentityGenerator, Lucky> opt(IdentityGenerator(4), Lucky{});
  const xdream::Result result = opt.run(budget::generations(30), callbacks::StopAtScore(3.0));
  CHECK(result.stopped_early);
  CHECK(result.generations == 4);
}

TEST_CASE("StopAtScore rejects a NaN target") {
  CHECK_THROWS_WITH_AS(callbacks::StopAtScore(std::nan("")), doctest::Contains("target"),
                       std::invalid_argument);
}
}  // namespace
