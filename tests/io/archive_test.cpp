// io/archive: every supported type round-trips bit for bit; every malformed input is a clear
// ArchiveError (never undefined behaviour, never a giant allocation).
#include "../support/files.hpp"

#include <xdream/genealogy.hpp>
#include <xdream/io/archive.hpp>
#include <xdream/population.hpp>
#include <xdream/result.hpp>

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace {
std::filesystem::path temp(const std::string& name) {
  return xdream_test::temp_path("xdream_archive_test", name);
}

enum class Colour : std::uint8_t { red = 1, green = 7 };
enum Plain { plain_a = -3, plain_b = 40000 };

struct Inner {
  int count = 0;
  std::vector<double> values;
  Colour colour = Colour::red;
  auto tie() { return std::tie(count, values, colour); }
  auto tie() const { return std::tie(count, values, colour); }
  friend bool operator==(const Inner&, const Inner&) = default;
};

struct Outer {
  std::string label;
  Inner inner;
  std::vector<Inner> many;
  Eigen::MatrixXd matrix;
  std::optional<Inner> maybe;
  auto tie() { return std::tie(label, inner, many, matrix, maybe); }
  auto tie() const { return std::tie(label, inner, many, matrix, maybe); }
};

template <class T>
T round_trip(const T& value) {
  const auto bytes = xdream::io::save_archive("test", value);
  T back{};
  xdream::io::load_archive(bytes, "test", back);
  return back;
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// Reads `bytes` as an archive tagged "t" holding one vector<double>; returns the error message
// (empty when it loaded).
std::string load_error(const std::vector<std::byte>& bytes) {
  try {
    std::vector<double> v;
    xdream::io::load_archive(bytes, "t", v);
  } catch (const xdream::io::ArchiveError& e) {
    return e.what();
  }
  return {};
}

// A sealed archive around a hand-made payload (to put lies inside a valid checksum).
template <class... T>
std::vector<std::byte> sealed_payload(const T&... values) {
  xdream::io::ArchiveWriter out;
  out(values...);
  return xdream::io::seal("t", out.bytes());
}
}  // namespace

TEST_CASE("archive round-trips arithmetic types and enums bit for bit") {
  CHECK(round_trip(true) == true);
  CHECK(round_trip(false) == false);
  CHECK(round_trip(std::int8_t{-5}) == -5);
  CHECK(round_trip(std::uint16_t{65535}) == 65535);
  CHECK(round_trip(std::int32_t{-123456}) == -123456);
  CHECK(round_trip(std::uint64_t{0xfedcba9876543210ull}) == 0xfedcba9876543210ull);
  CHECK(round_trip(xdream::Index{-7}) == -7);
  CHECK(round_trip(1.5f) == 1.5f);
  CHECK(round_trip(0.1) == 0.1);
  CHECK(same_bits(round_trip(-0.0), -0.0));
  CHECK(same_bits(round_trip(std::numeric_limits<double>::infinity()),
                  std::numeric_limits<double>::infinity()));
  const double payload_nan = std::bit_cast<double>(0x7ff8000000000123ull);
  CHECK(same_bits(round_trip(payload_nan), payload_nan));
  CHECK(same_bits(round_trip(std::numeric_limits<float>::denorm_min()),
                  std::numeric_limits<float>::denorm_min()));
  CHECK(round_trip(Colour::green) == Colour::green);
  CHECK(round_trip(plain_b) == plain_b);
  CHECK(round_trip(plain_a) == plain_a);
  CHECK(round_trip('x') == 'x');
}

TEST_CASE("archive round-trips strings, vectors and optionals") {
  CHECK(round_trip(std::string()).empty());
  const std::string with_nul("a\0b\xff", 4);
  CHECK(round_trip(with_nul) == with_nul);
  CHECK(round_trip(std::vector<int>{}).empty());
  CHECK(round_trip(std::vector<int>{1, -2, 3}) == std::vector<int>{1, -2, 3});
  CHECK(round_trip(std::vector<bool>{true, false, true}) == std::vector<bool>{true, false, true});
  CHECK(round_trip(std::vector<std::string>{"", "ab", "c"}) ==
        std::vector<std::string>{"", "ab", "c"});
  CHECK(round_trip(std::vector<std::vector<float>>{{}, {1.f, 2.f}}) ==
        std::vector<std::vector<float>>{{}, {1.f, 2.f}});
  CHECK(round_trip(std::optional<int>{}) == std::nullopt);
  CHECK(round_trip(std::optional<int>{4}) == 4);
  CHECK(round_trip(std::optional<std::string>{"s"}) == "s");
}

TEST_CASE("archive round-trips Eigen matrices, vectors and arrays with their dimensions") {
  xdream::Population population(3, 4);
  population.setRandom();
  CHECK(round_trip(population) == population);
  const xdream::Scores scores = xdream::Scores::LinSpaced(5, -1.0, 1.0);
  CHECK(round_trip(scores) == scores);
  const Eigen::RowVectorXi row = Eigen::RowVectorXi::LinSpaced(4, 1, 4);
  CHECK(round_trip(row) == row);
  Eigen::Matrix3f fixed;
  fixed.setRandom();
  CHECK(round_trip(fixed) == fixed);
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> row_major(2, 3);
  row_major << 1, 2, 3, 4, 5, 6;
  CHECK(round_trip(row_major) == row_major);
  Eigen::ArrayXXd array(2, 2);
  array << 1, 2, 3, 4;
  CHECK((round_trip(array) == array).all());
  const Eigen::MatrixXd empty(0, 5);
  const Eigen::MatrixXd back = round_trip(empty);
  CHECK(back.rows() == 0);
  CHECK(back.cols() == 5);

  // Row-major and column-major copies store the same bytes: column-major element order.
  const Eigen::MatrixXd col_major = row_major;
  CHECK(xdream::io::save_archive("t", col_major) == xdream::io::save_archive("t", row_major));
  // A 2 x 3 matrix read into a fixed 3 x 3 type is an error.
  const auto bytes = xdream::io::save_archive("t", Eigen::MatrixXf(2, 3));
  Eigen::Matrix3f into;
  CHECK_THROWS_AS(xdream::io::load_archive(bytes, "t", into), xdream::io::ArchiveError);
}

TEST_CASE("archive round-trips types with tie(), nested and in vectors") {
  Outer outer;
  outer.label = "outer";
  outer.inner = {3, {1.0, 2.0}, Colour::green};
  outer.many = {{1, {}, Colour::red}, {2, {0.5}, Colour::green}};
  outer.matrix = Eigen::MatrixXd::Identity(2, 3);
  outer.maybe = Inner{9, {9.0}, Colour::green};
  const Outer back = round_trip(outer);
  CHECK(back.label == outer.label);
  CHECK(back.inner == outer.inner);
  CHECK(back.many == outer.many);
  CHECK(back.matrix == outer.matrix);
  CHECK(back.maybe == outer.maybe);

  xdream::Lineage lineage{{2, 41}, xdream::Origin::child, {1, 3}, {1, 4}, true};
  const xdream::Lineage l = round_trip(lineage);
  CHECK(l.to_string() == lineage.to_string());
  CHECK(l.id == lineage.id);
  CHECK(l.origin == lineage.origin);

  std::vector<xdream::GenerationStats> history(2);
  history[1].generation = 1;
  history[1].stimuli = 40;
  history[1].best = -0.5;
  history[1].missing = 2;
  history[1].seconds = 0.25;
  const auto h = round_trip(history);
  REQUIRE(h.size() == 2);
  CHECK(h[1].stimuli == 40);
  CHECK(h[1].best == -0.5);
  CHECK(std::isnan(h[0].best));
  CHECK(h[1].missing == 2);
  CHECK(h[1].seconds == 0.25);
}

TEST_CASE("archive reads several values in order and insists on reading them all") {
  const auto bytes = xdream::io::save_archive("multi", 1, std::string("two"), 3.0);
  int a = 0;
  std::string b;
  double c = 0;
  xdream::io::load_archive(bytes, "multi", a, b, c);
  CHECK(a == 1);
  CHECK(b == "two");
  CHECK(c == 3.0);
  int only = 0;
  CHECK_THROWS_WITH_AS(xdream::io::load_archive(bytes, "multi", only),
                       doctest::Contains("left over"), xdream::io::ArchiveError);
  double d = 0;
  CHECK_THROWS_WITH_AS(xdream::io::load_archive(bytes, "multi", a, b, c, d),
                       doctest::Contains("truncated"), xdream::io::ArchiveError);
}

TEST_CASE("archive files are written atomically and read back; errors name the file") {
  const auto path = temp("values.bin");
  const std::vector<double> values{1.0, 2.0, 3.0};
  xdream::io::save_archive_file(path, "t", values);
  CHECK_FALSE(std::filesystem::exists(path.string() + ".tmp"));
  std::vector<double> back;
  xdream::io::load_archive_file(path, "t", back);
  CHECK(back == values);
  CHECK(xdream::io::archive_file_tag(path) == "t");

  // Overwriting replaces the file whole.
  xdream::io::save_archive_file(path, "t", std::vector<double>{4.0});
  xdream::io::load_archive_file(path, "t", back);
  CHECK(back == std::vector<double>{4.0});

  const auto missing = temp("does_not_exist.bin");
  CHECK_THROWS_WITH_AS(xdream::io::load_archive_file(missing, "t", back),
                       doctest::Contains((missing.string() + ": cannot open").c_str()),
                       xdream::io::ArchiveError);
  CHECK_THROWS_AS(xdream::io::save_archive_file(temp("no_such_dir") / "x.bin", "t", values),
                  xdream::io::ArchiveError);

  // A truncated file: the error names the file and says so.
  const std::vector<std::byte> bytes = xdream::io::read_file(path);
  const auto cut = temp("cut.bin");
  {
    std::ofstream out(cut, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size() - 3));
  }
  CHECK_THROWS_WITH_AS(xdream::io::load_archive_file(cut, "t", back),
                       doctest::Contains((cut.string() + ": truncated").c_str()),
                       xdream::io::ArchiveError);
}

