#include "summary.hpp"

#include "run_directory.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <string>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace xdream_evolve {

std::string what_is_scored(const EvolveConfig& c) {
  if (c.score_pattern.empty()) return "unit " + c.tap + "[" + std::to_string(c.unit) + "]";
  return "a " + c.pattern_measure + " pattern over " + std::to_string(c.score_pattern.size()) +
         " channel" + (c.score_pattern.size() == 1 ? "" : "s") + " of " + c.tap;
}

void report(const EvolveConfig& c, const std::vector<xdream::GenerationStats>& history,
            const xdream::OptimizerState& state, const Reference& reference, const fs::path& dir,
            const RunTimes& times) {
  const xdream::GenerationStats& last = history.back();
  const xdream::Best& best = state.best_clean.found() ? state.best_clean : state.best;
  json summary{{"generations", history.size()},
               {"stimuli", last.stimuli},
               {"final_best_clean", last.best_clean},
               {"best_clean_ever", std::isnan(best.clean_score) ? best.score : best.clean_score},
               {"best_score_ever", best.score},
               {"seconds", last.seconds}};
  if (times.generations > 0) {
    const auto generations = static_cast<double>(times.generations);
    summary["ms_per_generation"] = 1e3 * times.seconds / generations;
    summary["forward_ms_per_generation"] = 1e3 * times.forward_seconds / generations;
    summary["rest_share"] = (times.seconds - times.forward_seconds) / times.seconds;
  }
  const bool pattern = !c.score_pattern.empty();
  summary["objective"] = pattern ? "pattern" : "unit";
  if (pattern) summary["pattern_measure"] = c.pattern_measure;
  if (reference.known) {
    // reference_max: the best reference image's score, the unit's activation or the pattern's
    // score (NaN, written null, when no reference image has a pattern score).
    summary["reference_max"] = reference.max;
    summary["reference_count"] = reference.count;
    summary["reference_split"] = reference.split;
    summary["reference_best_index"] = reference.best_index;
    if (pattern) {
      summary["margin_over_reference"] = last.best_clean - reference.max;
    } else {
      summary["relative_activation"] = last.best_clean / reference.max;
      // A ratio to a best reference response <= 0 means nothing (the unit is silent on natural
      // images); tables should leave such units out.
      summary["relative_activation_meaningful"] = reference.max > 0.0;
    }
    if (!std::isnan(reference.test_max)) {
      summary["test_set_max"] = reference.test_max;
      if (pattern) {
        summary["margin_over_test_set"] = last.best_clean - reference.test_max;
      } else {
        summary["relative_to_test_set"] = last.best_clean / reference.test_max;
      }
    }
    if (reference.pool > 0) {
      summary["brute_force_expected_max"] = reference.brute_force;
      if (pattern) {
        summary["brute_force_margin"] = reference.brute_force - reference.max;
      } else {
        summary["brute_force_relative"] = reference.brute_force / reference.max;
      }
      summary["brute_force_pool"] = reference.pool;
    }
  }
  xdream_apps::write_text_atomically(dir / "summary.json", summary.dump(2) + "\n");

  std::printf("xdream-evolve: %s, %s, %zu generations, %llu stimuli, %.1f s\n",
              name_of(c.algorithm).c_str(), what_is_scored(c).c_str(), history.size(),
              static_cast<unsigned long long>(last.stimuli), last.seconds);
  if (pattern) {
    std::printf("  final generation's best pattern score (%s): %.6g\n", c.pattern_measure.c_str(),
                last.best_clean + 0.0);
  } else {
    std::printf("  final generation's best activation (clean): %.6g\n", last.best_clean);
  }
  if (reference.known && pattern) {
    // + 0.0: a negative MSE of 0 is -0.0, printed "0".
    std::printf("  best of %lld reference images (Fashion-MNIST %s #%lld): %.6g%s\n",
                static_cast<long long>(reference.count), reference.split.c_str(),
                static_cast<long long>(reference.best_index), reference.max + 0.0,
                std::isnan(reference.max) ? " (no reference image has a pattern score)" : "");
    std::printf(
        "  margin over the best reference image (evolved - reference; a pattern score "
        "has no ratio): %+.6g\n",
        last.best_clean - reference.max);
    if (!std::isnan(reference.test_max)) {
      std::printf("  margin over the best of the 10000 test images: %+.6g\n",
                  last.best_clean - reference.test_max);
    }
    if (reference.pool > 0) {
      std::printf(
          "  brute-force control (expected best of %llu random training images): %.6g (margin "
          "%+.6g)\n",
          static_cast<unsigned long long>(reference.budget), reference.brute_force,
          reference.brute_force - reference.max);
    }
  } else if (reference.known) {
    const double relative = last.best_clean / reference.max;
    std::printf("  best of %lld reference images (Fashion-MNIST %s #%lld): %.6g\n",
                static_cast<long long>(reference.count), reference.split.c_str(),
                static_cast<long long>(reference.best_index), reference.max);
    std::printf(
        "  relative activation: %.3f%s\n", relative,
        reference.max > 0.0 ? "" : " (not meaningful: the unit's best reference response is <= 0)");
    if (!std::isnan(reference.test_max)) {
      std::printf("  relative to the best of the 10000 test images: %.3f\n",
                  last.best_clean / reference.test_max);
    }
    if (reference.pool > 0) {
      std::printf("  brute-force control (expected best of %llu random training images): %.3f\n",
                  static_cast<unsigned long long>(reference.budget),
                  reference.brute_force / reference.max);
    }
  }
  std::printf("  record: %s\n", dir.string().c_str());
}
}  // namespace xdream_evolve
