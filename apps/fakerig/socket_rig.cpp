#include "socket_rig.hpp"

#include "exchange.hpp"
#include "model.hpp"
#include "neuron.hpp"

#include <xdream/io/png.hpp>
#include <xdream/io/sha256.hpp>
#include <xdream/rig/protocol.hpp>

#include <nlohmann/json.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace xdream_fakerig {
namespace {

using json = nlohmann::json;

/// One message from xdream: its JSON and the PNG frames after it (ZeroMQ).
struct Incoming {
  json message;
  std::vector<std::string> frames;
};

/// The rig's end of the socket. ZeroMQ reconnects by itself (0.5 s backing off to 8 s); TCP is
/// connected again the same way when it drops. `identity` names the rig to a ZeroMQ ROUTER: the
/// same across a partition, new after a restart.
class Connection {
 public:
  Connection(const RigOptions& o, std::string identity) : o_(o), identity_(std::move(identity)) {}
  ~Connection() { close(); }

  void open() {
    if (o_.socket == SocketKind::zmq) {
      dealer_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
      dealer_->set(zmq::sockopt::routing_id, identity_);
      dealer_->set(zmq::sockopt::linger, 0);
      dealer_->set(zmq::sockopt::reconnect_ivl, 500);
      dealer_->set(zmq::sockopt::reconnect_ivl_max, 8000);
      dealer_->connect(o_.connect);
      return;
    }
    double backoff = 0.5;
    while (fd_ < 0) {
      fd_ = connect_tcp();
      if (fd_ >= 0) break;
      if (!sleep_for(backoff)) return;
      backoff = std::min(backoff * 2, 8.0);
    }
  }

  void close() {
    dealer_.reset();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
  }

  bool is_open() const { return dealer_ != nullptr || fd_ >= 0; }

  void send(const json& message) {
    const std::string text = message.dump();
    if (dealer_) {
      dealer_->send(zmq::buffer(text), zmq::send_flags::dontwait);
      return;
    }
    if (fd_ < 0) return;
    const std::string line = text + "\n";
    std::size_t sent = 0;
    while (sent < line.size()) {
      const ::ssize_t n = ::send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        dropped_ = true;
        return;
      }
      sent += static_cast<std::size_t>(n);
    }
  }

  /// The next message, waiting at most `timeout_s`; TCP: nothing when the connection dropped
  /// (`dropped()` says so).
  std::optional<Incoming> receive(double timeout_s) {
    const int ms = static_cast<int>(std::max(0.0, timeout_s) * 1000.0);
    if (dealer_) {
      zmq::pollitem_t item{dealer_->handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::chrono::milliseconds(ms)) == 0) return std::nullopt;
      std::vector<zmq::message_t> parts;
      if (!zmq::recv_multipart(*dealer_, std::back_inserter(parts), zmq::recv_flags::dontwait))
        return std::nullopt;
      Incoming in{json::parse(parts.at(0).to_string()), {}};
      for (std::size_t i = 1; i < parts.size(); ++i) in.frames.push_back(parts[i].to_string());
      return in;
    }
    for (;;) {
      if (const auto end = buffer_.find('\n'); end != std::string::npos) {
        Incoming in{json::parse(buffer_.substr(0, end)), {}};
        buffer_.erase(0, end + 1);
        return in;
      }
      if (fd_ < 0) return std::nullopt;
      pollfd fd{fd_, POLLIN, 0};
      if (::poll(&fd, 1, ms) <= 0) return std::nullopt;
      char chunk[65536];
      const ::ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        dropped_ = true;
        return std::nullopt;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  bool take_dropped() { return std::exchange(dropped_, false); }

 private:
  int connect_tcp() const {
    const auto colon = o_.connect.rfind(':');
    if (colon == std::string::npos)
      throw std::runtime_error("option --connect: '" + o_.connect + "' is not HOST:PORT");
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(o_.connect.substr(0, colon).c_str(), o_.connect.substr(colon + 1).c_str(),
                      &hints, &found) != 0) {
      throw std::runtime_error("option --connect: cannot resolve '" + o_.connect + "'");
    }
    int fd = -1;
    for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
      fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
      if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        ::close(fd);
        fd = -1;
      }
    }
    ::freeaddrinfo(found);
    if (fd >= 0) {
      const int yes = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    }
    return fd;
  }

  const RigOptions& o_;
  std::string identity_;
  zmq::context_t context_;
  std::unique_ptr<zmq::socket_t> dealer_;
  int fd_ = -1;
  std::string buffer_;
  bool dropped_ = false;
};

