#pragma once
// The replay protocol of the Python oracles (tests/algorithms/*_oracle.py): the test writes its
// run to a file (n, lambda, sigma0 and the number of generations, the initial mean, then per
// generation lambda rows "x[0] ... x[n-1] score"), the oracle replays it through the `cmaes`
// package and prints its state after each generation as labelled lines ("mean m[0] ...",
// "sigma s", ...), which the test reads back.

#include <xdream/population.hpp>

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

namespace xdream_test {

/// One replay through a Python oracle; its files live in the temp directory and go with it.
class OracleReplay {
 public:
  /// Starts the input for `script` (a path) of a run of `generations` generations of `lambda`
  /// codes of size n = `mean.size()` from `mean` with step size `sigma`. `stem` names the files
  /// (the process id is added: parallel test runs do not collide).
  OracleReplay(std::filesystem::path script, const std::string& stem, xdream::Index lambda,
               double sigma, int generations, const Eigen::VectorXd& mean)
      : script_(std::move(script)) {
    const std::filesystem::path dir = std::filesystem::temp_directory_path();
    const std::string name = stem + "_" + std::to_string(::getpid());
    input_path_ = dir / (name + ".in");
    output_path_ = dir / (name + ".out");
    errors_path_ = dir / (name + ".err");
    input_ = std::fopen(input_path_.c_str(), "w");
    REQUIRE(input_ != nullptr);
    std::fprintf(input_, "%ld %ld %.17g %d\n", static_cast<long>(mean.size()),
                 static_cast<long>(lambda), sigma, generations);
    // %.17g round-trips a double.
    for (xdream::Index i = 0; i < mean.size(); ++i) std::fprintf(input_, "%.17g ", mean[i]);
    std::fprintf(input_, "\n");
  }

  OracleReplay(const OracleReplay&) = delete;
  OracleReplay& operator=(const OracleReplay&) = delete;

  ~OracleReplay() {
    if (input_ != nullptr) std::fclose(input_);
    std::error_code ignored;
    for (const auto& path : {input_path_, output_path_, errors_path_}) {
      std::filesystem::remove(path, ignored);
    }
  }

  /// Appends one generation: the codes shown (float to double is exact) and their scores.
  void add_generation(const xdream::Population& x, const xdream::Scores& scores) {
    for (xdream::Index k = 0; k < x.cols(); ++k) {
      for (xdream::Index i = 0; i < x.rows(); ++i) {
        std::fprintf(input_, "%.17g ", static_cast<double>(x(i, k)));
      }
      std::fprintf(input_, "%.17g\n", scores[k]);
    }
  }

  /// Runs the oracle on the input written so far; fails the test, with the command and what the
  /// oracle wrote to stderr, unless it exits with status 0.
  void run() {
    std::fclose(input_);
    input_ = nullptr;
    const std::string command = "/usr/bin/python3 '" + script_.string() + "' '" +
                                input_path_.string() + "' > '" + output_path_.string() + "' 2> '" +
                                errors_path_.string() + "'";
    const int status = std::system(command.c_str());
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
      std::ifstream error_stream(errors_path_);
      const std::string error_text((std::istreambuf_iterator<char>(error_stream)),
                                   std::istreambuf_iterator<char>());
      FAIL("the Python oracle failed (exit status ", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
           "); it needs /usr/bin/python3 with numpy and cmaes 0.9.1 (Debian: python3-numpy, "
           "python3-cmaes, installed by scripts/setup); command: ",
           command, "; its stderr: ", error_text);
    }
    output_.open(output_path_);
  }

  /// Reads the oracle's next line, which must be `label` followed by `count` numbers.
  Eigen::VectorXd read(const char* label, xdream::Index count) {
    std::string found;
    output_ >> found;
    REQUIRE(found == label);
    Eigen::VectorXd v(count);
    for (xdream::Index i = 0; i < count; ++i) {
      std::string token;
      output_ >> token;
      v[i] = std::strtod(token.c_str(), nullptr);
    }
    return v;
  }

 private:
  std::filesystem::path script_, input_path_, output_path_, errors_path_;
  std::FILE* input_ = nullptr;
  std::ifstream output_;
};

}  // namespace xdream_test
