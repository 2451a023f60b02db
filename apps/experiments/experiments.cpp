// xdream-experiments: runs a grid of xdream-evolve runs (units x seeds x algorithms x noise levels
// x generators x any option) from one JSON config, N processes in parallel, one run directory per
// cell with a stable name, skipping cells that are DONE and resuming interrupted ones, and gathers
// every run's summary.json and settings into one CSV table. See docs/experiments.md.

#include <xdream/io/sha256.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef XDREAM_EVOLVE_PATH
#define XDREAM_EVOLVE_PATH "xdream-evolve"
#endif

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------------
// Grid expansion

/// One value of an axis: the options it sets and the label it gives the cell's name.
struct AxisValue {
  std::string label;
  json options = json::object();  // option name (dashes) -> value
};

struct Axis {
  std::string key;
  std::vector<AxisValue> values;
};

/// One cell of a grid: its stable name, its labels per axis and its xdream-evolve options.
struct Cell {
  std::string experiment;
  std::string grid;
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // axis key -> label
  json options = json::object();
};

std::string value_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();  // numbers: integers as integers, floats in their shortest form
}

/// A label safe in a file name: [A-Za-z0-9.+-] kept, anything else becomes '_'; a path keeps its
/// stem only (generator files are labelled by name).
std::string safe_label(std::string s) {
  if (s.find('/') != std::string::npos) s = fs::path(s).stem().string();
  for (char& ch : s) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '+' || ch == '-';
    if (!ok) ch = '_';
  }
  return s;
}

std::string normalize_option(std::string k) {
  std::replace(k.begin(), k.end(), '_', '-');
  return k;
}

Axis parse_axis(const json& j, const std::string& where) {
  if (!j.is_object() || j.size() != 1) {
    throw std::invalid_argument(
        where + ": an axis is an object with one key (the option), e.g. {\"seed\": [0, 1, 2]}");
  }
  Axis axis;
  axis.key = normalize_option(j.begin().key());
  const json& values = j.begin().value();
  auto add_scalar = [&](const json& v) {
    AxisValue av;
    av.label = safe_label(value_text(v));
    av.options[axis.key] = v;
    axis.values.push_back(std::move(av));
  };
  if (values.is_object() && values.contains("range")) {
    const json& r = values["range"];
    if (!r.is_array() || r.size() < 2 || r.size() > 3) {
      throw std::invalid_argument(where + ": \"range\" is [first, end) or [first, end, step]");
    }
    const long long first = r[0].get<long long>(), end = r[1].get<long long>();
    const long long step = r.size() == 3 ? r[2].get<long long>() : 1;
    if (step <= 0) throw std::invalid_argument(where + ": range step must be positive");
    for (long long v = first; v < end; v += step) add_scalar(json(v));
  } else if (values.is_array()) {
    for (const json& v : values) {
      if (v.is_object()) {  // a bundle: several options set together, with an optional name
        AxisValue av;
        std::string joined;
        for (auto it = v.begin(); it != v.end(); ++it) {
          if (it.key() == "name") continue;
          av.options[normalize_option(it.key())] = it.value();
          joined += (joined.empty() ? "" : "+") + value_text(it.value());
        }
        av.label = safe_label(v.contains("name") ? v["name"].get<std::string>() : joined);
        axis.values.push_back(std::move(av));
      } else if (v.is_array() || v.is_null()) {
        throw std::invalid_argument(where + ": axis values are scalars or option objects");
      } else {
        add_scalar(v);
      }
    }
  } else {
    add_scalar(values);
  }
  if (axis.values.empty())
    throw std::invalid_argument(where + ": axis '" + axis.key + "' has no values");
  return axis;
}

bool value_matches(const json& pattern, const json& v) {
  if (pattern.is_object() && pattern.contains("range")) {
    if (!v.is_number()) return false;
    const double x = v.get<double>();
    return x >= pattern["range"][0].get<double>() && x < pattern["range"][1].get<double>();
  }
  if (pattern.is_array()) {
    return std::any_of(pattern.begin(), pattern.end(),
                       [&](const json& p) { return value_matches(p, v); });
  }
  if (pattern.is_number() && v.is_number()) return pattern.get<double>() == v.get<double>();
  return pattern == v;
}