/// Thrown out of a wait when the block in progress was cancelled or the session ended.
struct BlockAbandoned {};

class SocketRig {
 public:
  SocketRig(RigOptions options, int argc, char** argv)
      : o_(std::move(options)),
        argc_(argc),
        argv_(argv),
        instance_(new_instance()),
        connection_(o_, instance_) {
    if (o_.synthetic) {
      neuron_ = make_synthetic_neuron();
      reference_max_ = o_.reference_max > 0.0 ? o_.reference_max : 1.0;
    } else {
      neuron_ = make_network_neuron({.network = o_.network,
                                     .tap = o_.tap,
                                     .unit = o_.unit,
                                     .y = o_.y,
                                     .x = o_.x,
                                     .device = o_.device,
                                     .threads = o_.threads});
      if (o_.reference_max > 0.0) reference_max_ = o_.reference_max;
      if (o_.carried.reference_max) reference_max_ = o_.carried.reference_max;
    }
    never_score_id_ = !o_.never_score_id.empty() ? o_.never_score_id : o_.carried.never_score_id;
    blocks_shown_ = o_.carried.blocks_shown;
    if (!o_.log.empty()) {
      log_.open(o_.log, o_.carried.restarted ? std::ios::app : std::ios::trunc);
      if (!log_) throw std::runtime_error("cannot open the log " + o_.log + " for writing");
    }
  }

  int run() {
    say(std::string(o_.carried.restarted ? "restarted after the crash, connecting to "
                                         : "connecting to ") +
        o_.connect + " (" + (o_.socket == SocketKind::zmq ? "ZeroMQ" : "TCP") + ") as " +
        neuron_->describe() + ", instance " + instance_);
    connect();
    double idle_since = now_s();
    for (;;) {
      if (stop_requested()) return stopped();
      if (bye_) {
        say("xdream said goodbye: the session is done");
        return 0;
      }
      if (o_.max_blocks > 0 && blocks_shown_ >= o_.max_blocks &&
          (unacked_.empty() || now_s() - idle_since > 10.0)) {
        say("showed " + std::to_string(blocks_shown_) + " block(s) (--max-blocks)");
        send(message("BYE", {{"reason", "--max-blocks"}}));
        return 0;
      }
      if (!queued_.empty() && (o_.max_blocks == 0 || blocks_shown_ < o_.max_blocks)) {
        Incoming block = std::move(queued_.front());
        queued_.pop_front();
        try {
          present(block);
        } catch (const BlockAbandoned&) {
        }
        idle_since = now_s();
        continue;
      }
      if (o_.idle_timeout_s > 0.0 && now_s() - idle_since > o_.idle_timeout_s) {
        throw std::runtime_error("no block to show for " + std::to_string(o_.idle_timeout_s) +
                                 " s (--idle-timeout-s)");
      }
      serve_for(0.05);
    }
  }

 private:
  static std::string new_instance() {
    std::random_device device;
    char text[32];
    std::snprintf(text, sizeof text, "%08x-%d", static_cast<unsigned>(device()),
                  static_cast<int>(::getpid()));
    return text;
  }

  void say(const std::string& line) const {
    if (o_.quiet) return;
    std::printf("xdream-fakerig: %s\n", line.c_str());
    std::fflush(stdout);
  }

  int stopped() {
    send(message("BYE", {{"reason", "stopped"}}));
    say(std::string("stopped by ") + (stop_signal() == SIGINT ? "SIGINT" : "SIGTERM"));
    return 0;
  }

