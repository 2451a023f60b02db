// The file transport on its own, in a temporary exchange directory: a block's files and manifest
// as the rig reads them, a response file read once stable and archived byte for byte, and the
// files it refuses (another session's, another block's, damaged) quarantined with a reason.

#include <xdream/io/sha256.hpp>
#include <xdream/rig/file_transport.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;
using json = nlohmann::json;
namespace rig = xdream::rig;

namespace {

struct Exchange {
  fs::path root;
  Exchange() {
    char pattern[] = "/tmp/xdream-file-transport-XXXXXX";
    root = ::mkdtemp(pattern);
    fs::create_directories(root / "exchange");
    fs::create_directories(root / "raw");
  }
  ~Exchange() {
    std::error_code error;
    fs::remove_all(root, error);
  }
  fs::path dir() const { return root / "exchange"; }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir() / name, std::ios::binary) << text;
  }
};

rig::RigBlock block_of(std::uint32_t number) {
  rig::RigBlock block;
  block.session = "ft01";
  block.number = number;
  block.deadline_s = 60;
  for (int i = 0; i < 2; ++i) {
    auto image = std::make_shared<rig::RigImage>();
    image->channels = 1;
    image->height = image->width = 3;
    image->pixels.assign(9, 0.5f);
    block.stimuli.push_back({"ft01-g0-" + std::to_string(i), rig::StimulusKind::synthetic, image});
  }
  return block;
}

std::string result(long long block, const std::string& session = "ft01") {
  return json{{"type", "RESULT"},
              {"v", 1},
              {"session", session},
              {"block_id", block},
              {"channels", {"ch0"}},
              {"responses",
               {{{"stim_id", "ft01-g0-0"}, {"rep", 0}, {"values", {2.5}}},
                {{"stim_id", "block001_001_ft01-g0-1.png"}, {"rep", 0}, {"values", {nullptr}}}}},
              {"final", true}}
      .dump();
}

// Polls until an event comes (the file must be stable over 2 polls first).
std::vector<rig::RigEvent> events_of(rig::FileTransport<rig::ManualClock>& transport,
                                     rig::ManualClock& clock) {
  for (int i = 0; i < 20; ++i) {
    std::vector<rig::RigEvent> events = transport.poll(clock.now() + rig::seconds(1.0));
    if (!events.empty()) return events;
  }
  return {};
}

}  // namespace

TEST_CASE("file transport: a block's images and manifest, then its response file read once") {
  Exchange x;
  rig::ManualClock clock;
  rig::FileTransport<rig::ManualClock> transport(x.dir(), clock, {.poll_s = 0.25});
  transport.set_archive(x.root / "raw");
  transport.open({"ft01", {"ch0"}});
  transport.submit(block_of(1));
  const json manifest = json::parse(std::ifstream(x.dir() / "block001.manifest.json"));
  REQUIRE(manifest["stimuli"].size() == 2);
  for (const json& s : manifest["stimuli"]) {
    const fs::path png = x.dir() / s["file"].get<std::string>();
    REQUIRE(fs::exists(png));
    CHECK(xdream::io::sha256_file(png) == s["sha256"]);
  }
  const json current = json::parse(std::ifstream(x.dir() / "current_block.json"));
  CHECK(current["block"] == 1);
  CHECK(current["status"] == "open");

  x.write("block001.json", result(1));
  const std::vector<rig::RigEvent> events = events_of(transport, clock);
  REQUIRE(events.size() == 1);
  const auto* responses = std::get_if<rig::Responses>(&events[0]);
  REQUIRE(responses != nullptr);
  REQUIRE(responses->rows.size() == 2);
  CHECK(responses->rows[0].stim_id == "ft01-g0-0");
  CHECK(responses->rows[1].stim_id == "ft01-g0-1");     // named by its file
  CHECK(fs::exists(x.root / "raw" / "block001.json"));  // archived as received
  CHECK(fs::exists(x.dir() / "processed" / "block001.json"));
  transport.retire(1);
  CHECK(json::parse(std::ifstream(x.dir() / "current_block.json"))["status"] == "closed");
}

TEST_CASE("file transport: another session's or another block's file is quarantined") {
  Exchange x;
  rig::ManualClock clock;
  rig::FileTransport<rig::ManualClock> transport(x.dir(), clock, {.poll_s = 0.25});
  transport.set_archive(x.root / "raw");
  transport.open({"ft01", {"ch0"}});
  transport.submit(block_of(1));
  std::string why;
  SUBCASE("a stale file of another session") {
    x.write("block001.json", result(1, "other"));
    why = "of session 'other'";
  }
  SUBCASE("a file whose block_id is not its name's") {
    x.write("block001.json", result(7));
    why = "block_id 7 is not its name's block 1";
  }
  SUBCASE("a damaged file") {
    x.write("block001.json", "{\"type\": \"RESULT\", \"v\": 1, \"responses\": 3}");
    why = "\"responses\" is not an array";
  }
  const std::vector<rig::RigEvent> events = events_of(transport, clock);
  REQUIRE(events.size() == 1);
  const auto* fault = std::get_if<rig::Fault>(&events[0]);
  REQUIRE(fault != nullptr);
  CHECK(fault->kind == "quarantined");
  CHECK(fault->message.find(why) != std::string::npos);
  CHECK(fs::exists(x.dir() / "quarantine" / "block001.json"));
  CHECK(fs::exists(x.dir() / "quarantine" / "block001.json.reason.txt"));
}

TEST_CASE("file transport: a second session on the same exchange is refused") {
  Exchange x;
  rig::ManualClock clock;
  rig::FileTransport<rig::ManualClock> first(x.dir(), clock);
  first.open({"ft01", {}});
  rig::FileTransport<rig::ManualClock> second(x.dir(), clock);
  CHECK_THROWS_AS(second.open({"ft02", {}}), std::invalid_argument);
}
