// One minimal conforming class per concept (docs/concepts.md shows these), composed into a run.
// Built with the examples and run by ctest, so the documentation's classes always compile.
#include <xdream/optimizer.hpp>

#include <algorithm>
#include <cstdio>

// [generator]
// A Generator maps codes (one per column) to stimuli. Here: stimuli = 2 * codes.
struct DoublingGenerator {
  xdream::Index size;
  xdream::Index code_size() const { return size; }
  xdream::Population generate(const xdream::Population& codes) const { return 2.0f * codes; }
};
// [generator]

// [objective]
// An Objective scores a batch of stimuli: one double per column (NaN = no response).
struct NegativeSquaredNorm {
  xdream::Scores evaluate(const xdream::Population& stimuli) const {
    return -stimuli.colwise().squaredNorm().transpose().cast<double>();
  }
};
// [objective]

// [selection]
// A Selection is prepared with the valid scores sorted high to low, then draws parent indices.
struct BestHalf {
  xdream::Index n = 1;
  void prepare(const xdream::Scores& sorted) { n = std::max<xdream::Index>(1, sorted.size() / 2); }
  xdream::Index draw(xdream::Engine& rng) const {
    return static_cast<xdream::Index>(rng() % static_cast<std::uint64_t>(n));
  }
};
// [selection]

// [crossover]
// A Crossover writes a child from two parents.
struct Average {
  void cross(const Eigen::Ref<const xdream::Code>& p1, const Eigen::Ref<const xdream::Code>& p2,
             Eigen::Ref<xdream::Code> child, xdream::Engine&) const {
    child = 0.5f * (p1 + p2);
  }
};
// [crossover]

// [mutation]
// A Mutation perturbs a child in place and says whether it changed it.
struct NudgeFirstGene {
  bool mutate(Eigen::Ref<xdream::Code> child, xdream::Engine& rng) const {
    child[0] += (rng() % 2 == 0) ? 0.1f : -0.1f;
    return true;
  }
};
// [mutation]

// [callback]
// A Callback has any of on_start, on_generation and on_tell (true = stop), on_finish.
struct StopAfter {
  std::uint32_t last;
  bool on_generation(const xdream::GenerationReport& report) const {
    return report.stats.generation >= last;
  }
};
// [callback]

// [algorithm]
// An Algorithm: ask() gives the codes to score, tell(scores) takes their scores.
// Here: random search around the best code so far.
class RandomSearch {
 public:
  explicit RandomSearch(xdream::Index code_size) : codes_(code_size, 8), best_(code_size) {
    codes_.setZero();
    best_.setZero();
  }
  const xdream::Population& ask() const { return codes_; }
  void tell(const xdream::Scores& scores) {
    xdream::Index i = 0;
    if (scores.maxCoeff(&i) > best_score_) best_score_ = scores[i], best_ = codes_.col(i);
    for (xdream::Index k = 0; k < codes_.size(); ++k)
      codes_.data()[k] = best_[k % best_.size()] +
                         0.1f * static_cast<float>(static_cast<int>(rng_() % 21) - 10) / 10.0f;
  }
  xdream::Index code_size() const { return codes_.rows(); }
  xdream::Index population_size() const { return codes_.cols(); }

 private:
  xdream::Population codes_;
  xdream::Code best_;
  double best_score_ = -1e300;
  xdream::Engine rng_{42};
};
// [algorithm]

static_assert(xdream::Generator<DoublingGenerator>);
static_assert(xdream::Objective<NegativeSquaredNorm, xdream::Population>);
static_assert(xdream::Selection<BestHalf>);
static_assert(xdream::Crossover<Average>);
static_assert(xdream::Mutation<NudgeFirstGene>);
static_assert(xdream::Callback<StopAfter>);
static_assert(xdream::Algorithm<RandomSearch>);

int main() {
  DoublingGenerator generator{4};
  xdream::Genetic<BestHalf, Average, NudgeFirstGene> ga(4, {.population_size = 10, .seed = 1});
  xdream::Optimizer with_policies(generator, NegativeSquaredNorm{}, ga);
  StopAfter stop{29};
  const auto a = with_policies.run(xdream::budget::generations(1000), stop);

  xdream::Optimizer with_algorithm(generator, NegativeSquaredNorm{}, RandomSearch(4));
  const auto b = with_algorithm.run(xdream::budget::generations(30));
  std::printf("custom policies: %u generations, best %.4f; custom algorithm: best %.4f\n",
              a.generations, a.best.score, b.best.score);
  return a.generations == 30 && a.best.score <= 0.0 && b.best.score <= 0.0 ? 0 : 1;
}
