// The domain benchmark: Wang & Ponce's protocol (GECCO 2022) on synthetic neuron-like
// units in a 4096-d code space, every algorithm side by side.
//
// Protocol: 3,000 stimuli per run (75 generations of 40, or 150 of 20), multiplicative noise
// nu in {0, 0.2, 0.5} (score = a * max(0, 1 + nu Z)), judged on the CLEAN activations: a run's
// result is the best clean activation among all the stimuli it presented, divided by the best
// clean activation any run of any algorithm reached on the same unit ("normalized clean max").
// Units: UnitLike (fc6 scale), SubspaceUnit, AngleContrastUnit, RandomReluUnit, a few instances
// each (seeds), each algorithm with its published settings. See docs/algorithms.md, "Domain
// benchmark".
//
// Usage:
//   domain_benchmark [--seeds N] [--instances N] [--noise x,y,...] [--out FILE.csv] [--jobs N]
//                    [--algorithms a,b,...] [--objectives a,b,...] [--dimension N] [--budget N]
//                    [--cmaes-seeds N] [--cmaes-instances N] [--cmaes-noise x,y,...] [--quick]
//
// Defaults: 5 seeds, 2 instances of each of the 4 kinds, nu = 0, 0.2, 0.5, 4096-d, 3,000
// stimuli, all cores. Full-covariance CMA-ES (minutes per run at 4096-d) runs on a subset:
// --cmaes-seeds 1 --cmaes-instances 1 --cmaes-noise 0 by default.
//
// Writes one CSV row per run (objective, instance, algorithm, noise, seed, best_clean,
// normalized, seconds, ...); bench/domain_table.py turns it into the markdown table. Runs are
// independent and seeded by (instance, noise, seed) only, so the CSV does not depend on --jobs
// (apart from the seconds column).

#include <xdream/algorithms/sep_cmaes.hpp>
#include <xdream/budget.hpp>
#include <xdream/driver.hpp>
#include <xdream/generators/identity.hpp>
#include <xdream/genetic/presets.hpp>
#include <xdream/objectives/angle_contrast_unit.hpp>
#include <xdream/objectives/multiplicative_noise.hpp>
#include <xdream/objectives/random_relu_unit.hpp>
#include <xdream/objectives/subspace_unit.hpp>
#include <xdream/objectives/unit_like.hpp>
#include <xdream/random.hpp>
#include <xdream/version.hpp>

// Algorithms that live in their own headers join the table when their header is there.
#if __has_include(<xdream/algorithms/cholesky_cmaes.hpp>)
#include <xdream/algorithms/cholesky_cmaes.hpp>
#define XDREAM_DOMAIN_HAVE_CHOLESKY 1
#endif
#if __has_include(<xdream/algorithms/cmaes.hpp>)
#include <xdream/algorithms/cmaes.hpp>
#define XDREAM_DOMAIN_HAVE_CMAES 1
#endif
#if __has_include(<xdream/algorithms/sphere_cma.hpp>)
#include <xdream/algorithms/sphere_cma.hpp>
#define XDREAM_DOMAIN_HAVE_SPHERE 1
#endif
#if __has_include(<xdream/algorithms/lm_ma_es.hpp>)
#include <xdream/algorithms/lm_ma_es.hpp>
#define XDREAM_DOMAIN_HAVE_LMMAES 1
#endif
#if __has_include(<xdream/algorithms/fdgd.hpp>)
#include <xdream/algorithms/fdgd.hpp>
#define XDREAM_DOMAIN_HAVE_FDGD 1
#endif
#if __has_include(<xdream/algorithms/nes.hpp>)
#include <xdream/algorithms/nes.hpp>
#define XDREAM_DOMAIN_HAVE_NES 1
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using xdream::Index;
using xdream::Population;
using xdream::Scores;

// ---- objectives ---------------------------------------------------------------------------------

// The unit a run optimizes, behind one type: the evaluation (tens of microseconds per stimulus
// at 4096-d) dwarfs an indirect call, and one type keeps the Optimizer instantiations few.
struct Unit {
  std::function<Scores(const Population&)> function;
  Scores evaluate(const Population& x) const { return function(x); }
};

