#pragma once
/// @file
/// Runs a piece of work in a forked child process and collects the bytes it returns, with a time
/// limit. The response-file readers parse HDF5 this way: HDF5's own parser can crash or loop
/// forever on damaged bytes (a corrupt global heap makes HDF5 1.10 loop), and a file from another
/// computer must never take the caller down with it. Internal: see xdream/rig/response_file.hpp.
///
/// The child runs only the given work, with the default action for fatal signals and its output
/// and error streams going to /dev/null, writes its result to a pipe and leaves with _exit (no
/// atexit handlers, no flushing of the parent's stdio buffers). Where fork is unavailable the
/// work is not started and the caller runs it in its own process.

#include <algorithm>
#include <chrono>
#include <climits>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <poll.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#define XDREAM_RIG_DETAIL_CAN_FORK 1
#endif

namespace xdream::rig::detail {

/// What became of work run in a child process.
struct ChildResult {
  enum class Status {
    done,         ///< the child finished: `output` is what the work returned
    crashed,      ///< the child died of `signal` (or left with a failure status: signal 0)
    timed_out,    ///< the child was still running at the time limit and was killed
    not_started,  ///< no child could be started (no fork, no pipe, no process left)
  };
  Status status = Status::not_started;
  std::string output;
  int signal = 0;
};

/// Runs `work` (a callable returning std::string) in a child process and waits for it at most
/// `limit`.
template <class Work>
ChildResult run_in_child(Work work, std::chrono::milliseconds limit) {
  ChildResult result;
#ifdef XDREAM_RIG_DETAIL_CAN_FORK
  int fds[2];
  if (::pipe(fds) != 0) return result;
  ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return result;
  }
  if (pid == 0) {
    ::close(fds[0]);
    // A crash ends the child at once, without the program's crash handlers (they belong to the
    // parent) and without messages on the parent's terminal: the parent reports it.
    for (int fatal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS})
      ::signal(fatal, SIG_DFL);
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      if (null > STDERR_FILENO) ::close(null);
    }
    std::string output;
    try {
      output = work();
    } catch (...) {
      ::_exit(2);
    }
    const char* at = output.data();
    std::size_t left = output.size();
    while (left > 0) {
      const ssize_t written = ::write(fds[1], at, left);
      if (written < 0) {
        if (errno == EINTR) continue;
        ::_exit(3);
      }
      at += written;
      left -= static_cast<std::size_t>(written);
    }
    ::_exit(0);
  }

  ::close(fds[1]);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  bool timed_out = false;
  char buffer[1 << 16];
  for (;;) {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
                               deadline - std::chrono::steady_clock::now())
                               .count();
    if (remaining <= 0) {
      timed_out = true;
      break;
    }
    pollfd ready{fds[0], POLLIN, 0};
    const int count = ::poll(&ready, 1, static_cast<int>(std::min<long long>(remaining, INT_MAX)));
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) break;
    if (count == 0) {
      timed_out = true;
      break;
    }
    const ssize_t got = ::read(fds[0], buffer, sizeof buffer);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) break;  // end of the output (or a broken pipe: the status says which)
    result.output.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  pid_t waited = 0;
  do {
    waited = ::waitpid(pid, &status, 0);
  } while (waited < 0 && errno == EINTR);

  if (timed_out) {
    result.status = ChildResult::Status::timed_out;
  } else if (waited != pid) {
    // Reaped elsewhere (a SIGCHLD handler of the program): the output tells whether it is whole.
    result.status = ChildResult::Status::done;
  } else if (WIFSIGNALED(status)) {
    result.status = ChildResult::Status::crashed;
    result.signal = WTERMSIG(status);
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    result.status = ChildResult::Status::done;
  } else {
    result.status = ChildResult::Status::crashed;
  }
#else
  static_cast<void>(work);
  static_cast<void>(limit);
#endif
  return result;
}

}  // namespace xdream::rig::detail
