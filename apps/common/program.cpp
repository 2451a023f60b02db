#include "program.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <unistd.h>

namespace xdream_apps {

int run_main(int argc, char** argv, const char* name, int (*program)(int, char**)) {
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    ::execv("/proc/self/exe", argv);  // on failure, carry on with the default policy
  }
  try {
    return program(argc, argv);
  } catch (const std::exception& e) {
    std::string message = e.what();
    if (const auto end = message.find('\n'); end != std::string::npos) message.resize(end);
    std::fprintf(stderr, "%s: error: %s\n", name, message.c_str());
    return 1;
  }
}

}  // namespace xdream_apps
