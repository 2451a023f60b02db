#pragma once
/// @file
/// Population objectives: a stimulus's score is how well the response of many channels (a
/// recorded array, or a network tap's units) matches a target pattern, not one channel's
/// response. Four measures (cosine similarity, Pearson correlation, dot product, negative mean
/// squared error) over a channel mask, each optionally on z-scored responses.

#include <xdream/detail/validate.hpp>
#include <xdream/population.hpp>
#include <xdream/result.hpp>

#include <Eigen/Core>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace xdream {

/// How a response vector r is compared with the target t (both over the masked channels, after
/// z-scoring when asked): cosine = r.t / (|r| |t|); correlation = Pearson's r of the two
/// vectors; dot = r.t; negative_mse = -mean((r - t)^2). Larger is better for all four.
enum class PatternMeasure { cosine, correlation, dot, negative_mse };

/// Per-channel statistics for z-scoring, z = (x - mean) / std, usually of the reference images'
/// responses (`ZScore::of`).
struct ZScore {
  Eigen::VectorXd mean;
  Eigen::VectorXd std;
  bool empty() const noexcept { return mean.size() == 0; }

  /// The mean and the standard deviation (ddof 0) of each row of `responses` (channels x
  /// stimuli), leaving out NaN; a channel with no spread gets std 1 (it is only centred), one
  /// with no value mean 0.
  static ZScore of(const Eigen::MatrixXd& responses) {
    ZScore z{Eigen::VectorXd::Zero(responses.rows()), Eigen::VectorXd::Ones(responses.rows())};
    for (Index c = 0; c < responses.rows(); ++c) {
      double sum = 0.0, sum_sq = 0.0;
      Index n = 0;
      for (Index j = 0; j < responses.cols(); ++j) {
        const double v = responses(c, j);
        if (std::isnan(v)) continue;
        sum += v;
        ++n;
      }
      if (n == 0) continue;
      const double mean = sum / static_cast<double>(n);
      for (Index j = 0; j < responses.cols(); ++j) {
        const double v = responses(c, j);
        if (!std::isnan(v)) sum_sq += (v - mean) * (v - mean);
      }
      const double sd = std::sqrt(sum_sq / static_cast<double>(n));
      z.mean[c] = mean;
      z.std[c] = sd > 0.0 ? sd : 1.0;
    }
    return z;
  }
};

/// A target pattern over channels and how a response vector is scored against it.
///
/// `mask` lists the channels compared (indices into the full response vector; empty = all), in
/// the order of `target`, which holds the target's value on each masked channel in the same
/// units as the responses (raw: a recorded pattern, or a reference image's response). With
/// `zscore` set, responses and target are both z-scored per channel (the statistics are for
/// the full channel set; the mask picks from them).
struct PopulationPattern {
  PatternMeasure measure = PatternMeasure::cosine;
  Eigen::VectorXd target;
  std::vector<Index> mask;
  ZScore zscore;

  /// Throws std::invalid_argument when the pattern cannot score responses of `channels`
  /// channels: a mask index out of range or repeated, a target of another length, non-finite
  /// target values, z statistics of another size or a std <= 0, or a cosine/correlation target
  /// that is constant (its direction or spread is 0).
  void validate(Index channels) const {
    constexpr const char* where = "xdream::PopulationPattern";
    const Index n = mask.empty() ? channels : static_cast<Index>(mask.size());
    std::vector<bool> seen(static_cast<std::size_t>(std::max<Index>(channels, 0)), false);
    for (Index c : mask) {
      if (c < 0 || c >= channels || seen[static_cast<std::size_t>(c)]) {
        detail::invalid(where, "mask", std::to_string(c),
                        "distinct channel indices in [0, " + std::to_string(channels - 1) + "]");
      }
      seen[static_cast<std::size_t>(c)] = true;
    }
    if (n < 2 && measure == PatternMeasure::correlation) {
      detail::invalid(where, "mask", std::to_string(n) + " channels", ">= 2 for a correlation");
    }
    if (target.size() != n) {
      detail::invalid(where, "target", std::to_string(target.size()) + " values",
                      std::to_string(n) + " (one per masked channel)");
    }
    if (!target.allFinite()) detail::invalid(where, "target", "non-finite values", "finite values");
    if (!zscore.empty() && (zscore.mean.size() != channels || zscore.std.size() != channels ||
                            !(zscore.std.array() > 0.0).all() || !zscore.mean.allFinite())) {
      detail::invalid(where, "zscore",
                      "statistics of " + std::to_string(zscore.mean.size()) + " channels",
                      std::to_string(channels) + " channels with std > 0");
    }
    const Eigen::VectorXd t = transformed_target();
    if (measure == PatternMeasure::cosine && !(t.norm() > 0.0)) {
      detail::invalid(where, "target", "a zero vector", "a direction for a cosine");
    }
    if (measure == PatternMeasure::correlation && !((t.array() - t.mean()).matrix().norm() > 0.0)) {
      detail::invalid(where, "target", "a constant vector", "a spread for a correlation");
    }
  }

