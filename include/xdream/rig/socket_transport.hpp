#pragma once
/// @file
/// The socket transport: the protocol of docs/rig-protocol.md over a Link (ZeroMQ or TCP). A
/// RigTransport; link xdream::rig (and xdream::rig_zmq for the ZeroMQ link).
///
/// One rig is served at a time: the latest to say HELLO (or, after a restart of xdream, the
/// first that speaks: it gets a WELCOME). It gets the outstanding block again whenever it comes
/// back. Heartbeats: a PING when nothing was sent for `heartbeat_s`; a rig silent for
/// `peer_lost_s` is lost (PeerDown), and taken up again when it speaks. A RESULT is
/// acknowledged (RESULT_ACK) only on the next `poll`, `retire` or `finish`, after the objective
/// journaled its responses: a crash between the two makes the rig send it again, never loses it.

#include <xdream/io/atomic_file.hpp>
#include <xdream/io/sha256.hpp>
#include <xdream/rig/block.hpp>
#include <xdream/rig/clock.hpp>
#include <xdream/rig/detail/block_pngs.hpp>
#include <xdream/rig/events.hpp>
#include <xdream/rig/link.hpp>
#include <xdream/rig/protocol.hpp>
#include <xdream/rig/response_file.hpp>
#include <xdream/rig/stop.hpp>
#include <xdream/rig/transport.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace xdream::rig {

/// Settings of SocketTransport (defaults: docs/rig-protocol.md).
struct SocketTransportOptions {
  /// A PING goes out when nothing was sent for this long (seconds); (0, 60].
  double heartbeat_s = 1.0;
  /// A rig silent for this long is lost (seconds); (heartbeat_s, 3600].
  double peer_lost_s = 10.0;
  /// Send the PNGs as frames after the BLOCK's JSON (ZeroMQ only) instead of as files.
  bool inline_images = false;
  /// Where the PNGs are written when sent as paths (a folder the rig can read); it must exist.
  std::filesystem::path images{};
  /// Threads encoding a block's PNGs, and zlib's fastest level for them.
  int png_threads = 2;
  bool fast_png = true;
  /// A RESULT naming more than this share of unknown stimuli is another session's: refused.
  double unknown_reject_fraction = 0.2;
  /// Every message in and out, one JSON line each (`{"dir", "peer", "msg"}`); empty: none.
  std::filesystem::path log{};
};

template <Link L, class Clock = SteadyClock>
class SocketTransport {
 public:
  SocketTransport(L& link, Clock& clock, SocketTransportOptions options)
      : link_(&link), clock_(&clock), options_(std::move(options)) {
    if (!(options_.heartbeat_s > 0 && options_.heartbeat_s <= 60) ||
        !(options_.peer_lost_s > options_.heartbeat_s && options_.peer_lost_s <= 3600) ||
        options_.png_threads < 1 || options_.png_threads > 64 ||
        !(options_.unknown_reject_fraction >= 0 && options_.unknown_reject_fraction <= 1)) {
      throw std::invalid_argument("xdream::rig::SocketTransport: a setting is out of range");
    }
    if (options_.inline_images && !link_->frames_supported()) {
      throw std::invalid_argument(
          "xdream::rig::SocketTransport: this link cannot send images inline (plain TCP sends "
          "paths)");
    }
    if (!options_.inline_images) {
      std::error_code error;
      if (!std::filesystem::is_directory(options_.images, error)) {
        throw std::invalid_argument("xdream::rig::SocketTransport: the images folder '" +
                                    options_.images.string() + "' does not exist");
      }
      options_.images = std::filesystem::absolute(options_.images).lexically_normal();
    }
    if (!options_.log.empty()) set_log(options_.log);
  }

  /// Appends every message in and out to `file` from now on (one JSON line each).
  void set_log(const std::filesystem::path& file) {
    log_.reset(std::fopen(file.c_str(), "ae"));
    if (!log_) {
      throw std::invalid_argument("xdream::rig::SocketTransport: cannot write '" + file.string() +
                                  "': " + std::strerror(errno));
    }
  }

  SocketTransport(const SocketTransport&) = delete;
  SocketTransport& operator=(const SocketTransport&) = delete;