/// A cell is excluded when, for every key of one exclude clause, its option matches.
bool excluded(const json& excludes, const json& options) {
  for (const json& clause : excludes) {
    bool all = true;
    for (auto it = clause.begin(); it != clause.end() && all; ++it) {
      const std::string k = normalize_option(it.key());
      all = options.contains(k) && value_matches(it.value(), options[k]);
    }
    if (all) return true;
  }
  return false;
}

void merge_into(json& dst, const json& src) {
  for (auto it = src.begin(); it != src.end(); ++it) dst[normalize_option(it.key())] = it.value();
}

struct Experiment {
  std::string name;
  fs::path out;
  std::vector<std::string> requires_help;  // strings that xdream-evolve --help must show
  std::vector<Cell> cells;
  std::vector<std::string> unsupported;  // why grids were skipped
};

Experiment load_experiment(const fs::path& file, const std::string& help_text) {
  std::ifstream in(file);
  if (!in) throw std::invalid_argument(file.string() + ": cannot read");
  json cfg;
  try {
    cfg = json::parse(in, nullptr, true, /*ignore_comments=*/true);
  } catch (const std::exception& e) {
    throw std::invalid_argument(file.string() + ": " + e.what());
  }
  Experiment ex;
  ex.name = cfg.value("name", file.stem().string());
  ex.out = cfg.value("out", "runs/experiments/" + ex.name);
  json common = json::object();
  if (cfg.contains("options")) merge_into(common, cfg["options"]);
  if (cfg.contains("if_supported")) {  // options passed only when this xdream-evolve has them
    for (auto it = cfg["if_supported"].begin(); it != cfg["if_supported"].end(); ++it) {
      const std::string k = normalize_option(it.key());
      if (help_text.find("--" + k) != std::string::npos) common[k] = it.value();
    }
  }
  // Without "grids" the config itself is the one grid (its options are already in `common`).
  const bool single_grid = !cfg.contains("grids");
  json grids = single_grid ? json::array({cfg}) : cfg["grids"];
  std::set<std::string> names;
  int index = 0;
  for (const json& g : grids) {
    const std::string where = file.string() + " grid " + std::to_string(index++);
    const std::string label = g.value("label", "");
    bool supported = true;
    for (const char* key : {"requires"}) {
      if (!g.contains(key)) continue;
      for (const json& r : g[key]) {
        if (help_text.find(r.get<std::string>()) == std::string::npos) {
          ex.unsupported.push_back((label.empty() ? where : label) +
                                   ": xdream-evolve --help lacks '" + r.get<std::string>() + "'");
          supported = false;
        }
      }
    }
    if (!supported) continue;
    json base = common;
    if (!single_grid && g.contains("options")) merge_into(base, g["options"]);
    std::vector<Axis> axes;
    for (const json& a : g.value("axes", json::array())) axes.push_back(parse_axis(a, where));
    const json excludes = g.value("exclude", json::array());
    // Cartesian product, the first axis outermost.
    std::vector<std::size_t> idx(axes.size(), 0);
    while (true) {
      Cell cell;
      cell.experiment = ex.name;
      cell.grid = label;
      cell.options = base;
      std::string name = label;
      for (std::size_t a = 0; a < axes.size(); ++a) {
        const AxisValue& v = axes[a].values[idx[a]];
        merge_into(cell.options, v.options);
        cell.labels.emplace_back(axes[a].key, v.label);
        name += (name.empty() ? "" : "_") + safe_label(axes[a].key) + "-" + v.label;
      }
      if (name.empty()) name = "run";
      cell.name = name;
      if (!excluded(excludes, cell.options)) {
        if (!names.insert(cell.name).second) {
          throw std::invalid_argument(
              where + ": two cells are named '" + cell.name +
              "' (give the grids distinct labels or the bundles distinct names)");
        }
        ex.cells.push_back(std::move(cell));
      }
      bool more = false;
      for (std::size_t a = axes.size(); a-- > 0;) {
        if (++idx[a] < axes[a].values.size()) {
          more = true;
          break;
        }
        idx[a] = 0;
      }
      if (!more) break;
    }
  }
  return ex;
}

