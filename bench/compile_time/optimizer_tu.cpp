// The compile-time probe (docs/benchmarks.md): a translation unit that includes only the
// umbrella header and instantiates an Optimizer with the default GA, as a user's first program
// would. Timed with `time g++ -std=c++20 ... -c` (target: < 3 s); also built by CMake so that it
// keeps compiling.

#include <xdream/optimizer.hpp>

namespace {

struct Codes {
  xdream::Index code_size() const { return 4096; }
  const xdream::Population& generate(const xdream::Population& codes) const { return codes; }
};

struct Mean {
  xdream::Scores evaluate(const xdream::Population& stimuli) const {
    return stimuli.colwise().mean().transpose().cast<double>();
  }
};

}  // namespace

double xdream_compile_time_probe() {
  xdream::Optimizer<Codes, Mean> optimizer(Codes{}, Mean{});
  const xdream::Result result = optimizer.run(xdream::budget::generations(2));
  return result.best.score;
}
