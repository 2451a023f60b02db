// The C++ side of the h5py cross-check (h5py_check.py):
//   xdream_rig_h5py_fixtures write DIR         writes .mat files through the simulated rig's
//                                              writer (matio) and DIR/expected.json, what each
//                                              holds
//   xdream_rig_h5py_fixtures read FILE [IMG...] reads a response file (files h5py wrote) and prints
//                                              the table as JSON, or {"error", "retryable"}
#include <xdream/rig/response_file.hpp>

#include "response_writer.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

using xdream_fakerig::MatFault;
using xdream_fakerig::ResponseContent;

nlohmann::json rows_of(const Eigen::MatrixXd& values) {
  nlohmann::json rows = nlohmann::json::array();
  for (Eigen::Index i = 0; i < values.rows(); ++i) {
    nlohmann::json row = nlohmann::json::array();
    for (Eigen::Index c = 0; c < values.cols(); ++c)
      row.push_back(std::isnan(values(i, c)) ? nlohmann::json(nullptr)
                                             : nlohmann::json(values(i, c)));
    rows.push_back(std::move(row));
  }
  return rows;
}

ResponseContent content(std::vector<std::string> names, int channels, double offset) {
  ResponseContent c;
  c.names = std::move(names);
  for (int k = 0; k < channels; ++k) c.channels.push_back("ch" + std::to_string(k + 1));
  c.values.resize(static_cast<Eigen::Index>(c.names.size()), channels);
  for (Eigen::Index i = 0; i < c.values.rows(); ++i)
    for (Eigen::Index k = 0; k < channels; ++k)
      c.values(i, k) = offset + 100.0 * static_cast<double>(i) + static_cast<double>(k) / 8.0;
  if (c.values.rows() > 2) c.values(2, 0) = std::nan("");
  return c;
}

int write_fixtures(const std::filesystem::path& dir) {
  std::vector<std::string> block;
  for (int i = 0; i < 7; ++i)
    block.push_back("block012_00" + std::to_string(i) + "_5e6f7a8b-g3-" + std::to_string(i) +
                    ".png");
  const std::vector<std::string> paths = {"N:\\Stimuli\\5e6f7a8b\\block012_000_5e6f7a8b-g3-0.png",
                                          "/mnt/stimuli/block012_001_ref-caf\xC3\xA9.png",
                                          "N:\\Stimuli\\5e6f7a8b\\block012_000_5e6f7a8b-g3-0.png",
                                          "5e6f7a8b-g3-2"};
  struct Case {
    const char* file;
    ResponseContent content;
    MatFault fault;
  };
  const std::vector<Case> cases = {
      {"column.mat", content(block, 3, 0.5), MatFault::none},
      {"row.mat", content(block, 2, 1.5), MatFault::row_cell},
      {"transposed.mat", content(block, 4, 2.5), MatFault::transposed},
      {"h5py_strings.mat", content(block, 3, 3.5), MatFault::h5py_strings},
      {"paths.mat", content(paths, 2, 4.5), MatFault::none},
      {"single.mat", content({block[0]}, 1, 5.5), MatFault::none},
  };
  nlohmann::json expected = nlohmann::json::array();
  for (const auto& c : cases) {
    xdream_fakerig::write_mat(dir / c.file, c.content, c.fault);
    expected.push_back({{"file", c.file},
                        {"names", c.content.names},
                        {"channels", c.content.channels},
                        {"values", rows_of(c.content.values)},
                        {"row_cell", c.fault == MatFault::row_cell},
                        {"transposed", c.fault == MatFault::transposed},
                        {"h5py_strings", c.fault == MatFault::h5py_strings}});
  }
  std::ofstream(dir / "expected.json") << expected.dump(1) << '\n';
  return 0;
}

int read_file(const std::filesystem::path& file, const std::vector<std::string>& images) {
  nlohmann::json out;
  try {
    const auto table = xdream::rig::read_responses(file, images);
    out = {{"names", table.names},
           {"reps", table.reps},
           {"channels", table.channels},
           {"values", rows_of(table.values)},
           {"transposed", table.transposed}};
  } catch (const xdream::rig::ResponseFileError& e) {
    out = {{"error", e.what()}, {"retryable", e.retryable()}};
  }
  std::cout << out.dump() << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 2 && args[0] == "write") return write_fixtures(args[1]);
    if (args.size() >= 2 && args[0] == "read")
      return read_file(args[1], std::vector<std::string>(args.begin() + 2, args.end()));
    std::cerr << "usage: xdream_rig_h5py_fixtures write DIR | read FILE [IMAGE_FILE...]\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "xdream_rig_h5py_fixtures: " << e.what() << '\n';
    return 1;
  }
}
