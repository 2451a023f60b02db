#include "pattern.hpp"

#include <Eigen/Core>

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <utility>
#include <vector>

namespace xdream_evolve {

using xdream_apps::bad;

xdream::PatternMeasure measure_of(const std::string& name) {
  if (name == "correlation") return xdream::PatternMeasure::correlation;
  if (name == "dot") return xdream::PatternMeasure::dot;
  if (name == "negative-mse") return xdream::PatternMeasure::negative_mse;
  if (name == "cosine") return xdream::PatternMeasure::cosine;
  bad("pattern-measure", name, "cosine, correlation, dot or negative-mse");
}

void check_pattern_channels(const EvolveConfig& c, std::int64_t channels, const std::string& tap) {
  for (std::int64_t channel : c.score_pattern) {
    if (channel < 0 || channel >= channels) {
      bad("score-pattern", std::to_string(channel),
          "channels of tap '" + tap + "', in [0, " + std::to_string(channels - 1) + "]");
    }
  }
}

xdream::PopulationPattern make_pattern(const EvolveConfig& c, std::int64_t channels,
                                       const xdream::Population* reference) {
  check_pattern_channels(c, channels, c.tap);
  xdream::PopulationPattern p;
  p.measure = measure_of(c.pattern_measure);
  p.mask.assign(c.score_pattern.begin(), c.score_pattern.end());
  const auto n = static_cast<xdream::Index>(p.mask.size());
  const auto channel = [&](xdream::Index k) { return p.mask[static_cast<std::size_t>(k)]; };
  const bool from_image = c.pattern_reference != -1;
  if (from_image) {
    if (reference == nullptr || c.pattern_reference >= reference->cols()) {
      bad("pattern-reference", std::to_string(c.pattern_reference),
          "an index into the " + std::to_string(reference ? reference->cols() : 0) +
              " reference images");
    }
    p.target.resize(n);
    for (xdream::Index k = 0; k < n; ++k) {
      p.target[k] = (*reference)(channel(k), static_cast<xdream::Index>(c.pattern_reference));
    }
  } else {
    p.target = Eigen::Map<const Eigen::VectorXd>(c.pattern_target.data(), n);
  }
  if (c.pattern_zscore) {
    if (reference == nullptr) {
      bad("pattern-zscore", "true", "a reference set to z-score against (--reference)");
    }
    // The statistics of the pattern's channels only: the others are never compared (mean 0 and
    // std 1 keep them valid statistics).
    Eigen::MatrixXd rows(n, reference->cols());
    for (xdream::Index k = 0; k < n; ++k) rows.row(k) = reference->row(channel(k)).cast<double>();
    const xdream::ZScore of_rows = xdream::ZScore::of(rows);
    p.zscore.mean = Eigen::VectorXd::Zero(channels);
    p.zscore.std = Eigen::VectorXd::Ones(channels);
    for (xdream::Index k = 0; k < n; ++k) {
      p.zscore.mean[channel(k)] = of_rows.mean[k];
      p.zscore.std[channel(k)] = of_rows.std[k];
    }
  }
  // The target as it is compared (z-scored with the responses).
  Eigen::VectorXd compared = p.target;
  if (!p.zscore.empty()) {
    for (xdream::Index k = 0; k < n; ++k) {
      compared[k] = (compared[k] - p.zscore.mean[channel(k)]) / p.zscore.std[channel(k)];
    }
  }
  const char* option = from_image ? "pattern-reference" : "pattern-target";
  const auto described = [&](const char* what) {
    const std::string vector =
        what + std::string(c.pattern_zscore ? " after --pattern-zscore" : "");
    return from_image ? std::to_string(c.pattern_reference) + " (its response is " + vector + ")"
                      : vector;
  };
  if (p.measure == xdream::PatternMeasure::cosine && !(compared.norm() > 0.0)) {
    bad(option, described("a zero vector"), "a direction for --pattern-measure cosine");
  }
  if (p.measure == xdream::PatternMeasure::correlation &&
      !((compared.array() - compared.mean()).matrix().norm() > 0.0)) {
    bad(option, described("a constant vector"),
        "a spread across the channels for --pattern-measure correlation");
  }
  try {
    p.validate(channels);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("option --score-pattern: ") + e.what());
  }
  return p;
}

ImageScorer pattern_scorer(const xdream::PopulationPattern& pattern, const std::string& network,
                           const std::string& tap) {
  return [pattern, network, tap](const xdream::Population& all, const std::string& split) {
    std::vector<double> scores(static_cast<std::size_t>(all.cols()));
    Eigen::VectorXd responses(all.rows());
    for (xdream::Index i = 0; i < all.cols(); ++i) {
      for (xdream::Index channel : pattern.mask) {
        if (!std::isfinite(all(channel, i))) {
          throw std::runtime_error("xdream: network file '" + network + "' gives channel " +
                                   std::to_string(channel) + " of tap '" + tap +
                                   "' a non-finite activation (" + std::to_string(all(channel, i)) +
                                   ") on reference image " + std::to_string(i) + " of the " +
                                   split + " split; check the model and --mean/--std");
        }
      }
      responses = all.col(i).cast<double>();
      scores[static_cast<std::size_t>(i)] = pattern.score(responses);
    }
    return scores;
  };
}

}  // namespace xdream_evolve