  /// The rig's wall time, off by --clock-offset-s.
  std::string wall_time() const {
    return xdream::rig::protocol::wall_time(
        std::chrono::system_clock::now() +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::duration<double>(o_.clock_offset_s)));
  }

  json message(const char* type, json body = json::object()) {
    json m{{"v", 1},
           {"type", type},
           {"session", session_},
           {"seq", seq_++},
           {"t_mono_ns", static_cast<std::int64_t>((now_s() + o_.clock_offset_s) * 1e9)},
           {"t_wall", wall_time()}};
    m.update(body);
    return m;
  }

  void send(const json& m) {
    connection_.send(m);
    last_sent_ = now_s();
  }

  void connect() {
    connection_.open();
    json blocks = json::array();
    for (const auto& [seq, result] : unacked_) blocks.push_back(result["block_id"]);
    send(message("HELLO", {{"rig", "xdream-fakerig"},
                           {"version", "1"},
                           {"instance", instance_},
                           {"state", presenting_ ? "presenting" : "idle"},
                           {"blocks", blocks}}));
  }

  /// Answers xdream for `seconds`: heartbeats, acknowledgements, new blocks queued. Throws
  /// BlockAbandoned when the block in progress is cancelled or the session ends.
  void serve_for(double seconds) {
    const double until = now_s() + std::max(0.0, seconds);
    do {
      if (stop_requested()) throw BlockAbandoned{};
      if (now_s() - last_sent_ >= 1.0) send(message("PING"));
      std::optional<Incoming> in = connection_.receive(std::min(0.05, until - now_s()));
      if (connection_.take_dropped()) {
        say("the connection dropped; connecting again");
        connection_.close();
        connect();
      }
      if (in) serve(std::move(*in));
      if (presenting_ && (cancelled_ || bye_)) throw BlockAbandoned{};
    } while (now_s() < until);
  }

  void serve(Incoming in) {
    const json& m = in.message;
    const std::string type = m.value("type", "");
    if (type == "WELCOME") {
      session_ = m.value("session", session_);
      for (const auto& [seq, result] : unacked_) send(result);  // what xdream may not have had
    } else if (type == "BLOCK") {
      const std::int64_t block = m.at("block_id").get<std::int64_t>();
      session_ = m.value("session", session_);
      if (finished_.count(block) > 0 || (presenting_ && block == current_)) {
        send(message("ACK", {{"block_id", block},
                             {"attempt", m.at("attempt")},
                             {"missing", json::array()},
                             {"bad_hash", json::array()}}));
        for (const auto& [seq, result] : unacked_)
          if (result["block_id"] == block) send(result);
      } else if (std::none_of(queued_.begin(), queued_.end(),
                              [&](const Incoming& q) { return q.message["block_id"] == block; })) {
        queued_.push_back(std::move(in));
      }
    } else if (type == "RESULT_ACK") {
      unacked_.erase(m.at("ack_seq").get<std::int64_t>());
    } else if (type == "PING") {
      send(message("PONG", {{"ping_seq", m.at("seq")}}));
    } else if (type == "CANCEL") {
      const std::int64_t block = m.at("block_id").get<std::int64_t>();
      if (presenting_ && block == current_) cancelled_ = true;
      queued_.erase(
          std::remove_if(queued_.begin(), queued_.end(),
                         [&](const Incoming& q) { return q.message["block_id"] == block; }),
          queued_.end());
    } else if (type == "BYE") {
      bye_ = true;
    } else if (type == "ERROR") {
      say("xdream says: " + m.value("code", "") + ": " + m.value("message", ""));
    }
  }

  /// The BLOCK as the manifest the simulation takes, and its images (a missing or damaged
  /// image is listed in the ACK, shown blank, and answered with NaN).
  Manifest read_block(const Incoming& in, std::vector<xdream::io::Image>& images, json& missing,
                      json& bad_hash) {
    const json& m = in.message;
    Manifest manifest;
    manifest.session = m.at("session").get<std::string>();
    manifest.block = m.at("block_id").get<std::int64_t>();
    manifest.generation = m.at("generation").get<std::int64_t>();
    manifest.attempt = m.at("attempt").get<std::int64_t>();
    manifest.reps = m.at("reps").get<int>();
    manifest.deadline_s = m.at("deadline_s").get<double>();
    const json& stimuli = m.at("stimuli");
    for (std::size_t i = 0; i < stimuli.size(); ++i) {
      const json& s = stimuli[i];
      Stimulus stimulus{.index = static_cast<std::int64_t>(i),
                        .stim_id = s.at("stim_id").get<std::string>(),
                        .kind = s.at("kind").get<std::string>(),
                        .file = s.contains("path") ? s["path"].get<std::string>() : "",
                        .sha256 = s.at("sha256").get<std::string>(),
                        .width = s.at("w").get<int>(),
                        .height = s.at("h").get<int>()};
      std::string bytes;
      try {
        if (s.contains("frame")) {
          bytes = in.frames.at(static_cast<std::size_t>(s["frame"].get<int>() - 1));
        } else {
          bytes = read_bytes(stimulus.file);
        }
      } catch (const std::exception&) {
        missing.push_back(stimulus.stim_id);
      }
      const auto* data = reinterpret_cast<const std::byte*>(bytes.data());
      const std::span<const std::byte> png(data, bytes.size());
      xdream::io::Image image;
      if (!bytes.empty() && xdream::io::sha256(png) != stimulus.sha256) {
        bad_hash.push_back(stimulus.stim_id);
      } else if (!bytes.empty()) {
        image = xdream::io::decode_png(png, stimulus.stim_id);
      }
      if (image.pixels.empty()) {
        const int c = s.value("c", 1);
        image = {std::vector<float>(static_cast<std::size_t>(c * stimulus.width * stimulus.height),
                                    0.0f),
                 c, stimulus.height, stimulus.width};
      }
      images.push_back(std::move(image));
      manifest.stimuli.push_back(std::move(stimulus));
    }
    return manifest;
  }

  void present(const Incoming& in) {
    std::vector<xdream::io::Image> images;
    json missing = json::array(), bad_hash = json::array();
    const Manifest m = read_block(in, images, missing, bad_hash);
    current_ = m.block;
    presenting_ = true;
    cancelled_ = false;
    struct Done {
      bool* flag;
      ~Done() { *flag = false; }
    } done{&presenting_};
    const json ack = message("ACK", {{"block_id", m.block},
                                     {"attempt", m.attempt},
                                     {"missing", missing},
                                     {"bad_hash", bad_hash}});
    if (!o_.result_before_ack) send(ack);

    const std::vector<double> activation = neuron_->activations(images);
    if (!reference_max_) measure_reference_max(m, activation);
    if (o_.never_score_index >= 0 && never_score_id_.empty() && m.block == o_.never_score_block &&
        o_.never_score_index < static_cast<std::int64_t>(m.stimuli.size())) {
      never_score_id_ = m.stimuli[static_cast<std::size_t>(o_.never_score_index)].stim_id;
    }
    const BlockResult result = simulate_block(o_, m, activation, *reference_max_, never_score_id_);
    FileRows rows = compose_file(o_, {}, m, result, false);
    for (std::size_t r = 0; r < rows.stim_ids.size(); ++r) {
      const bool unusable =
          std::find(missing.begin(), missing.end(), rows.stim_ids[r]) != missing.end() ||
          std::find(bad_hash.begin(), bad_hash.end(), rows.stim_ids[r]) != bad_hash.end();
      if (unusable) rows.values.row(static_cast<Eigen::Index>(r)).setConstant(NAN);
    }

    // The trials in (scaled) time, with progress; halfway, the faults that strike mid-block and
    // the first half of the results, streamed.
    const double start = now_s();
    double shift = 0.0, last_progress = start;
    const std::size_t trials = result.trial_end_s.size();
    const auto per_trial = static_cast<std::size_t>(o_.images_per_trial);
    std::size_t valid = 0, streamed = 0;
    send(progress(m.block, 0, 0, false));
    for (std::size_t t = 0; t < trials; ++t) {
      const std::size_t done = t * per_trial;
      if (t == trials / 2) {
        if (m.block == o_.pause_block) {
          send(progress(m.block, done, valid, true));
          const double paused = now_s();
          serve_for(o_.pause_s);
          shift += now_s() - paused;
          send(progress(m.block, done, valid, false));
        }
        if (m.block == o_.hang_block && hung_.insert(m.block).second) return hang(m);
        if (m.block == o_.crash_block && !o_.carried.restarted) crash(m);
        if (m.block == o_.partition_block && partitioned_.insert(m.block).second) partition(m);
        streamed = std::min(done, rows.stim_ids.size());
        if (streamed > 0) send_result(m, rows, 0, streamed, false, 0, 0);
      }
      const double until = start + shift + result.trial_end_s[t] / o_.speed;
      serve_for(until - now_s());
      const std::size_t end = std::min(result.rows.size(), done + per_trial);
      for (std::size_t row = done; row < end; ++row) {
        if (result.values.row(static_cast<Eigen::Index>(row)).array().isFinite().any()) ++valid;
      }
      if (now_s() - last_progress >= 0.25) {
        send(progress(m.block, end, valid, false));
        last_progress = now_s();
      }
    }
    send(progress(m.block, result.rows.size(), result.valid, false));
    const bool late = o_.latency_s > 0.0 && (o_.latency_block == 0 || o_.latency_block == m.block);
    if (late) serve_for(o_.latency_s);
    // The parts are numbered: xdream waits for a part that a dropped connection lost and the
    // final one overtook.
    const int parts = streamed > 0 ? 2 : 1;
    const json final_result =
        send_result(m, rows, streamed, rows.stim_ids.size(), true, parts - 1, parts);
    if (o_.result_before_ack) send(ack);
    finished_.insert(m.block);
    ++blocks_shown_;
    log_rows(rows, m, "");
    say("block " + std::to_string(m.block) + " (generation " + std::to_string(m.generation) +
        ", attempt " + std::to_string(m.attempt) + "): " + std::to_string(m.stimuli.size()) +
        " images x " + std::to_string(m.reps) + " reps, " + std::to_string(result.valid) + "/" +
        std::to_string(result.rows.size()) + " valid, streamed in 2 RESULTs");
    if (m.block == o_.duplicate_block) {
      serve_for(o_.duplicate_delay_s);
      if (o_.duplicate_conflict) {
        FileRows other = compose_file(o_, {}, m, result, true);
        send_result(m, other, 0, other.stim_ids.size(), true, 0, 1);
        log_rows(other, m, "duplicate-conflict");
      } else {
        send(final_result);
        log_rows(rows, m, "duplicate");
      }
      say("block " + std::to_string(m.block) + ": RESULT sent again" +
          (o_.duplicate_conflict ? " with other values" : ""));
    }
  }

  json progress(std::int64_t block, std::size_t done, std::size_t valid, bool paused) {
    return message("PROGRESS", {{"block_id", block},
                                {"done", done},
                                {"valid", valid},
                                {"aborted", done - std::min(done, valid)},
                                {"paused", paused}});
  }

  /// Sends rows [from, to) as a RESULT, kept until xdream acknowledges it.
  json send_result(const Manifest& m, const FileRows& rows, std::size_t from, std::size_t to,
                   bool final, int part, int parts) {
    json responses = json::array();
    for (std::size_t r = from; r < to; ++r) {
      json values = json::array();
      for (Eigen::Index c = 0; c < rows.values.cols(); ++c) {
        const double v = rows.values(static_cast<Eigen::Index>(r), c);
        values.push_back(std::isfinite(v) ? json(v) : json(nullptr));
      }
      responses.push_back({{"stim_id", rows.names[r]}, {"rep", rows.reps[r]}, {"values", values}});
    }
    json result = message("RESULT", {{"block_id", m.block},
                                     {"attempt", m.attempt},
                                     {"channels", o_.labels},
                                     {"window_ms", {50, 50 + o_.window_ms}},
                                     {"responses", responses},
                                     {"final", final},
                                     {"part", part}});
    if (final) result["parts"] = parts;
    unacked_[result["seq"].get<std::int64_t>()] = result;
    send(result);
    return result;
  }

  void measure_reference_max(const Manifest& m, const std::vector<double>& activation) {
    double best = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < m.stimuli.size(); ++i)
      if (m.stimuli[i].kind == "reference") best = std::max(best, activation[i]);
    if (!(best > 0.0) || !std::isfinite(best)) {
      throw std::runtime_error("block " + std::to_string(m.block) +
                               " has no reference image with a response > 0 to scale the spike "
                               "rate to; give --reference-max");
    }
    reference_max_ = best;
  }

  /// The hang fault: silent and deaf for --hang-s (no heartbeat, nothing read); then it listens
  /// again, and shows the block when xdream sends it again.
  void hang(const Manifest& m) {
    say("block " + std::to_string(m.block) + ": hanging for " + std::to_string(o_.hang_s) + " s");
    if (!sleep_for(o_.hang_s)) return;
    say("block " + std::to_string(m.block) + ": listening again");
  }

  /// The partition fault: the connection is cut for --partition-s, then made again; the block
  /// goes on (its results are sent when the link is back).
  void partition(const Manifest& m) {
    say("block " + std::to_string(m.block) + ": network partition for " +
        std::to_string(o_.partition_s) + " s");
    connection_.close();
    sleep_for(o_.partition_s);
    connect();
  }

  /// The crash fault: dies mid-block and starts again as a new process (a new instance, a new
  /// ZeroMQ identity), carrying what it measured so that it answers as the first would have.
  [[noreturn]] void crash(const Manifest& m) {
    std::fprintf(stderr, "xdream-fakerig: crash in block %lld (the --crash-block fault)\n",
                 static_cast<long long>(m.block));
    std::fflush(stdout);
    std::fflush(stderr);
    if (log_.is_open()) log_.close();
    connection_.close();
    sleep_for(o_.crash_restart_s);
    const CarriedState state{.restarted = true,
                             .stale_pending = false,
                             .reference_max = reference_max_,
                             .never_score_id = never_score_id_,
                             .blocks_shown = blocks_shown_};
    restart_with(state, argc_, argv_);
  }

  void log_rows(const FileRows& rows, const Manifest& m, const std::string& extra) {
    if (!log_.is_open()) return;
    for (std::size_t r = 0; r < rows.names.size(); ++r) {
      std::string fault = rows.faults[r];
      if (!extra.empty()) fault += fault.empty() ? extra : "," + extra;
      for (int c = 0; c < o_.channels; ++c) {
        const double value = rows.values(static_cast<Eigen::Index>(r), c);
        json line{{"block", m.block},
                  {"attempt", m.attempt},
                  {"stim_id", rows.stim_ids[r]},
                  {"rep", rows.reps[r]},
                  {"channel", o_.labels[static_cast<std::size_t>(c)]},
                  {"value", std::isfinite(value) ? json(value) : json(nullptr)},
                  {"file", "RESULT"}};
        if (!fault.empty()) line["fault"] = fault;
        log_ << line.dump() << '\n';
      }
    }
    log_.flush();
  }

  RigOptions o_;
  int argc_;
  char** argv_;
  std::string instance_;
  Connection connection_;
  std::unique_ptr<Neuron> neuron_;
  std::optional<double> reference_max_;
  std::string never_score_id_;
  std::uint64_t blocks_shown_ = 0;
  std::ofstream log_;
  std::string session_;
  std::int64_t seq_ = 0;
  double last_sent_ = 0.0;
  std::map<std::int64_t, json> unacked_;  // RESULTs by seq, until xdream acknowledges them
  std::set<std::int64_t> finished_, hung_, partitioned_;
  std::deque<Incoming> queued_;
  std::int64_t current_ = 0;
  bool presenting_ = false, cancelled_ = false, bye_ = false;
};

}  // namespace

int run_socket_rig(const RigOptions& options, int argc, char** argv) {
  SocketRig rig(options, argc, argv);
  return rig.run();
}

}  // namespace xdream_fakerig
