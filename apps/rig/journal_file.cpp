#include "journal_file.hpp"

#include <xdream/io/npy.hpp>
#include <xdream/rig/stop.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace xdream_rig {

namespace fs = std::filesystem;
using xdream::rig::EntryKind;
using xdream::rig::JournalEntry;
using xdream::rig::StimulusKind;

namespace {

const char* kind_letter(StimulusKind kind) { return kind == StimulusKind::synthetic ? "s" : "r"; }

// A number as JSON: NaN and infinities have no JSON spelling; they are written as null.
nlohmann::json number(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

nlohmann::json to_json(const JournalEntry& e) {
  nlohmann::json line{{"kind", xdream::rig::to_string(e.kind)}, {"t", e.t}};
  if (e.block) line["block"] = e.block;
  if (e.kind == EntryKind::block_submitted || e.kind == EntryKind::block_reattached ||
      e.kind == EntryKind::block_closed || e.kind == EntryKind::responses ||
      e.kind == EntryKind::reissue || e.kind == EntryKind::reshow ||
      e.kind == EntryKind::generation_done) {
    line["generation"] = e.generation;
    line["attempt"] = e.attempt;
  }
  if (!e.thread.empty()) line["thread"] = e.thread;
  if (!e.reason.empty()) line["reason"] = e.reason;
  if (!e.source.empty()) line["source"] = e.source;
  if (e.submitted) {
    nlohmann::json stimuli = nlohmann::json::array();
    for (const auto& s : e.submitted->stimuli) stimuli.push_back({s.id, kind_letter(s.kind)});
    line["stimuli"] = stimuli;
    line["reshow"] = e.submitted->reshow;
    line["reps"] = e.submitted->reps;
  }
  if (!e.responses.empty()) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : e.responses) {
      rows.push_back({r.stim_id, kind_letter(r.kind), r.rep, r.channel, number(r.value)});
    }
    line["rows"] = rows;
  }
  if (!e.channels.empty()) line["channels"] = e.channels;
  switch (e.kind) {
    case EntryKind::block_closed:
      line["valid"] = e.valid;
      line["total"] = e.total;
      line["seconds"] = e.seconds;
      line["reference_mean"] = number(e.reference_mean);
      line["reference_drift"] = number(e.reference_drift);
      break;
    case EntryKind::generation_done: {
      line["valid"] = e.valid;
      line["total"] = e.total;
      nlohmann::json scores = nlohmann::json::array();
      for (double s : e.scores) scores.push_back(number(s));
      line["scores"] = scores;
      break;
    }
    case EntryKind::progress:
      line["done"] = e.done;
      line["paused"] = e.paused;
      break;
    default:
      break;
  }
  return line;
}

constexpr const char* csv_header =
    "block,attempt,generation,stim_id,kind,thread,rep,channel,value,outcome\n";

int open_append(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  }
  return fd;
}

// Writes all of `text` and syncs it; a full disk stops the session cleanly.
void write_synced(int fd, const std::string& text, const fs::path& path) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ::ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      if (error == ENOSPC) {
        throw xdream::rig::RigStop(xdream::rig::StopReason::disk_full,
                                   path.string() + ": " + std::strerror(error));
      }
      throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(error));
    }
    done += static_cast<std::size_t>(n);
  }
  // An entry is durable only once synced: a failed sync (a full disk, an I/O error) ends the
  // session rather than go on as if it were.
  while (::fdatasync(fd) != 0) {
    const int error = errno;
    if (error == EINTR) continue;
    if (error == ENOSPC) {
      throw xdream::rig::RigStop(xdream::rig::StopReason::disk_full,
                                 path.string() + ": " + std::strerror(ENOSPC));
    }
    throw std::runtime_error("cannot flush " + path.string() + " to disk: " + std::strerror(error));
  }
}

}  // namespace

namespace {
// One journal entry's part of the session's counts (as JournalFile::record counts them).
void count(const nlohmann::json& entry, const std::string& kind, std::uint32_t block,
           JournalCounts& counts) {
  if (kind == "BLOCK_CLOSED") {
    counts.closed.insert(block);
    counts.blocks = static_cast<int>(counts.closed.size());
    const auto mean = entry.find("reference_mean");
    if (mean != entry.end() && mean->is_number()) {
      if (!counts.first_reference) counts.first_reference = mean->get<double>();
      counts.last_reference = mean->get<double>();
    }
  } else if (kind == "BLOCK_SUBMITTED") {
    if (entry.contains("turnaround_s"))
      counts.turnaround_s.push_back(entry.at("turnaround_s").get<double>());
    if (entry.value("reshow", false)) counts.reshow_blocks.insert(block);
    counts.reshows = static_cast<int>(counts.reshow_blocks.size());
  } else if (kind == "RESULT_RECEIVED") {
    counts.responses += static_cast<long long>(entry.at("rows").size());
  } else if (kind == "REISSUE") {
    counts.reissued.emplace(entry.value("thread", ""), entry.value("generation", 0u),
                            entry.value("attempt", 0u));
    counts.reissues = static_cast<int>(counts.reissued.size());
  } else if (kind == "ALARM") {
    ++counts.alarms;
  } else if (kind == "FAULT") {
    ++counts.faults;
  } else if (kind == "REJECTED") {
    ++counts.rejected;
  } else if (kind == "WAITING") {
    ++counts.waiting;
  }
}
}  // namespace