// ---------------------------------------------------------------------------------------------
// Running

std::vector<std::string> option_args(const json& options) {
  std::vector<std::string> args;
  for (auto it = options.begin(); it != options.end(); ++it) {
    const json& v = it.value();
    if (v.is_null()) continue;
    if (v.is_boolean()) {
      if (v.get<bool>()) args.push_back("--" + it.key());
      continue;
    }
    if (v.is_array()) {
      args.push_back("--" + it.key());
      for (const json& e : v) args.push_back(value_text(e));
      continue;
    }
    args.push_back("--" + it.key());
    args.push_back(value_text(v));
  }
  return args;
}

json read_json(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return json();
  try {
    return json::parse(in);
  } catch (...) {
    return json();
  }
}

void write_json_atomic(const fs::path& p, const json& j) {
  const fs::path tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump(1) << '\n';
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, p);
}

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }
void on_child(int) {}  // only wakes sigsuspend

struct Job {
  pid_t pid = -1;
  const Cell* cell = nullptr;
  const Experiment* ex = nullptr;
  bool resumed = false;
  std::vector<std::string> args;
  std::chrono::steady_clock::time_point start;
};

pid_t spawn(const std::vector<std::string>& argv, const fs::path& log, const sigset_t& child_mask) {
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &child_mask, nullptr);
    // A run must not outlive its runner (killed with SIGKILL, say): the next runner would take the
    // lock and start the cell again beside it.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(128 + SIGTERM);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    std::vector<char*> cargv;
    for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    std::fprintf(stderr, "exec %s: %s\n", cargv[0], std::strerror(errno));
    _exit(127);
  }
  return pid;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& a : v) s += (s.empty() ? "" : " ") + a;
  return s;
}

enum class CellState { done, resumable, fresh, stale };

fs::path run_dir(const Experiment& ex, const Cell& c) { return ex.out / "runs" / c.name; }
fs::path cell_record_file(const Experiment& ex, const Cell& c) {
  return ex.out / "cells" / (c.name + ".json");
}

/// sha256 of a file (once per file and call of the program); "" if unreadable.
std::string file_sha256(const std::string& path) {
  static std::map<std::string, std::string> known;
  if (const auto it = known.find(path); it != known.end()) return it->second;
  std::string out;
  try {
    out = xdream::io::sha256_file(path);
  } catch (const xdream::io::ArchiveError&) {
    // unreadable: no hash to compare
  }
  return known[path] = out;
}

/// True when a model file a run used has changed since (its recorded sha256 differs).
bool models_changed(const json& config) {
  if (!config.is_object() || !config.contains("models")) return false;
  for (const auto& [role, m] : config["models"].items()) {
    if (!m.is_object() || !m.contains("file") || !m.contains("sha256")) continue;
    const std::string now = file_sha256(m["file"].get<std::string>());
    if (!now.empty() && now != m["sha256"].get<std::string>()) return true;
  }
  return false;
}

/// Whether a setting recorded in config.json holds an option's value. xdream-evolve records paths
/// as absolute paths (relative ones are taken from the runner's directory, which its runs share).
bool same_setting(const json& setting, const json& option) {
  if (option.is_null() || option.is_boolean()) return true;  // flags are no settings' values
  if (setting.is_array()) {
    if (!option.is_array()) return true;
    if (option.size() != setting.size()) return false;
    for (std::size_t i = 0; i < option.size(); ++i) {
      if (!same_setting(setting[i], option[i])) return false;
    }
    return true;
  }
  if (setting.is_number()) {
    if (option.is_number()) return setting.get<double>() == option.get<double>();
    if (!option.is_string()) return false;
    const std::string text = option.get<std::string>();  // from --set
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    return !text.empty() && *end == '\0' && setting.get<double>() == value;
  }
  if (setting.is_string()) {
    const std::string have = setting.get<std::string>(), text = value_text(option);
    if (have == text) return true;
    std::error_code error;
    const fs::path absolute = fs::absolute(text, error);
    return !text.empty() && !error && absolute.lexically_normal().string() == have;
  }
  return true;
}

