#include "model.hpp"

#include <xdream/random.hpp>

#include <boost/random/poisson_distribution.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <numeric>

namespace xdream_fakerig {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// What a stream's numbers are used for (with a sub-coordinate, e.g. the channel).
enum class Use : std::uint64_t {
  spikes = 1,
  fixation = 2,
  gain = 3,
  unknown_ids = 4,
  reorder = 5,
  stale = 6,
  other_session = 7
};

/// The stream of (seed, block, stimulus id, rep, use, sub) through xdream's stream seeds: the
/// first three coordinates make a key, the rest a stream of that key.
xdream::Engine stream(std::uint64_t seed, std::int64_t block, std::string_view stim_id, int rep,
                      Use use, std::uint64_t sub = 0) {
  const std::uint64_t key = xdream::stream_seed(seed, static_cast<std::uint64_t>(block),
                                                id_hash(stim_id), xdream::Purpose::user);
  return xdream::make_stream(key, static_cast<std::uint64_t>(rep),
                             (static_cast<std::uint64_t>(use) << 32) | sub, xdream::Purpose::noise);
}

/// A uniform number in (0, 1), never 0 or 1.
double open_uniform(xdream::Engine& rng) {
  return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
}

std::int64_t poisson(double mean, xdream::Engine& rng) {
  if (!(mean > 0.0)) return 0;
  boost::random::poisson_distribution<std::int64_t, double> spikes(mean);
  return spikes(rng);
}

/// The gain of each correlated channel (1 ... K) in (0.3, 1), fixed for the seed.
std::vector<double> channel_gains(const RigOptions& o) {
  std::vector<double> gains(static_cast<std::size_t>(o.channels), 0.0);
  for (int c = 1; c <= o.correlated; ++c) {
    xdream::Engine rng = stream(o.seed, 0, "", 0, Use::gain, static_cast<std::uint64_t>(c));
    gains[static_cast<std::size_t>(c)] = 0.3 + 0.7 * open_uniform(rng);
  }
  return gains;
}

void add_fault(std::string& faults, const std::string& fault) {
  if (faults.find(fault) != std::string::npos) return;
  faults += faults.empty() ? fault : "," + fault;
}

/// A session tag that is not `session`: 8 hex digits drawn for (seed, purpose).
std::string other_session(std::uint64_t seed, const std::string& session) {
  xdream::Engine rng = stream(seed, 0, session, 0, Use::other_session);
  for (;;) {
    char tag[16];
    std::snprintf(tag, sizeof tag, "%08llx", static_cast<unsigned long long>(rng() & 0xffffffffu));
    if (tag != session) return tag;
  }
}

std::string image_file(std::int64_t block, std::size_t index, const std::string& stim_id) {
  char position[16];
  std::snprintf(position, sizeof position, "_%03zu_", index);
  return block_name(block) + position + stim_id + ".png";
}

/// What the file calls an image of file name `file` and id `stim_id`.
std::string name_for(const RigOptions& o, const std::filesystem::path& dir, const std::string& file,
                     const std::string& stim_id) {
  if (o.format == Format::json || o.names == Names::id) return stim_id;
  if (o.names == Names::path) {
    const std::string folder =
        std::filesystem::absolute(dir).lexically_normal().filename().string();
    return "N:\\Stimuli\\" + (folder.empty() ? std::string("exchange") : folder) + "\\" + file;
  }
  return file;
}

}  // namespace

std::uint64_t id_hash(std::string_view id) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : id) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

BlockResult simulate_block(const RigOptions& o, const Manifest& m,
                           const std::vector<double>& activation, double reference_max,
                           const std::string& never_score_id) {
  BlockResult r;
  const std::size_t images = m.stimuli.size();
  const auto per_trial = static_cast<std::size_t>(o.images_per_trial);
  for (int rep = 0; rep < m.reps; ++rep) {
    for (std::size_t i = 0; i < images; ++i) {
      const std::size_t row = r.rows.size();
      r.rows.push_back({.stimulus = i, .rep = rep, .trial = row / per_trial});
    }
  }
  const std::size_t n = r.rows.size();
  const std::size_t trials = (n + per_trial - 1) / per_trial;
  const double on = o.on_ms / 1e3, off = o.off_ms / 1e3, iti = o.iti_ms / 1e3;
  const double window = o.window_ms / 1e3;

  // Fixation: a trial breaks with probability --fixation-break (every trial of --lost-block),
  // drawn from the stream of its first presentation.
  std::vector<bool> broken(trials, false);
  double clock = 0.0;
  for (std::size_t t = 0; t < trials; ++t) {
    const Presentation& first = r.rows[t * per_trial];
    xdream::Engine rng =
        stream(o.seed, m.block, m.stimuli[first.stimulus].stim_id, first.rep, Use::fixation);
    broken[t] = m.block == o.lost_block || open_uniform(rng) < o.fixation_break;
    const std::size_t shown = std::min(per_trial, n - t * per_trial);
    clock += static_cast<double>(shown) * (on + off) + iti;
    r.trial_end_s.push_back(clock);
  }

  const std::vector<double> gains = channel_gains(o);
  const bool unit_lost = o.unit_loss_block > 0 && m.block >= o.unit_loss_block;
  const bool dropout = o.dropout_block > 0 && m.block >= o.dropout_block;
  r.values.resize(static_cast<Eigen::Index>(n), o.channels);
  r.faults.assign(n, "");
  for (std::size_t row = 0; row < n; ++row) {
    const Presentation& p = r.rows[row];
    const std::string& id = m.stimuli[p.stimulus].stim_id;
    const auto e = static_cast<Eigen::Index>(row);
    // The expected spike count of the target in the window: max(0, a) L / reference_max.
    double target = std::max(0.0, activation[p.stimulus]) * o.spikes / reference_max;
    if (unit_lost) target *= 0.1;
    for (int c = 0; c < o.channels; ++c) {
      xdream::Engine rng =
          stream(o.seed, m.block, id, p.rep, Use::spikes, static_cast<std::uint64_t>(c));
      const double mean = c == 0              ? target
                          : c <= o.correlated ? gains[static_cast<std::size_t>(c)] * target
                                              : o.noise_rate_hz * window;
      r.values(e, c) = std::isfinite(mean) ? static_cast<double>(poisson(mean, rng)) / window : nan;
    }
    if (unit_lost) add_fault(r.faults[row], "unit-loss");
    if (dropout) {
      r.values(e, o.dropout_channel) = nan;
      add_fault(r.faults[row], "dropout");
    }
    if (broken[p.trial]) {
      r.values.row(e).setConstant(nan);
      add_fault(r.faults[row], m.block == o.lost_block ? "lost-block" : "fixation-break");
    } else if (!never_score_id.empty() && id == never_score_id) {
      r.values.row(e).setConstant(nan);
      add_fault(r.faults[row], "never-scored");
    }
    if (r.values.row(e).array().isFinite().any()) ++r.valid;
  }
  return r;
}