Replay replay_journal(const fs::path& file, std::uint32_t from_block) {
  Replay replay;
  std::ifstream in(file, std::ios::binary);
  if (!in) return replay;
  std::map<std::uint32_t, xdream::rig::RecoveredBlock> blocks;
  std::uint32_t running = 0;  // the block the session was running at this point of the journal
  std::string line;
  std::uintmax_t offset = 0;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline: a line cut by a crash
    nlohmann::json entry;
    try {
      entry = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      break;  // a damaged line ends what can be trusted
    }
    offset += line.size() + 1;
    replay.whole_bytes = offset;
    ++replay.entries;
    const std::string kind = entry.value("kind", "");
    const std::uint32_t block = entry.value("block", 0u);
    count(entry, kind, block, replay.counts);
    if (kind == "RESULT_RECEIVED") {
      for (const auto& row : entry.at("rows")) {
        replay.responses.push_back({{"block", block},
                                    {"generation", entry.value("generation", 0u)},
                                    {"attempt", entry.value("attempt", 1u)},
                                    {"row", row}});
      }
    }
    if (kind == "SESSION_RESUMED") running = 0;  // the block that ran died with the process
    if (block < from_block || block == 0) continue;
    if (kind == "BLOCK_SUBMITTED" || kind == "BLOCK_REATTACHED") {
      xdream::rig::RecoveredBlock& b = blocks[block];
      b.number = block;
      b.generation = entry.at("generation").get<std::uint32_t>();
      b.attempt = entry.at("attempt").get<std::uint32_t>();
      b.reshow = entry.value("reshow", false);
      b.stim_ids.clear();
      for (const auto& s : entry.at("stimuli")) b.stim_ids.push_back(s[0].get<std::string>());
      running = block;
    } else if (kind == "RESULT_RECEIVED" && blocks.count(block)) {
      // A response to an earlier block that came while another ran (late, merged) is taken up
      // when that other block is: where the session took it.
      const bool late = running != 0 && running != block && blocks.count(running) > 0;
      for (const auto& row : entry.at("rows")) {
        const xdream::rig::JournalResponse response{
            row[0].get<std::string>(),
            row[1] == "s" ? StimulusKind::synthetic : StimulusKind::reference, row[2].get<int>(),
            row[3].get<std::string>(), row[4].is_null() ? std::nan("") : row[4].get<double>()};
        if (late) {
          blocks[running].late.emplace_back(block, response);
        } else {
          blocks[block].responses.push_back(response);
        }
      }
    } else if (kind == "BLOCK_CLOSED" && blocks.count(block)) {
      blocks[block].closed = true;
      if (block == running) running = 0;
    }
  }
  for (auto& [number, b] : blocks) replay.blocks.push_back(std::move(b));
  return replay;
}

JournalFile::JournalFile(const fs::path& exchange, std::string session,
                         std::vector<ThreadCodes> threads, bool quiet)
    : exchange_(exchange),
      session_(std::move(session)),
      threads_(std::move(threads)),
      quiet_(quiet) {}

std::string JournalFile::thread_of(const std::string& stim_id) const {
  for (const ThreadCodes& t : threads_) {
    if (!t.name.empty() && stim_id.starts_with(session_ + "-" + t.name + "-g")) return t.name;
  }
  return "";
}

std::string JournalFile::csv_row(const nlohmann::json& row, std::uint32_t block,
                                 std::uint32_t generation, std::uint32_t attempt) const {
  // block,attempt,generation,stim_id,kind,thread,rep,channel,value,outcome
  const bool missing = row[4].is_null();
  char value[40] = "";
  if (!missing) std::snprintf(value, sizeof value, "%.17g", row[4].get<double>());
  const std::string id = row[0].get<std::string>();
  const bool synthetic = row[1] == "s";
  return std::to_string(block) + "," + std::to_string(attempt) + "," + std::to_string(generation) +
         "," + id + "," + (synthetic ? "synthetic" : "reference") + "," +
         (synthetic ? thread_of(id) : "") + "," + std::to_string(row[2].get<int>()) + "," +
         row[3].get<std::string>() + "," + value + "," + (missing ? "nan" : "valid") + "\n";
}