/// Whether a run directory's config.json agrees with a cell's options, as far as it records them:
/// each option that names a setting (dashes as underscores) must hold that setting's value.
bool settings_match(const json& config, const json& options) {
  if (!config.is_object() || !config.contains("settings") || !config["settings"].is_object())
    return false;
  const json& settings = config["settings"];
  for (auto it = options.begin(); it != options.end(); ++it) {
    std::string key = it.key();
    std::replace(key.begin(), key.end(), '-', '_');
    if (settings.contains(key) && !same_setting(settings[key], it.value())) return false;
  }
  return true;
}

/// What a cell's run directory holds with respect to the cell's options now: a finished run of
/// them (done), an unfinished one with a checkpoint (resumable), one of other options or model
/// files (stale) or nothing usable (fresh).
///
/// The record cells/CELL.json says which options the directory's run has: this runner removes a
/// cell's run directory before it starts it anew and only then records the new arguments as
/// "run_dir_args". A record of an earlier runner (which left the old directory in place until
/// xdream-evolve replaced it, seconds after the launch) has only "args", the arguments of the last
/// launch: its DONE counts only if that launch was recorded as done.
CellState cell_state(const Experiment& ex, const Cell& c) {
  const fs::path dir = run_dir(ex, c);
  const bool finished = fs::exists(dir / "DONE");
  if (!finished && !fs::exists(dir / "config.json")) return CellState::fresh;
  const json want = option_args(c.options);
  const json record = read_json(cell_record_file(ex, c));
  const json config = read_json(dir / "config.json");
  const bool recorded = record.is_object();
  const bool new_record = recorded && record.contains("run_dir_args");
  const bool launched_with_these = recorded && record.value("args", json()) == want;
  if (finished) {
    bool same = false;
    if (!recorded) {
      same = true;  // finished before the runner kept records
    } else if (new_record) {
      same = record["run_dir_args"] == want;
    } else {
      same = launched_with_these && record.value("state", "") == "done";
    }
    return same && !models_changed(config) ? CellState::done : CellState::stale;
  }
  const bool same = (new_record ? record["run_dir_args"] == want : launched_with_these) &&
                    settings_match(config, c.options);
  if (!same) return CellState::stale;
  return fs::exists(dir / "checkpoint.bin") ? CellState::resumable : CellState::fresh;
}

struct RunStats {
  int done_before = 0, ran = 0, resumed = 0, failed = 0;
};

struct Pending {
  const Experiment* ex;
  const Cell* cell;
  bool resume;
};

/// The xdream-evolve command of a cell (the one --dry-run prints).
std::vector<std::string> evolve_command(const std::string& evolve, const Pending& p, int threads) {
  const fs::path dir = run_dir(*p.ex, *p.cell);
  std::vector<std::string> args{evolve};
  if (p.resume) {  // the cell's own threads option, as a fresh launch
    const json& o = p.cell->options;
    const std::string t = !o.contains("threads")     ? std::to_string(threads)
                          : o["threads"].is_string() ? o["threads"].get<std::string>()
                                                     : o["threads"].dump();
    args.insert(args.end(), {"--resume", dir.string(), "--threads", t, "--quiet"});
    return args;
  }
  const std::vector<std::string> o = option_args(p.cell->options);
  args.insert(args.end(), o.begin(), o.end());
  if (!p.cell->options.contains("threads"))
    args.insert(args.end(), {"--threads", std::to_string(threads)});
  if (!p.cell->options.contains("quiet")) args.push_back("--quiet");
  args.insert(args.end(), {"--out", dir.string(), "--force"});
  return args;
}