TEST_CASE("archive rejects a wrong tag, a wrong version, bad magic, corruption and extra bytes") {
  const auto good = xdream::io::save_archive("t", std::vector<double>{1.0, 2.0});
  CHECK(load_error(good).empty());

  CHECK_THROWS_WITH_AS(
      [&] {
        std::vector<double> v;
        xdream::io::load_archive(good, "cmaes", v);
      }(),
      doctest::Contains("holds 't', expected 'cmaes'"), xdream::io::ArchiveError);

  CHECK(load_error({}).find("empty") != std::string::npos);

  auto bad_magic = good;
  bad_magic[1] = std::byte{'Y'};
  CHECK(load_error(bad_magic).find("not an xdream archive") != std::string::npos);

  auto version = good;
  version[8] = std::byte{2};  // the u32 after the 8-byte magic
  CHECK(load_error(version).find("format version 2; this build reads version 1") !=
        std::string::npos);

  // Every single-byte change after the version is caught (by the sizes or by the checksum).
  for (std::size_t i = 12; i < good.size(); ++i) {
    auto flipped = good;
    flipped[i] ^= std::byte{0x10};
    CAPTURE(i);
    CHECK_FALSE(load_error(flipped).empty());
  }
  auto corrupt = good;
  corrupt[corrupt.size() - 9] ^= std::byte{1};  // last payload byte
  CHECK(load_error(corrupt).find("checksum mismatch") != std::string::npos);

  // Every truncation is an error, never a crash.
  for (std::size_t n = 0; n < good.size(); ++n) {
    CAPTURE(n);
    CHECK_FALSE(
        load_error(std::vector<std::byte>(good.begin(), good.begin() + static_cast<long>(n)))
            .empty());
  }
  auto longer = good;
  longer.push_back(std::byte{0});
  CHECK(load_error(longer).find("unexpected bytes after the checksum") != std::string::npos);
}