  void open(const RigSession& session) {
    session_ = session.tag;
    channels_ = session.channels;
    last_sent_ = clock_->now();
  }

  /// Encodes the block's PNGs (written to the images folder unless inline), and sends the
  /// BLOCK to the rig, now if one is there, else when one says HELLO.
  void submit(const RigBlock& block) {
    flush_acks();
    Issued issued;
    for (std::size_t i = 0; i < block.stimuli.size(); ++i) {
      issued.files.push_back(image_file_name(block.number, i, block.stimuli[i].id));
      issued.ids.push_back(block.stimuli[i].id);
    }
    std::vector<std::vector<std::byte>> encoded =
        detail::encode_block_pngs(block, issued.files, options_.png_threads, options_.fast_png);
    std::vector<protocol::ImageSource> sources(encoded.size());
    std::vector<std::string> sha256(encoded.size());
    for (std::size_t i = 0; i < encoded.size(); ++i) {
      sha256[i] = io::sha256(encoded[i]);
      if (options_.inline_images) {
        sources[i].frame = static_cast<int>(i) + 1;
      } else {
        sources[i].path = (options_.images / issued.files[i]).string();
      }
    }
    if (!options_.inline_images) {
      stop_if_disk_full([&] {
        for (std::size_t i = 0; i < encoded.size(); ++i)
          io::write_file_atomically(sources[i].path, encoded[i], io::Durability::deferred);
        io::sync_file_system(options_.images);
      });
      encoded.clear();
    }
    outstanding_ = Outstanding{block.number, nlohmann::json::object(), std::move(encoded)};
    protocol::add_block(outstanding_->body, block, sources, sha256);
    issued_[block.number] = std::move(issued);
    if (!peer_.empty()) send_block();
  }

  /// Serves the link until the first events or `deadline`: heartbeats, HELLOs, and the rig's
  /// messages turned into events (Ack, Progress, Responses, PeerUp, PeerDown, Fault).
  std::vector<RigEvent> poll(RigTime deadline) {
    flush_acks();
    std::vector<RigEvent> events;
    for (;;) {
      watch_peer(events);
      if (!events.empty()) return events;
      const RigTime now = clock_->now();
      if (now >= deadline) return events;
      // Wake for the next heartbeat when a rig is there (whole milliseconds, rounded up: a
      // shorter wait would spin).
      RigTime until = deadline;
      if (!peer_.empty()) {
        until = std::min(until, std::max(last_sent_ + seconds(options_.heartbeat_s), now));
      }
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(until - now);
      if (auto message = link_->receive(std::max(wait, std::chrono::milliseconds(0))))
        handle(*message, events);
    }
  }

  /// The block is closed: the rig is told to stop showing it (CANCEL; harmless when done).
  void retire(std::uint32_t block) {
    flush_acks();
    if (outstanding_ && outstanding_->block == block) outstanding_.reset();
    if (!peer_.empty()) send(peer_, "CANCEL", {{"block_id", block}, {"reason", "closed"}});
  }

  /// The session ended normally: the rig is told (BYE).
  void finish() {
    flush_acks();
    if (!peer_.empty()) send(peer_, "BYE", {{"reason", "the session is done"}});
  }

  void close() { flush_acks(); }

  /// The rig served now ("" when none).
  const std::string& peer() const noexcept { return peer_; }
  L& link() noexcept { return *link_; }