/// Removes the staging directories (CELL.partial-PID) that xdream-evolve runs of a cell stopped
/// before they renamed them left behind. Only while this runner holds the experiment's lock and
/// runs nothing of the cell.
void remove_staging_directories(const fs::path& dir) {
  const std::string prefix = dir.filename().string() + ".partial-";
  std::error_code error;
  for (const fs::directory_entry& e : fs::directory_iterator(dir.parent_path(), error)) {
    const std::string name = e.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    if (name.find_first_not_of("0123456789", prefix.size()) != std::string::npos) continue;
    std::error_code ignored;
    fs::remove_all(e.path(), ignored);
  }
}

RunStats run_all(std::vector<Experiment>& exs, const std::string& evolve, int jobs, int threads,
                 bool dry_run, int limit) {
  RunStats st;
  std::vector<Pending> queue;
  for (Experiment& ex : exs) {
    for (const Cell& c : ex.cells) {
      switch (cell_state(ex, c)) {
        case CellState::done:
          ++st.done_before;
          break;
        case CellState::resumable:
          queue.push_back({&ex, &c, true});
          break;
        case CellState::stale:
          std::fprintf(
              stderr, "%s/%s: its settings or model files changed since it ran: running it again\n",
              ex.name.c_str(), c.name.c_str());
          queue.push_back({&ex, &c, false});
          break;
        case CellState::fresh:
          queue.push_back({&ex, &c, false});
          break;
      }
    }
  }
  if (limit >= 0 && static_cast<int>(queue.size()) > limit)
    queue.resize(static_cast<std::size_t>(limit));
  std::printf("%d cells done already, %zu to run (%d in parallel, %d thread(s) each)\n",
              st.done_before, queue.size(), jobs, threads);
  std::fflush(stdout);
  if (dry_run) {
    for (const Pending& p : queue)
      std::printf("%s\n", join(evolve_command(evolve, p, threads)).c_str());
    return st;
  }
  for (Experiment& ex : exs) {
    fs::create_directories(ex.out / "runs");
    fs::create_directories(ex.out / "logs");
    fs::create_directories(ex.out / "cells");
  }

  // SIGINT, SIGTERM and SIGCHLD stay blocked except inside sigsuspend, so a stop request cannot
  // slip in between the check of stop_requested and the wait (the children get the mask as it was).
  sigset_t watched, before, waiting;
  sigemptyset(&watched);
  for (int sig : {SIGINT, SIGTERM, SIGCHLD}) sigaddset(&watched, sig);
  sigprocmask(SIG_BLOCK, &watched, &before);
  waiting = before;
  for (int sig : {SIGINT, SIGTERM, SIGCHLD}) sigdelset(&waiting, sig);
  struct sigaction sa {};
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  struct sigaction child_sa {
  }, child_before{};
  sigemptyset(&child_sa.sa_mask);
  child_sa.sa_handler = on_child;
  sigaction(SIGCHLD, &child_sa, &child_before);

  std::vector<Job> running;
  std::size_t next = 0;
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t finished = 0;
  bool children_stopped = false;

  auto launch = [&](const Pending& p) {
    const fs::path dir = run_dir(*p.ex, *p.cell);
    const fs::path log = p.ex->out / "logs" / (p.cell->name + ".log");
    const json want = option_args(p.cell->options);
    Job job;
    job.cell = p.cell;
    job.ex = p.ex;
    job.resumed = p.resume;
    job.args = evolve_command(evolve, p, threads);
    // A new run replaces the directory anyway. Removing it now, before the arguments are recorded,
    // means that a stop or an early failure of xdream-evolve (before it replaces the directory
    // itself, after loading the models) cannot leave the old results looking like these.
    if (!p.resume) fs::remove_all(dir);
    remove_staging_directories(dir);
    write_json_atomic(cell_record_file(*p.ex, *p.cell), json{{"args", want},
                                                             {"run_dir_args", want},
                                                             {"command", join(job.args)},
                                                             {"state", "running"}});
    {
      std::ofstream l(log, std::ios::app);
      l << "$ " << join(job.args) << '\n';
    }
    job.start = std::chrono::steady_clock::now();
    job.pid = spawn(job.args, log, before);
    running.push_back(std::move(job));
  };

  while (next < queue.size() || !running.empty()) {
    while (!stop_requested && next < queue.size() && static_cast<int>(running.size()) < jobs) {
      launch(queue[next]);
      ++next;
    }
    if (stop_requested && !children_stopped) {
      for (const Job& j : running) kill(j.pid, SIGTERM);
      children_stopped = true;
    }
    if (running.empty()) break;  // stopped before the rest started
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid == 0) {
      sigsuspend(&waiting);  // until a child ends or a stop is requested
      continue;
    }
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    auto it =
        std::find_if(running.begin(), running.end(), [&](const Job& j) { return j.pid == pid; });
    if (it == running.end()) continue;
    Job job = std::move(*it);
    running.erase(it);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - job.start).count();
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                    fs::exists(run_dir(*job.ex, *job.cell) / "DONE");
    const char* state = ok ? "done" : stop_requested ? "stopped" : "failed";
    const fs::path cellfile = cell_record_file(*job.ex, *job.cell);
    json rec = read_json(cellfile);
    if (!rec.is_object()) rec = json::object();
    rec["state"] = state;
    rec["wall_seconds"] = wall;
    rec["resumed"] = job.resumed;
    rec["exit"] = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    write_json_atomic(cellfile, rec);
    ++finished;
    if (ok) {
      ++st.ran;
      if (job.resumed) ++st.resumed;
    } else if (!stop_requested && job.resumed) {
      // A resume that fails (e.g. the models changed): run the cell again from the start.
      std::fprintf(stderr, "%s/%s: resume failed, running it again from the start\n",
                   job.ex->name.c_str(), job.cell->name.c_str());
      launch({job.ex, job.cell, false});
      continue;
    } else if (!stop_requested) {
      ++st.failed;
      std::fprintf(stderr, "%s/%s: FAILED (exit %d, see %s)\n", job.ex->name.c_str(),
                   job.cell->name.c_str(), rec["exit"].get<int>(),
                   (job.ex->out / "logs" / (job.cell->name + ".log")).c_str());
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("[%zu/%zu] %s/%s %s %.1f s (elapsed %.0f s)\n", finished, queue.size(),
                job.ex->name.c_str(), job.cell->name.c_str(), state, wall, elapsed);
    std::fflush(stdout);
  }
  sigaction(SIGCHLD, &child_before, nullptr);
  sigprocmask(SIG_SETMASK, &before, nullptr);  // a stop requested from here on only sets the flag
  if (stop_requested) std::printf("stopped; run the same command again to continue\n");
  return st;
}