FileRows compose_file(const RigOptions& o, const std::filesystem::path& dir, const Manifest& m,
                      const BlockResult& result, bool conflict) {
  const std::size_t n = result.rows.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (o.reorder) {
    xdream::Engine rng = stream(o.seed, m.block, "", 0, Use::reorder);
    for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  }
  // Unknown ids: exactly round(fraction x rows) rows, drawn for the block, name images of
  // another session.
  std::vector<bool> unknown(n, false);
  if (o.unknown_ids > 0.0 && (o.unknown_ids_block == 0 || o.unknown_ids_block == m.block)) {
    std::vector<std::size_t> rows(n);
    std::iota(rows.begin(), rows.end(), std::size_t{0});
    xdream::Engine rng = stream(o.seed, m.block, "", 0, Use::unknown_ids);
    const auto k = static_cast<std::size_t>(std::llround(o.unknown_ids * static_cast<double>(n)));
    for (std::size_t i = 0; i < k; ++i) {
      std::swap(rows[i], rows[i + rng() % (n - i)]);
      unknown[rows[i]] = true;
    }
  }
  const std::string other = other_session(o.seed, m.session);
  const bool schema = o.schema_block == m.block;

  FileRows f;
  f.values.resize(static_cast<Eigen::Index>(n), o.channels);
  std::map<std::string, int> seen;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t row = order[k];
    const Presentation& p = result.rows[row];
    const Stimulus& s = m.stimuli[p.stimulus];
    std::string faults = result.faults[row];
    std::string id = s.stim_id, file = s.file;
    if (unknown[row]) {
      id = other + "-g" + std::to_string(m.generation) + "-" + std::to_string(row);
      file = image_file(m.block, p.stimulus, id);
      add_fault(faults, "unknown-id");
    }
    f.names.push_back(name_for(o, dir, file, id));
    f.stim_ids.push_back(id);
    // .json says each row's rep; .mat and .h5 imply it by the order of the rows.
    f.reps.push_back(o.format == Format::json ? p.rep : seen[f.names.back()]++);
    f.values.row(static_cast<Eigen::Index>(k)) = result.values.row(static_cast<Eigen::Index>(row));
    if (o.reorder) add_fault(faults, "reorder");
    if (schema && o.schema_fault != SchemaFault::none)
      add_fault(faults, "schema-" + name_of(o.schema_fault));
    f.faults.push_back(faults);
  }
  if (conflict) {
    const double spike = 1e3 / o.window_ms;
    f.values = f.values.unaryExpr([spike](double v) { return std::isfinite(v) ? v + spike : v; });
  }
  if (schema && o.schema_fault == SchemaFault::nan) f.values.setConstant(nan);
  if (schema && o.schema_fault == SchemaFault::inf && n > 0) {
    f.values.row(0).setConstant(std::numeric_limits<double>::infinity());
  }
  return f;
}

FileRows stale_rows(const RigOptions& o, const std::filesystem::path& dir, std::string* session) {
  *session = other_session(o.seed, "stale");
  constexpr std::size_t images = 40;
  const double window = o.window_ms / 1e3;
  FileRows f;
  f.values.resize(images, o.channels);
  for (std::size_t i = 0; i < images; ++i) {
    const std::string id = *session + "-g0-" + std::to_string(i);
    f.names.push_back(name_for(o, dir, image_file(1, i, id), id));
    f.stim_ids.push_back(id);
    f.reps.push_back(0);
    f.faults.push_back("stale-file");
    for (int c = 0; c < o.channels; ++c) {
      xdream::Engine rng = stream(o.seed, 1, id, 0, Use::stale, static_cast<std::uint64_t>(c));
      f.values(static_cast<Eigen::Index>(i), c) =
          static_cast<double>(poisson(o.noise_rate_hz * window, rng)) / window;
    }
  }
  return f;
}

}  // namespace xdream_fakerig