// The units' scale is DeePSiM fc6's (docs/algorithms.md): codes evolved there reach norm ~300,
// N(0, I) codes have norm sqrt(4096) = 64. Each kind uses its header's defaults, which are set
// for that scale; UnitLike's defaults are for N(0, I) norms, so it gets r0 = 300 and its own
// default width ratio s = r0 / 2.
const std::vector<std::string> all_objectives = {"unit_like", "subspace", "angle_contrast",
                                                 "network"};

Unit make_unit(const std::string& kind, Index dimension, std::uint64_t seed) {
  if (kind == "unit_like") {
    auto unit = std::make_shared<xdream::UnitLike>(dimension, seed, 300.0, 150.0);
    return {[unit](const Population& x) { return unit->evaluate(x); }};
  }
  if (kind == "subspace") {
    auto unit = std::make_shared<xdream::SubspaceUnit>(dimension, seed);
    return {[unit](const Population& x) { return unit->evaluate(x); }};
  }
  if (kind == "angle_contrast") {
    auto unit = std::make_shared<xdream::AngleContrastUnit>(dimension, seed);
    return {[unit](const Population& x) { return unit->evaluate(x); }};
  }
  if (kind == "network") {
    auto unit = std::make_shared<xdream::RandomReluUnit>(dimension, seed);
    return {[unit](const Population& x) { return unit->evaluate(x); }};
  }
  throw std::invalid_argument("domain_benchmark: unknown objective '" + kind + "'");
}

// ---- algorithms ---------------------------------------------------------------------------------

struct RunSpec {
  std::string objective;
  int instance = 0;
  std::string algorithm;
  double noise = 0.0;
  int seed = 0;
};

struct RunResult {
  double best_clean = NAN;
  double best_norm = NAN;  // norm of the code that reached best_clean
  std::uint64_t stimuli = 0;
  std::uint32_t generations = 0;
  double seconds = 0.0;
};

// Stream seeds: the unit's from (objective, instance), the noise's from (unit, noise, seed), the
// algorithm's from the seed alone, so every algorithm meets the same units and seeds.
std::uint64_t unit_seed(const std::string& kind, int instance) {
  std::uint64_t h = 0x6a09e667f3bcc908ULL;
  for (const char c : kind) h = xdream::detail::mix64(h ^ static_cast<unsigned char>(c));
  return xdream::detail::mix64(h ^ static_cast<std::uint64_t>(instance));
}

template <class Algorithm>
RunResult drive(Algorithm algorithm, const RunSpec& spec, const Unit& unit, Index dimension,
                std::uint64_t budget) {
  const std::uint64_t noise_seed = xdream::stream_seed(
      unit_seed(spec.objective, spec.instance), static_cast<std::uint64_t>(spec.noise * 1000.0),
      static_cast<std::uint64_t>(spec.seed), xdream::Purpose::noise);
  xdream::MultiplicativeNoise<Unit> noisy(unit, {.noise_level = spec.noise, .seed = noise_seed});
  xdream::Optimizer optimizer(xdream::IdentityGenerator(dimension), std::move(noisy),
                              std::move(algorithm));
  const xdream::Result result = optimizer.run(xdream::budget::stimuli(budget));
  RunResult out;
  out.best_clean = result.best_clean.clean_score;
  out.best_norm = result.best_clean.found() ? result.best_clean.code.cast<double>().norm() : NAN;
  out.stimuli = result.stimuli;
  out.generations = result.generations;
  out.seconds = result.seconds;
  return out;
}

struct AlgorithmEntry {
  std::string name;
  std::string settings;  // for the log: what "published settings" means here
  std::function<RunResult(const RunSpec&, const Unit&, Index, std::uint64_t)> run;
  bool expensive = false;  // full-covariance CMA-ES: run on fewer seeds
};

