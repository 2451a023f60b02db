#pragma once
// xdream-rig's journal: every entry of the session, one JSON line each, appended and synced to
// disk before the session goes on (rig/journal.jsonl); the long-format responses.csv; each
// block's record in rig/blocks/NNN/ (its codes, written before the block is sent; its manifest
// and images); the operator's lines. And the replay of a journal for --resume.

#include <xdream/population.hpp>
#include <xdream/rig/journal.hpp>
#include <xdream/rig/objective.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace xdream_rig {

/// What a journal says of a session, for --resume.
/// Counts of a session so far, for the summary and the closing line.
struct JournalCounts {
  int blocks = 0, reshows = 0, reissues = 0, alarms = 0, faults = 0, rejected = 0, waiting = 0;
  long long responses = 0;
  std::optional<double> first_reference, last_reference;
  std::vector<double> turnaround_s;
  std::set<std::uint32_t> closed;  ///< the blocks closed (a re-attached block closes again)
  /// The blocks that showed images again, and the re-issues by (thread, generation, attempt):
  /// a resumed session journals again what it replays, and is counted once.
  std::set<std::uint32_t> reshow_blocks;
  std::set<std::tuple<std::string, std::uint32_t, std::uint32_t>> reissued;
};

struct Replay {
  /// The blocks at or after `from_block` (the first one not in the checkpoint), in order.
  std::vector<xdream::rig::RecoveredBlock> blocks;
  /// Every accepted response of the session (responses.csv is rebuilt from them).
  std::vector<nlohmann::json> responses;
  /// Bytes of the file that hold whole lines (a line cut by a crash is dropped).
  std::uintmax_t whole_bytes = 0;
  std::size_t entries = 0;
  /// The counts of the whole session so far (every process's part of it).
  JournalCounts counts;
};

/// Reads a journal; `from_block` is the checkpoint's next block number.
Replay replay_journal(const std::filesystem::path& file, std::uint32_t from_block);

/// An optimizer of the session: its name ("" in a session of one) and the codes of the
/// generation it shows (written with each block that holds its images).
struct ThreadCodes {
  std::string name;
  const xdream::Population* codes = nullptr;
};

class JournalFile {
 public:
  /// A journal of session `session` whose exchange directory is `exchange`. Each block's codes
  /// are written before it is sent, from `threads`: `codes.npy` in a session of one optimizer,
  /// `codes_NAME.npy` per thread in it otherwise. Operator lines go to stdout (alarms to
  /// stderr) unless quiet. Nothing is written before `open`.
  JournalFile(const std::filesystem::path& exchange, std::string session,
              std::vector<ThreadCodes> threads, bool quiet);

  /// Opens (appending) `run/rig/journal.jsonl` and `run/responses.csv`, the journal truncated
  /// first to `keep_bytes` when given (a resumed session drops a line cut by the crash).
  void open(const std::filesystem::path& run, std::uintmax_t keep_bytes = ~std::uintmax_t{0});
  ~JournalFile();
  JournalFile(const JournalFile&) = delete;
  JournalFile& operator=(const JournalFile&) = delete;

  /// The RigObserver hook: journal `entry` (synced), then its side effects.
  void record(const xdream::rig::JournalEntry& entry);

  /// A line of the program's own (SESSION_START, SESSION_END ...), synced.
  void write(const nlohmann::json& line);

  /// Rewrites responses.csv from the responses of a replayed journal (resume).
  void rebuild_responses(const std::vector<nlohmann::json>& responses);

  /// Counts of the session so far, for the summary; a resumed session starts from the
  /// replayed journal's.
  using Counts = JournalCounts;
  const Counts& counts() const noexcept { return counts_; }
  void restore_counts(Counts counts) { counts_ = std::move(counts); }

 private:
  void append(const std::string& line);
  void csv(const std::string& text);
  void keep_block_files(const xdream::rig::JournalEntry& entry);
  void print(const xdream::rig::JournalEntry& entry);

  // The thread of a synthetic image's id ("" for a reference or in a session of one).
  std::string thread_of(const std::string& stim_id) const;
  std::string csv_row(const nlohmann::json& row, std::uint32_t block, std::uint32_t generation,
                      std::uint32_t attempt) const;

  std::filesystem::path run_, exchange_;
  std::string session_;
  std::vector<ThreadCodes> threads_;
  bool quiet_;
  int fd_ = -1, csv_fd_ = -1;
  double last_closed_t_ = -1.0;
  long entries_ = 0;
  std::map<std::uint32_t, std::vector<std::string>> block_ids_;
  std::map<std::uint32_t, std::vector<std::string>> block_files_;  // as the exchange names them
  Counts counts_;
};

}  // namespace xdream_rig