void JournalFile::open(const fs::path& run, std::uintmax_t keep_bytes) {
  run_ = run;
  std::error_code error;
  fs::create_directories(run_ / "rig" / "raw", error);
  fs::create_directories(run_ / "rig" / "blocks", error);
  const fs::path journal = run_ / "rig" / "journal.jsonl";
  if (keep_bytes != ~std::uintmax_t{0} && fs::exists(journal, error) &&
      fs::file_size(journal, error) > keep_bytes) {
    fs::resize_file(journal, keep_bytes, error);
  }
  fd_ = open_append(journal);
  const fs::path responses = run_ / "responses.csv";
  const bool fresh = !fs::exists(responses, error);
  csv_fd_ = open_append(responses);
  if (fresh) write_synced(csv_fd_, csv_header, responses);
}

JournalFile::~JournalFile() {
  if (fd_ >= 0) ::close(fd_);
  if (csv_fd_ >= 0) ::close(csv_fd_);
}

void JournalFile::append(const std::string& line) {
  if (fd_ < 0) throw std::logic_error("xdream-rig: the journal is not open");
  write_synced(fd_, line + "\n", run_ / "rig" / "journal.jsonl");
}

void JournalFile::csv(const std::string& text) {
  write_synced(csv_fd_, text, run_ / "responses.csv");
}

void JournalFile::write(const nlohmann::json& line) { append(line.dump()); }

void JournalFile::rebuild_responses(const std::vector<nlohmann::json>& responses) {
  std::string text = csv_header;
  for (const auto& r : responses) {
    text += csv_row(r.at("row"), r.at("block").get<std::uint32_t>(),
                    r.at("generation").get<std::uint32_t>(), r.at("attempt").get<std::uint32_t>());
  }
  ::close(csv_fd_);
  const fs::path path = run_ / "responses.csv";
  xdream::io::write_file_atomically(path, std::as_bytes(std::span(text.data(), text.size())));
  csv_fd_ = open_append(path);
}

void JournalFile::record(const JournalEntry& entry) {
  nlohmann::json line = to_json(entry);
  if ((entry.kind == EntryKind::block_submitted || entry.kind == EntryKind::block_reattached) &&
      entry.submitted != nullptr) {
    std::vector<std::string>& names = block_files_[entry.block];
    names = {xdream::rig::block_name(entry.block) + ".manifest.json"};
    for (std::size_t i = 0; i < entry.submitted->stimuli.size(); ++i)
      names.push_back(xdream::rig::image_file_name(entry.block, i, entry.submitted->stimuli[i].id));
  }
  if (entry.kind == EntryKind::block_submitted) {
    // The codes the block shows, on disk before the block is sent.
    char name[32];
    std::snprintf(name, sizeof name, "%03u", entry.block);
    const fs::path dir = run_ / "rig" / "blocks" / name;
    std::error_code error;
    fs::create_directories(dir, error);
    for (std::size_t t = 0; t < threads_.size() && entry.submitted != nullptr; ++t) {
      const ThreadCodes& thread = threads_[t];
      const auto& stimuli = entry.submitted->stimuli;
      const bool shown = std::any_of(stimuli.begin(), stimuli.end(), [&](const auto& s) {
        return s.thread == static_cast<int>(t);
      });
      if (!shown || thread.codes == nullptr || thread.codes->size() == 0) continue;
      const std::string file = thread.name.empty() ? "codes.npy" : "codes_" + thread.name + ".npy";
      xdream::rig::stop_if_disk_full([&] { xdream::io::save_npy(dir / file, *thread.codes); });
    }
    if (last_closed_t_ >= 0.0) {
      line["turnaround_s"] = entry.t - last_closed_t_;
      counts_.turnaround_s.push_back(entry.t - last_closed_t_);
    }
  }
  append(line.dump());
  // Test hook (tests/rig): XDREAM_RIG_KILL_AT_ENTRY=N kills the process with SIGKILL once its
  // N-th journal entry is on disk, to test a resume from every kind of journal point.
  static const long kill_at = [] {
    const char* text = std::getenv("XDREAM_RIG_KILL_AT_ENTRY");
    return text ? std::strtol(text, nullptr, 10) : LONG_MAX;
  }();
  if (++entries_ >= kill_at) std::raise(SIGKILL);
  switch (entry.kind) {
    case EntryKind::responses: {
      std::string rows;
      for (const auto& row : line.at("rows"))
        rows += csv_row(row, entry.block, entry.generation, entry.attempt);
      csv(rows);
      counts_.responses += static_cast<long long>(entry.responses.size());
      break;
    }
    case EntryKind::block_closed:
      last_closed_t_ = entry.t;
      counts_.closed.insert(entry.block);
      counts_.blocks = static_cast<int>(counts_.closed.size());
      if (std::isfinite(entry.reference_mean)) {
        if (!counts_.first_reference) counts_.first_reference = entry.reference_mean;
        counts_.last_reference = entry.reference_mean;
      }
      keep_block_files(entry);
      break;
    case EntryKind::block_submitted:
    case EntryKind::block_reattached:
      if (entry.submitted != nullptr && entry.submitted->reshow)
        counts_.reshow_blocks.insert(entry.block);
      counts_.reshows = static_cast<int>(counts_.reshow_blocks.size());
      break;
    case EntryKind::reissue:
      counts_.reissued.emplace(entry.thread, entry.generation, entry.attempt);
      counts_.reissues = static_cast<int>(counts_.reissued.size());
      break;
    case EntryKind::alarm:
      ++counts_.alarms;
      break;
    case EntryKind::fault:
      ++counts_.faults;
      break;
    case EntryKind::rejected:
      ++counts_.rejected;
      break;
    case EntryKind::waiting:
      ++counts_.waiting;
      break;
    default:
      break;
  }
  print(entry);
}