std::vector<AlgorithmEntry> algorithms() {
  std::vector<AlgorithmEntry> list;
  const auto seed_of = [](const RunSpec& s) { return static_cast<std::uint64_t>(s.seed); };
  list.push_back({"GA_fc6",
                  "XDream GA, paper fc6 settings: pop 20, rate 0.5, size 0.5, sel 2, "
                  "her 0.5, conserve 0; N(0,1) init",
                  [=](const RunSpec& s, const Unit& u, Index n, std::uint64_t b) {
                    return drive(xdream::make_genetic(n, xdream::presets::fc6, seed_of(s)), s, u, n,
                                 b);
                  }});
  list.push_back({"GA_lab",
                  "Wang & Ponce lab GA: pop 40, rate 0.25, size 0.75, kT = 2 std, "
                  "her 0.75, conserve 10; N(0,1) init",
                  [=](const RunSpec& s, const Unit& u, Index n, std::uint64_t b) {
                    return drive(
                        xdream::make_genetic(n, xdream::presets::wang_ponce_lab, seed_of(s)), s, u,
                        n, b);
                  }});
  list.push_back({"SepCMAES", "lambda 40, mu 20, sigma0 3, mean 0",
                  [=](const RunSpec& s, const Unit& u, Index n, std::uint64_t b) {
                    return drive(xdream::SepCMAES(
                                     n, {.population_size = 40, .sigma = 3.0, .seed = seed_of(s)}),
                                 s, u, n, b);
                  }});
#ifdef XDREAM_DOMAIN_HAVE_CHOLESKY
  list.push_back({"CholeskyCMAES", "lambda 40, mu 20, sigma0 3, A updated every 10 gens, mean 0",
                  [=](const RunSpec& s, const Unit& u, Index n, std::uint64_t b) {
                    return drive(xdream::CholeskyCMAES(n, {.population_size = 40,
                                                           .mu = 20,
                                                           .sigma = 3.0,
                                                           .update_interval = 10,
                                                           .seed = seed_of(s)}),
                                 s, u, n, b);
                  }});
#endif
#ifdef XDREAM_DOMAIN_HAVE_SPHERE
  list.push_back({"SphereCMA", "R 300, lambda 40 (+ centre), mu 20, lr 1.5, 50 -> 7.33 deg",
                  [=](const RunSpec& s, const Unit& u, Index n, std::uint64_t b) {
                    return drive(xdream::SphereCMA(n, {.seed = seed_of(s)}), s, u, n, b);
                  }});
#endif
#ifdef XDREAM_DOMAIN_HAVE_CMAES
  list.push_back({"CMAES", "full covariance (lazy), lambda 40, sigma0 3, mean 0",
                  [=](const RunSpec& s, const Unit& u, Index n, std::uint64_t b) {
                    return drive(
                        xdream::CMAES(n, {.population_size = 40, .sigma = 3.0, .seed = seed_of(s)}),
                        s, u, n, b);
                  },
                  true});
#endif
#ifdef XDREAM_DOMAIN_HAVE_LMMAES
  list.push_back(
      {"LMMAES", "lambda 40, sigma0 3, mean 0, reference memory",
       [=](const RunSpec& s, const Unit& u, Index n, std::uint64_t b) {
         return drive(xdream::LMMAES(n, {.population_size = 40, .sigma = 3.0, .seed = seed_of(s)}),
                      s, u, n, b);
       }});
#endif
#ifdef XDREAM_DOMAIN_HAVE_FDGD
  list.push_back({"FDGD", "paper: n 20 (10 antithetic pairs), r 1.25, lr 1.25, centre 0",
                  [=](const RunSpec& s, const Unit& u, Index n, std::uint64_t b) {
                    return drive(xdream::FDGD(n, {.seed = seed_of(s)}), s, u, n, b);
                  }});
#endif
#ifdef XDREAM_DOMAIN_HAVE_NES
  list.push_back({"NES",
                  "paper: n 20 (antithetic), r 1.25, lr 1.75, rho 0.05, r_min 0.01, "
                  "centre 0",
                  [=](const RunSpec& s, const Unit& u, Index n, std::uint64_t b) {
                    return drive(xdream::NES(n, {.seed = seed_of(s)}), s, u, n, b);
                  }});
#endif
  return list;
}

// ---- command line -------------------------------------------------------------------------------

struct Settings {
  int seeds = 5;
  int instances = 2;
  // The subset of the grid full-covariance CMA-ES runs on.
  int cmaes_seeds = 1;
  int cmaes_instances = 1;
  std::vector<double> cmaes_noise = {0.0};
  int jobs = 0;  // 0 = hardware concurrency
  Index dimension = 4096;
  std::uint64_t budget = 3000;
  std::vector<double> noise = {0.0, 0.2, 0.5};
  std::vector<std::string> objectives = all_objectives;
  std::vector<std::string> algorithm_filter;  // empty = all
  std::string out = "domain_benchmark.csv";
};

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "domain_benchmark: " << problem << "\n"
            << "usage: domain_benchmark [--seeds N] [--instances N] [--out FILE.csv] [--jobs N]\n"
            << "         [--algorithms a,b] [--objectives a,b] [--noise x,y] [--dimension N]\n"
            << "         [--budget N] [--cmaes-seeds N] [--cmaes-instances N] [--cmaes-noise x,y]\n"
            << "         [--quick]\n";
  std::exit(2);
}