TEST_CASE(
    "archive bounds every length by the bytes left: a lying count is an error, not an "
    "allocation") {
  // Valid checksums around payloads whose counts lie.
  CHECK(load_error(sealed_payload(std::uint64_t{1} << 60)).find("does not fit") !=
        std::string::npos);
  CHECK(load_error(sealed_payload(std::uint64_t{3}, 1.0, 2.0)).find("does not fit") !=
        std::string::npos);
  {
    const auto bytes = sealed_payload(std::uint64_t{~0ull}, std::uint64_t{~0ull});
    Eigen::MatrixXd m;
    CHECK_THROWS_WITH_AS(xdream::io::load_archive(bytes, "t", m), doctest::Contains("does not fit"),
                         xdream::io::ArchiveError);
    const auto wide = sealed_payload(std::uint64_t{1} << 40, std::uint64_t{1} << 40);
    CHECK_THROWS_AS(xdream::io::load_archive(wide, "t", m), xdream::io::ArchiveError);
  }
  {
    const auto bytes = sealed_payload(std::uint64_t{1} << 62);
    std::string s;
    CHECK_THROWS_AS(xdream::io::load_archive(bytes, "t", s), xdream::io::ArchiveError);
    std::vector<Inner> inners;
    CHECK_THROWS_AS(xdream::io::load_archive(bytes, "t", inners), xdream::io::ArchiveError);
  }
  {
    const auto bytes = sealed_payload(std::uint8_t{2});
    bool b = false;
    CHECK_THROWS_WITH_AS(xdream::io::load_archive(bytes, "t", b),
                         doctest::Contains("a bool holds 2"), xdream::io::ArchiveError);
  }
  // A tag longer than the limit is refused when writing.
  CHECK_THROWS_AS(xdream::io::seal(std::string(xdream::io::archive_max_tag_size + 1, 'x'), {}),
                  std::invalid_argument);
}