// The block's manifest and images as the exchange names them, linked (or copied through a
// temporary name) into rig/blocks/NNN/: the record keeps what the animal saw. Only this
// session's files of the block are taken; a full disk stops the session cleanly, any other
// failure leaves the record without the copy (the journal has every image's sha256).
void JournalFile::keep_block_files(const JournalEntry& entry) {
  const auto names = block_files_.find(entry.block);
  if (names == block_files_.end() || exchange_.empty()) return;
  char number[32];
  std::snprintf(number, sizeof number, "%03u", entry.block);
  const fs::path dir = run_ / "rig" / "blocks" / number;
  std::error_code error;
  fs::create_directories(dir, error);
  for (const std::string& name : names->second) {
    const fs::path from = exchange_ / name, to = dir / name;
    if (fs::exists(to, error) || !fs::exists(from, error)) continue;
    if (fs::create_hard_link(from, to, error); !error) continue;
    const fs::path temporary = to.string() + ".tmp";
    fs::copy_file(from, temporary, fs::copy_options::overwrite_existing, error);
    if (!error) fs::rename(temporary, to, error);
    if (error) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      if (error == std::errc::no_space_on_device) {
        throw xdream::rig::RigStop(
            xdream::rig::StopReason::disk_full,
            "cannot keep " + name + " in " + dir.string() + ": " + error.message());
      }
    }
  }
}

void JournalFile::print(const JournalEntry& e) {
  char line[400];
  switch (e.kind) {
    case EntryKind::block_closed: {
      if (quiet_) return;
      const double turnaround = counts_.turnaround_s.empty() ? 0.0 : counts_.turnaround_s.back();
      char drift[32] = "-";
      if (std::isfinite(e.reference_drift))
        std::snprintf(drift, sizeof drift, "%.2f", e.reference_drift);
      std::snprintf(line, sizeof line,
                    "block %4u  gen %4u  attempt %u  %3d/%-3d valid  %7.1f s  turnaround %.3f s  "
                    "reference %.4g (drift %s)  %s\n",
                    e.block, e.generation, e.attempt, e.valid, e.total, e.seconds, turnaround,
                    e.reference_mean, drift, e.reason.c_str());
      std::fputs(line, stdout);
      std::fflush(stdout);
      return;
    }
    case EntryKind::reissue:  // a generation's, not a block's
      std::snprintf(line, sizeof line, "%s generation %u%s: %s\n", xdream::rig::to_string(e.kind),
                    e.generation, e.thread.empty() ? "" : (" of thread " + e.thread).c_str(),
                    e.reason.c_str());
      std::fputs(line, stderr);
      return;
    case EntryKind::reshow:
      if (quiet_) return;
      std::snprintf(line, sizeof line, "  %s generation %u: %s\n", xdream::rig::to_string(e.kind),
                    e.generation, e.reason.c_str());
      std::fputs(line, stdout);
      return;
    case EntryKind::alarm:
    case EntryKind::waiting:
      std::snprintf(line, sizeof line, "%s block %u: %s\n", xdream::rig::to_string(e.kind), e.block,
                    e.reason.c_str());
      std::fputs(line, stderr);
      return;
    case EntryKind::fault:
    case EntryKind::rejected:
    case EntryKind::peer_up:
    case EntryKind::peer_down:
      if (quiet_) return;
      std::snprintf(line, sizeof line, "  %s block %u: %s%s%s\n", xdream::rig::to_string(e.kind),
                    e.block, e.reason.c_str(), e.source.empty() ? "" : " ", e.source.c_str());
      std::fputs(line, stdout);
      return;
    default:
      return;
  }
}

}  // namespace xdream_rig