Settings parse(int argc, char** argv) {
  Settings s;
  const auto integer = [&](int& i, long long lo) {
    if (i + 1 >= argc) usage(std::string(argv[i]) + " needs a value");
    char* end = nullptr;
    const long long v = std::strtoll(argv[i + 1], &end, 10);
    if (*end != '\0' || v < lo)
      usage(std::string(argv[i]) + " " + argv[i + 1] + ": not an integer >= " + std::to_string(lo));
    ++i;
    return v;
  };
  const auto text = [&](int& i) -> std::string {
    if (i + 1 >= argc) usage(std::string(argv[i]) + " needs a value");
    return argv[++i];
  };
  const auto numbers = [&](const std::string& list) {
    std::vector<double> values;
    for (const auto& v : split(list)) {
      char* end = nullptr;
      const double x = std::strtod(v.c_str(), &end);
      if (*end != '\0' || !(x >= 0.0)) usage("'" + v + "' is not a noise level >= 0");
      values.push_back(x);
    }
    return values;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seeds")
      s.seeds = static_cast<int>(integer(i, 1));
    else if (a == "--instances")
      s.instances = static_cast<int>(integer(i, 1));
    else if (a == "--cmaes-seeds")
      s.cmaes_seeds = static_cast<int>(integer(i, 0));
    else if (a == "--cmaes-instances")
      s.cmaes_instances = static_cast<int>(integer(i, 0));
    else if (a == "--cmaes-noise")
      s.cmaes_noise = numbers(text(i));
    else if (a == "--jobs")
      s.jobs = static_cast<int>(integer(i, 1));
    else if (a == "--dimension")
      s.dimension = static_cast<Index>(integer(i, 2));
    else if (a == "--budget")
      s.budget = static_cast<std::uint64_t>(integer(i, 40));
    else if (a == "--out")
      s.out = text(i);
    else if (a == "--objectives")
      s.objectives = split(text(i));
    else if (a == "--algorithms")
      s.algorithm_filter = split(text(i));
    else if (a == "--noise")
      s.noise = numbers(text(i));
    else if (a == "--quick") {
      // A smoke test (ctest): every algorithm and objective, tiny sizes, a few seconds.
      s.seeds = 2;
      s.instances = 1;
      s.cmaes_seeds = 1;
      s.dimension = 128;
      s.budget = 400;
      s.noise = {0.0, 0.5};
      s.cmaes_noise = s.noise;
    } else if (a == "-h" || a == "--help") {
      usage("help");
    } else {
      usage("unknown argument '" + a + "'");
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const Settings settings = parse(argc, argv);
  std::vector<AlgorithmEntry> entries = algorithms();
  if (!settings.algorithm_filter.empty()) {
    std::vector<AlgorithmEntry> kept;
    for (const auto& name : settings.algorithm_filter) {
      const auto it = std::find_if(entries.begin(), entries.end(),
                                   [&](const AlgorithmEntry& e) { return e.name == name; });
      if (it == entries.end()) usage("algorithm '" + name + "' is not built in");
      kept.push_back(*it);
    }
    entries = std::move(kept);
  }
  for (const auto& kind : settings.objectives) {
    if (std::find(all_objectives.begin(), all_objectives.end(), kind) == all_objectives.end()) {
      usage("unknown objective '" + kind + "'");
    }
  }

  // Units are built once and shared (read-only) by every run on them.
  std::map<std::pair<std::string, int>, Unit> units;
  for (const auto& kind : settings.objectives) {
    for (int i = 0; i < settings.instances; ++i) {
      units[{kind, i}] = make_unit(kind, settings.dimension, unit_seed(kind, i));
    }
  }

  std::vector<RunSpec> specs;
  std::vector<std::size_t> entry_of;
  for (std::size_t e = 0; e < entries.size(); ++e) {
    // Full-covariance CMA-ES costs minutes per run at 4096-d: a subset of the grid.
    const bool subset = entries[e].expensive;
    const int seeds = subset ? std::min(settings.cmaes_seeds, settings.seeds) : settings.seeds;
    const int instances =
        subset ? std::min(settings.cmaes_instances, settings.instances) : settings.instances;
    for (const auto& kind : settings.objectives) {
      for (int i = 0; i < instances; ++i) {
        for (const double nu : settings.noise) {
          if (subset && std::find(settings.cmaes_noise.begin(), settings.cmaes_noise.end(), nu) ==
                            settings.cmaes_noise.end()) {
            continue;
          }
          for (int seed = 0; seed < seeds; ++seed) {
            specs.push_back({kind, i, entries[e].name, nu, seed});
            entry_of.push_back(e);
          }
        }
      }
    }
  }

  const int jobs = settings.jobs > 0
                       ? settings.jobs
                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::cerr << "domain_benchmark: xdream " << XDREAM_VERSION_STRING << ", dimension "
            << settings.dimension << ", budget " << settings.budget << " stimuli, " << specs.size()
            << " runs on " << jobs << " threads\n";
  for (const auto& e : entries) std::cerr << "  " << e.name << ": " << e.settings << "\n";

  // Expensive runs first, so that they do not end up alone at the end.
  std::vector<std::size_t> order(specs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return entries[entry_of[a]].expensive > entries[entry_of[b]].expensive;
  });

  std::vector<RunResult> results(specs.size());
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::mutex log_mutex;
  std::exception_ptr failure;
  const auto start = std::chrono::steady_clock::now();
  const auto worker = [&] {
    for (;;) {
      const std::size_t k = next.fetch_add(1);
      if (k >= order.size()) return;
      const std::size_t r = order[k];
      try {
        const RunSpec& spec = specs[r];
        results[r] = entries[entry_of[r]].run(spec, units.at({spec.objective, spec.instance}),
                                              settings.dimension, settings.budget);
      } catch (...) {
        const std::lock_guard lock(log_mutex);
        if (!failure) failure = std::current_exception();
        next = order.size();
        return;
      }
      const std::size_t finished = ++done;
      if (finished % std::max<std::size_t>(1, specs.size() / 20) == 0 || finished == specs.size()) {
        const std::lock_guard lock(log_mutex);
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::cerr << "  " << finished << "/" << specs.size() << " runs, " << elapsed << " s\n";
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    for (int j = 1; j < jobs; ++j) pool.emplace_back(worker);
    worker();
  }
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      std::cerr << "domain_benchmark: a run failed: " << e.what() << "\n";
      return 1;
    }
  }

  // Normalized clean max: each run's best clean activation over the best any run reached on the
  // same unit.
  std::map<std::pair<std::string, int>, double> unit_best;
  for (std::size_t r = 0; r < specs.size(); ++r) {
    double& best = unit_best[{specs[r].objective, specs[r].instance}];
    if (std::isfinite(results[r].best_clean)) best = std::max(best, results[r].best_clean);
  }

  std::ofstream csv(settings.out);
  if (!csv) {
    std::cerr << "domain_benchmark: cannot write " << settings.out << "\n";
    return 1;
  }
  csv << "objective,instance,algorithm,noise,seed,best_clean,normalized,seconds,best_norm,"
         "generations,stimuli,dimension\n";
  csv.precision(10);
  for (std::size_t r = 0; r < specs.size(); ++r) {
    const RunSpec& s = specs[r];
    const RunResult& x = results[r];
    const double best = unit_best[{s.objective, s.instance}];
    csv << s.objective << ',' << s.instance << ',' << s.algorithm << ',' << s.noise << ',' << s.seed
        << ',' << x.best_clean << ',' << (best > 0.0 ? x.best_clean / best : NAN) << ','
        << x.seconds << ',' << x.best_norm << ',' << x.generations << ',' << x.stimuli << ','
        << settings.dimension << '\n';
  }
  csv.close();
  if (!csv) {
    std::cerr << "domain_benchmark: writing " << settings.out << " failed\n";
    return 1;
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << "domain_benchmark: wrote " << specs.size() << " runs to " << settings.out << " in "
            << elapsed << " s\n";
  return 0;
}