// ---------------------------------------------------------------------------------------------
// Gathering

void flatten(const json& j, const std::string& prefix, std::map<std::string, std::string>& row) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), row);
    }
    return;
  }
  if (j.is_null()) {
    row[prefix] = "";
    return;
  }
  row[prefix] = j.is_array() ? j.dump() : value_text(j);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

std::string relative_to_cwd(const std::string& s) {
  static const std::string cwd = fs::current_path().string() + "/";
  return s.rfind(cwd, 0) == 0 ? s.substr(cwd.size()) : s;
}

std::size_t gather(const std::vector<Experiment>& exs, const fs::path& out_csv) {
  std::vector<std::map<std::string, std::string>> rows;
  std::set<std::string> axis_cols, setting_cols, summary_cols;
  for (const Experiment& ex : exs) {
    for (const Cell& c : ex.cells) {
      std::map<std::string, std::string> row;
      const fs::path dir = ex.out / "runs" / c.name;
      row["experiment"] = ex.name;
      row["grid"] = c.grid;
      row["cell"] = c.name;
      row["run_dir"] = relative_to_cwd(fs::absolute(dir).lexically_normal().string());
      for (const auto& [k, v] : c.labels) {
        row["axis_" + k] = v;
        axis_cols.insert("axis_" + k);
      }
      // The same judgement as the decision to run a cell: results of other options or model files
      // than the config's now are stale, not done.
      const CellState state = cell_state(ex, c);
      const json cellrec = read_json(cell_record_file(ex, c));
      const bool done = state == CellState::done;
      if (done || state == CellState::stale) {
        row["status"] = done ? "done" : "stale";
      } else if (cellrec.is_object() && cellrec.value("state", "") == "failed") {
        row["status"] = "failed";
      } else {
        row["status"] = fs::exists(dir / "config.json") ? "partial" : "missing";
      }
      if (cellrec.is_object()) {
        if (cellrec.contains("state")) row["last_state"] = value_text(cellrec["state"]);
        if (cellrec.contains("exit")) row["last_exit"] = value_text(cellrec["exit"]);
        if (cellrec.contains("wall_seconds"))
          row["wall_seconds"] = value_text(cellrec["wall_seconds"]);
      }
      if (done) {
        const json config = read_json(dir / "config.json");
        if (config.is_object() && config.contains("settings")) {
          std::map<std::string, std::string> s;
          flatten(config["settings"], "", s);
          for (auto& [k, v] : s) {
            row[k] = relative_to_cwd(v);
            setting_cols.insert(k);
          }
        }
        if (config.is_object() && config.contains("models")) {
          for (const auto& [role, m] : config["models"].items()) {
            if (m.is_object() && m.contains("sha256")) {
              row[role + "_sha256"] = m["sha256"].get<std::string>().substr(0, 16);
              setting_cols.insert(role + "_sha256");
            }
          }
        }
        const json summary = read_json(dir / "summary.json");
        if (summary.is_object()) {
          std::map<std::string, std::string> s;
          flatten(summary, "", s);
          for (auto& [k, v] : s) {
            const std::string col = setting_cols.count(k) ? "result_" + k : k;
            row[col] = v;
            summary_cols.insert(col);
          }
        }
      }
      rows.push_back(std::move(row));
    }
  }
  for (const std::string& k : summary_cols) setting_cols.erase(k);
  std::vector<std::string> cols{"experiment", "grid",      "cell",        "status",
                                "last_state", "last_exit", "wall_seconds"};
  cols.insert(cols.end(), axis_cols.begin(), axis_cols.end());
  cols.insert(cols.end(), setting_cols.begin(), setting_cols.end());
  cols.insert(cols.end(), summary_cols.begin(), summary_cols.end());
  cols.push_back("run_dir");
  if (out_csv.has_parent_path()) fs::create_directories(out_csv.parent_path());
  const fs::path tmp = out_csv.string() + ".tmp";
  {
    std::ofstream out(tmp);
    for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << csv_field(cols[i]);
    out << '\n';
    for (const auto& row : rows) {
      for (std::size_t i = 0; i < cols.size(); ++i) {
        const auto it = row.find(cols[i]);
        out << (i ? "," : "") << (it == row.end() ? "" : csv_field(it->second));
      }
      out << '\n';
    }
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, out_csv);
  return rows.size();
}

