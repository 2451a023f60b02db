#include "plot.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef XDREAM_TOOLS_DIR
#define XDREAM_TOOLS_DIR "tools"
#endif

extern char** environ;

namespace xdream_apps {

bool plot_run(const std::filesystem::path& dir, const std::string& program) {
  const std::string python = "/usr/bin/python3";
  const std::string script = std::string(XDREAM_TOOLS_DIR) + "/plot_run.py";
  const auto skip = [&](const std::string& why) {
    std::fprintf(stderr, "%s: scores.png not made (%s); scores.csv has the scores\n",
                 program.c_str(), why.c_str());
    return false;
  };
  if (::access(python.c_str(), X_OK) != 0) return skip(python + " is missing");
  if (::access(script.c_str(), R_OK) != 0) return skip(script + " is missing");
  std::vector<std::string> args{python, script, dir.string(), "--quiet"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // The script's own messages go to stderr; its stdout is not ours to fill.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int error = ::posix_spawn(&pid, python.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) return skip("cannot start " + python + ": " + std::strerror(error));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return skip("lost the plotting process");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return skip("tools/plot_run.py failed; run it by hand to see why");
  }
  return true;
}

}  // namespace xdream_apps