 private:
  struct Issued {
    std::vector<std::string> files, ids;
    std::set<std::pair<std::string, int>> seen;  // (stim_id, rep) received: for RESULT_ACK
  };
  struct Outstanding {
    std::uint32_t block = 0;
    nlohmann::json body;
    std::vector<std::vector<std::byte>> frames;
  };
  struct Parts {
    std::set<long long> received;
    long long total = -1;
  };
  struct PendingAck {
    std::string peer;
    nlohmann::json body;
  };
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };

  std::int64_t now_ns() const { return clock_->now().count(); }

  void log(const char* dir, const std::string& peer, const nlohmann::json& message) {
    if (!log_) return;
    const std::string line =
        nlohmann::json{{"dir", dir}, {"peer", peer}, {"msg", message}}.dump() + "\n";
    std::fwrite(line.data(), 1, line.size(), log_.get());
    std::fflush(log_.get());
  }

  bool send(const std::string& peer, const char* type, nlohmann::json body,
            std::span<const std::vector<std::byte>> frames = {}) {
    nlohmann::json m = protocol::message(type, session_, seq_++, now_ns());
    m.update(body);
    log("out", peer, m);
    const bool sent = link_->send(peer, m.dump(), frames);
    if (peer == peer_) last_sent_ = clock_->now();
    return sent;
  }

  void send_block() {
    if (outstanding_) send(peer_, "BLOCK", outstanding_->body, outstanding_->frames);
  }

  void flush_acks() {
    for (PendingAck& ack : pending_acks_) send(ack.peer, "RESULT_ACK", std::move(ack.body));
    pending_acks_.clear();
  }

  // Heartbeats out, silence and dropped connections in.
  void watch_peer(std::vector<RigEvent>& events) {
    for (const std::string& gone : link_->dropped()) {
      if (gone == peer_) lose("the connection closed", events);
    }
    if (peer_.empty()) return;
    const RigTime now = clock_->now();
    if (now - last_heard_ >= seconds(options_.peer_lost_s)) {
      lose("no word for " + std::to_string(static_cast<int>(options_.peer_lost_s)) + " s", events);
    } else if (now - last_sent_ >= seconds(options_.heartbeat_s)) {
      send(peer_, "PING", nlohmann::json::object());
    }
  }

  void lose(const std::string& why, std::vector<RigEvent>& events) {
    events.push_back(PeerDown{peer_name_ + ": " + why});
    peer_.clear();
  }

  // A rig speaks: HELLO, or anything from a rig this process has not welcomed (xdream was
  // restarted, or the rig was lost and is back), makes it the rig served.
  void take_up(const std::string& peer, const std::string& name, std::vector<RigEvent>& events) {
    peer_ = peer;
    peer_name_ = name;
    last_heard_ = clock_->now();
    events.push_back(PeerUp{name});
    nlohmann::json outstanding;
    if (outstanding_) outstanding = outstanding_->block;
    send(peer_, "WELCOME",
         {{"server", "xdream-rig"},
          {"version", "1"},
          {"heartbeat_s", options_.heartbeat_s},
          {"peer_lost_s", options_.peer_lost_s},
          {"channels", channels_},
          {"outstanding", outstanding}});
    send_block();
  }

  void handle(const LinkMessage& message, std::vector<RigEvent>& events) {
    nlohmann::json m;
    try {
      m = protocol::parse(message.text);
    } catch (const protocol::ProtocolError& e) {
      refuse(message.peer, e, events);
      return;
    }
    log("in", message.peer, m);
    const std::string type = m.at("type").get<std::string>();
    if (message.peer == peer_) last_heard_ = clock_->now();
    try {
      if (type == "HELLO") {
        take_up(message.peer, protocol::hello_name(m), events);
        return;
      }
      if (message.peer != peer_ && type != "BYE" && type != "ERROR")
        take_up(message.peer, "rig " + message.peer.substr(0, 12), events);
      if (type == "ACK") {
        events.push_back(protocol::ack(m));
      } else if (type == "PROGRESS") {
        events.push_back(protocol::progress(m));
      } else if (type == "RESULT") {
        result(message.peer, m, events);
      } else if (type == "PING") {
        send(message.peer, "PONG", {{"ping_seq", m.at("seq")}});
      } else if (type == "BYE") {
        if (message.peer == peer_) lose("it said goodbye", events);
      } else if (type == "ERROR") {
        events.push_back(Fault{"rig_error",
                               protocol::detail::text(m, "code", false) + ": " +
                                   protocol::detail::text(m, "message", false),
                               "ERROR from " + peer_name_});
      }
    } catch (const protocol::ProtocolError& e) {
      refuse(
          message.peer,
          protocol::ProtocolError(e.code(), type + ": " + e.what(), m.at("seq").get<long long>()),
          events);
    }
  }

  void refuse(const std::string& peer, const protocol::ProtocolError& e,
              std::vector<RigEvent>& events) {
    nlohmann::json body{{"code", e.code()}, {"message", e.what()}};
    if (e.about_seq()) body["about_seq"] = *e.about_seq();
    send(peer, "ERROR", body);
    events.push_back(Fault{"protocol", e.what(), "a message from " + peer.substr(0, 12)});
  }

  void result(const std::string& peer, const nlohmann::json& m, std::vector<RigEvent>& events) {
    const std::string session = m.at("session").get<std::string>();
    const long long seq = m.at("seq").get<long long>();
    if (session != session_) {
      throw protocol::ProtocolError(
          "wrong_session", "a RESULT of session '" + session + "', not '" + session_ + "'");
    }
    const ResponseTable table = protocol::result(m);
    const auto [part, parts] = protocol::result_parts(m);
    Responses responses;
    responses.block =
        static_cast<std::uint32_t>(std::clamp<long long>(*table.block, 0, 0xFFFFFFFFLL));
    responses.channels = table.channels;
    // Numbered parts: the block is complete once every part is in, whatever their order (a
    // part lost with a connection comes again after the final one).
    Parts& seen = parts_[responses.block];
    if (part >= 0) seen.received.insert(part);
    if (table.final && parts >= 0) seen.total = parts;
    if (seen.total >= 0) {
      responses.final = true;
      for (long long i = 0; i < seen.total && responses.final; ++i)
        responses.final = seen.received.count(i) > 0;
    } else {
      responses.final = table.final;
    }
    responses.source = "RESULT " + std::to_string(seq) + " from " + peer_name_;
    Issued* issued = nullptr;
    if (const auto it = issued_.find(responses.block); it != issued_.end()) issued = &it->second;
    int accepted = 0, duplicate = 0, unknown = 0;
    for (Eigen::Index r = 0; r < table.values.rows(); ++r) {
      Responses::Row row;
      row.shown = table.names[static_cast<std::size_t>(r)];
      row.rep = table.reps[static_cast<std::size_t>(r)];
      row.values.resize(static_cast<std::size_t>(table.values.cols()));
      for (Eigen::Index c = 0; c < table.values.cols(); ++c)
        row.values[static_cast<std::size_t>(c)] = table.values(r, c);
      if (issued) {
        row.stim_id = match_stimulus(row.shown, issued->files, issued->ids).value_or("");
      } else if (row.shown.starts_with(session_ + "-") || row.shown.starts_with("ref-")) {
        row.stim_id = row.shown;  // a block of before a restart: the objective decides
      }
      if (row.stim_id.empty()) {
        ++unknown;
      } else if (issued && !issued->seen.emplace(row.stim_id, row.rep).second) {
        ++duplicate;
      } else {
        ++accepted;
      }
      responses.rows.push_back(std::move(row));
    }
    if (!responses.rows.empty() &&
        static_cast<double>(unknown) >
            options_.unknown_reject_fraction * static_cast<double>(responses.rows.size())) {
      throw protocol::ProtocolError("wrong_session", std::to_string(unknown) + " of " +
                                                         std::to_string(responses.rows.size()) +
                                                         " responses name no stimulus of block " +
                                                         std::to_string(responses.block) +
                                                         ": refused");
    }
    pending_acks_.push_back({peer,
                             {{"block_id", responses.block},
                              {"ack_seq", seq},
                              {"accepted", accepted},
                              {"duplicate", duplicate},
                              {"unknown", unknown}}});
    events.push_back(std::move(responses));
  }

  L* link_;
  Clock* clock_;
  SocketTransportOptions options_;
  std::unique_ptr<std::FILE, FileCloser> log_;
  std::string session_;
  std::vector<std::string> channels_;
  std::uint64_t seq_ = 0;
  std::string peer_, peer_name_;
  RigTime last_sent_{0}, last_heard_{0};
  std::optional<Outstanding> outstanding_;
  std::map<std::uint32_t, Issued> issued_;
  std::map<std::uint32_t, Parts> parts_;
  std::vector<PendingAck> pending_acks_;
};

}  // namespace xdream::rig