  /// The score of one response vector over every channel (NaN when a masked channel's response
  /// is NaN, or when a cosine or correlation has nothing to divide by).
  double score(const Eigen::Ref<const Eigen::VectorXd>& responses) const {
    Workspace w(*this);
    return w.score(*this, responses);
  }

  /// Scores each column of `responses` (channels x stimuli): the same values as `score` on each
  /// column, with the target transformed once and no allocation per column.
  Scores scores(const Eigen::MatrixXd& responses) const {
    Scores out(responses.cols());
    Workspace w(*this);
    for (Index j = 0; j < responses.cols(); ++j) out[j] = w.score(*this, responses.col(j));
    return out;
  }

 private:
  // The target as compared (z-scored), what the measures need of it, the z statistics of the
  // masked channels in the mask's order, and room for one response: made once for a batch.
  // Every value is computed by the same expressions as `transform` and the measures' definitions,
  // so a batch's scores equal the scores one by one, bit for bit.
  struct Workspace {
    Eigen::VectorXd t, t_centred, r, r_centred, mean, sd;
    double t_norm = 0.0, t_centred_norm = 0.0;

    explicit Workspace(const PopulationPattern& p)
        : t(p.transformed_target()), r(t.size()), r_centred(t.size()) {
      t_norm = t.norm();
      if (p.measure == PatternMeasure::correlation) {
        t_centred = t.array() - t.mean();
        t_centred_norm = t_centred.norm();
      }
      if (!p.zscore.empty()) {
        mean.resize(t.size());
        sd.resize(t.size());
        for (Index k = 0; k < t.size(); ++k) {
          mean[k] = p.zscore.mean[p.channel(k)];
          sd[k] = p.zscore.std[p.channel(k)];
        }
      }
    }

    double score(const PopulationPattern& p, const Eigen::Ref<const Eigen::VectorXd>& responses) {
      const Index n = t.size();
      if (mean.size() == 0) {
        for (Index k = 0; k < n; ++k) {
          r[k] = responses[p.channel(k)];
          if (std::isnan(r[k])) return not_a_score;
        }
      } else {
        for (Index k = 0; k < n; ++k) {
          r[k] = (responses[p.channel(k)] - mean[k]) / sd[k];
          if (std::isnan(r[k])) return not_a_score;
        }
      }
      switch (p.measure) {
        case PatternMeasure::dot:
          return r.dot(t);
        case PatternMeasure::negative_mse:
          return -(r - t).squaredNorm() / static_cast<double>(r.size());
        case PatternMeasure::cosine: {
          const double norms = r.norm() * t_norm;
          return norms > 0.0 ? r.dot(t) / norms : not_a_score;
        }
        case PatternMeasure::correlation: {
          r_centred = r.array() - r.mean();
          const double norms = r_centred.norm() * t_centred_norm;
          return norms > 0.0 ? r_centred.dot(t_centred) / norms : not_a_score;
        }
      }
      return not_a_score;
    }
  };

  Index channel(Index k) const { return mask.empty() ? k : mask[static_cast<std::size_t>(k)]; }

  double transform(double value, Index channel) const {
    return zscore.empty() ? value : (value - zscore.mean[channel]) / zscore.std[channel];
  }

  Eigen::VectorXd transformed_target() const {
    Eigen::VectorXd t = target;
    for (Index k = 0; k < t.size(); ++k) {
      t[k] = transform(t[k], mask.empty() ? k : mask[static_cast<std::size_t>(k)]);
    }
    return t;
  }
};

}  // namespace xdream