std::string evolve_help(const std::string& evolve) {
  const std::string cmd = "'" + evolve + "' --help 2>/dev/null";
  std::string text;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
    pclose(p);
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "xdream-experiments: runs a grid of xdream-evolve runs from JSON configs "
      "(docs/experiments.md), "
      "N processes in parallel; cells already DONE are skipped, interrupted ones resumed; then "
      "gathers "
      "every summary.json and the settings into one CSV."};
  std::vector<std::string> configs;
  std::string evolve = XDREAM_EVOLVE_PATH;
  int jobs = 2, threads = 1, limit = -1;
  std::string csv;
  bool dry_run = false, gather_only = false, list = false;
  std::vector<std::string> sets;
  std::string root;
  app.add_option("configs", configs, "Experiment configs (JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--jobs,-j", jobs, "xdream-evolve processes at a time")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--threads", threads,
                 "LibTorch threads per process (unless a config sets threads)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--evolve", evolve, "The xdream-evolve program")->capture_default_str();
  app.add_option("--csv", csv,
                 "Write the gathered table here (default: OUT/results.csv of each config)");
  app.add_option("--limit", limit,
                 "Run at most this many cells now (the rest stay for a later call)");
  app.add_option("--root", root,
                 "Put each experiment's runs in ROOT/NAME instead of the config's \"out\"");
  app.add_option(
      "--set", sets,
      "KEY=VALUE: an xdream-evolve option for every cell (e.g. device=cpu, data-dir=DIR)");
  app.add_flag("--gather-only", gather_only, "Do not run anything; only gather the table");
  app.add_flag("--dry-run", dry_run, "Print the commands that would run");
  app.add_flag("--list", list, "Print every cell and its state");
  CLI11_PARSE(app, argc, argv);

  try {
    if (!fs::exists(evolve))
      throw std::invalid_argument("option --evolve: '" + evolve + "' does not exist");
    evolve = fs::absolute(evolve).string();
    const std::string help = evolve_help(evolve);
    if (help.find("xdream-evolve") == std::string::npos) {
      throw std::invalid_argument("option --evolve: '" + evolve +
                                  "' --help does not look like xdream-evolve");
    }
    std::vector<Experiment> exs;
    json overrides = json::object();
    for (const std::string& kv : sets) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        throw std::invalid_argument("option --set: '" + kv + "' is not KEY=VALUE");
      overrides[normalize_option(kv.substr(0, eq))] = kv.substr(eq + 1);
    }
    for (const std::string& f : configs) {
      exs.push_back(load_experiment(f, help));
      for (Cell& c : exs.back().cells) merge_into(c.options, overrides);
      if (!root.empty()) exs.back().out = fs::path(root) / exs.back().name;
    }
    std::vector<int> locks;
    for (const Experiment& ex : exs) {
      for (const std::string& why : ex.unsupported)
        std::fprintf(stderr, "%s: skipped: %s\n", ex.name.c_str(), why.c_str());
      std::printf("%s: %zu cells in %s\n", ex.name.c_str(), ex.cells.size(), ex.out.c_str());
      if (gather_only || dry_run || list) continue;
      fs::create_directories(ex.out);
      // Not inherited: the lock is this runner's, and its runs end with it (PR_SET_PDEATHSIG).
      const int fd = open((ex.out / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
        throw std::runtime_error(ex.out.string() + " is in use by another xdream-experiments");
      }
      locks.push_back(fd);
    }
    if (list) {
      for (const Experiment& ex : exs) {
        for (const Cell& c : ex.cells) {
          const char* names[] = {"done", "resumable", "to run", "stale"};
          std::printf("%s/%s %s\n", ex.name.c_str(), c.name.c_str(),
                      names[static_cast<int>(cell_state(ex, c))]);
        }
      }
      return 0;
    }
    int rc = 0;
    if (!gather_only) {
      const RunStats st = run_all(exs, evolve, jobs, threads, dry_run, limit);
      if (dry_run) return 0;
      std::printf("ran %d (%d resumed), failed %d, done before %d\n", st.ran, st.resumed, st.failed,
                  st.done_before);
      if (st.failed > 0) rc = 2;
      if (stop_requested) return 130;
    }
    if (!csv.empty()) {
      const std::size_t n = gather(exs, csv);
      std::printf("gathered %zu cells into %s\n", n, csv.c_str());
    } else {
      for (const Experiment& ex : exs) {
        const std::size_t n = gather({ex}, ex.out / "results.csv");
        std::printf("gathered %zu cells into %s\n", n, (ex.out / "results.csv").c_str());
      }
    }
    return rc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xdream-experiments: error: %s\n", e.what());
    return 1;
  }
}
