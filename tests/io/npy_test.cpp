// io/npy: what numpy.save writes, what numpy.load reads, and clear errors for everything else.
#include "../support/files.hpp"

#include <xdream/io/npy.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace {
std::filesystem::path temp(const std::string& name) {
  return xdream_test::temp_path("xdream_npy_test", name);
}

// A .npy version 1.0 file with the given header dictionary and raw bytes, as numpy writes it.
void write_raw(const std::filesystem::path& path, const std::string& dict,
               const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const auto n = static_cast<std::uint16_t>(header.size());
  out.put(static_cast<char>(n & 0xff)).put(static_cast<char>(n >> 8));
  out << header << data;
}

template <class T>
std::string bytes(std::initializer_list<T> values) {
  std::string out;
  for (T v : values) out.append(reinterpret_cast<const char*>(&v), sizeof v);
  return out;
}
}  // namespace

TEST_CASE("npy round trip of a population and of one code") {
  xdream::Population codes(3, 2);
  codes << 1, 2, 3, 4, 5, 6;  // codes (columns) (1,3,5) and (2,4,6)
  const auto path = temp("population.npy");
  xdream::io::save_npy(path, codes);
  CHECK(xdream::io::load_npy(path) == codes);
  CHECK_FALSE(std::filesystem::exists(path.string() + ".tmp"));

  const xdream::Code one = codes.col(1);
  xdream::io::save_npy(temp("code.npy"), one);
  const xdream::Population loaded = xdream::io::load_npy(temp("code.npy"));
  CHECK(loaded.rows() == 3);
  CHECK(loaded.cols() == 1);
  CHECK(loaded.col(0) == one);
}

TEST_CASE("npy reads float64 and Fortran order as numpy lays them out") {
  // numpy: np.asfortranarray(np.arange(6.).reshape(2, 3)) -> rows (0,1,2) and (3,4,5), stored
  // column by column: 0 3 1 4 2 5.
  write_raw(temp("fortran.npy"), "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
            bytes<double>({0, 3, 1, 4, 2, 5}));
  const xdream::Population f = xdream::io::load_npy(temp("fortran.npy"));
  REQUIRE(f.rows() == 3);
  REQUIRE(f.cols() == 2);
  CHECK(f(0, 0) == 0.0f);
  CHECK(f(2, 0) == 2.0f);
  CHECK(f(0, 1) == 3.0f);
  CHECK(f(2, 1) == 5.0f);
}

TEST_CASE("load_codes joins files and rejects mixed code lengths") {
  xdream::Population a = xdream::Population::Constant(4, 2, 1.0f);
  xdream::Population b = xdream::Population::Constant(4, 3, 2.0f);
  xdream::io::save_npy(temp("a.npy"), a);
  xdream::io::save_npy(temp("b.npy"), b);
  const xdream::Population joined = xdream::io::load_codes({temp("a.npy"), temp("b.npy")});
  CHECK(joined.cols() == 5);
  CHECK(joined.col(1) == a.col(1));
  CHECK(joined.col(4) == b.col(0));
  xdream::io::save_npy(temp("c.npy"), xdream::Population(xdream::Population::Zero(5, 1)));
  CHECK_THROWS_WITH_AS(xdream::io::load_codes({temp("a.npy"), temp("c.npy")}),
                       doctest::Contains("code length"), std::runtime_error);
  CHECK_THROWS_AS(xdream::io::load_codes({}), std::invalid_argument);
}

TEST_CASE("npy errors name the file and the problem") {
  CHECK_THROWS_WITH_AS(xdream::io::load_npy(temp("missing.npy")), doctest::Contains("missing.npy"),
                       std::runtime_error);
  {
    std::ofstream out(temp("text.npy"));
    out << "not numpy at all";
  }
  CHECK_THROWS_WITH_AS(xdream::io::load_npy(temp("text.npy")), doctest::Contains("bad magic"),
                       std::runtime_error);
  write_raw(temp("int.npy"), "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
            bytes<std::int64_t>({1, 2}));
  CHECK_THROWS_WITH_AS(xdream::io::load_npy(temp("int.npy")), doctest::Contains("<i8"),
                       std::runtime_error);
  write_raw(temp("short.npy"), "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
            bytes<float>({1, 2, 3}));
  CHECK_THROWS_WITH_AS(xdream::io::load_npy(temp("short.npy")), doctest::Contains("truncated"),
                       std::runtime_error);
  write_raw(temp("cube.npy"), "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 2), }",
            bytes<float>({1, 2}));
  CHECK_THROWS_WITH_AS(xdream::io::load_npy(temp("cube.npy")), doctest::Contains("dimensions"),
                       std::runtime_error);
}
