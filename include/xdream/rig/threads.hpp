#pragma once
/// @file
/// Several optimizers in one rig session ("threads": GA against CMA, two generators, two
/// channels). Each optimizer runs the library's driver unchanged, in its own thread of
/// execution, against a RigThreadObjective; their generations meet in RigThreads, which shows
/// them together in the same blocks (RigObjective::evaluate_threads) and hands each optimizer
/// its own scores. An optimizer that is done leaves and the others go on. After each
/// generation, once every optimizer that took part has been told its scores, one hook runs
/// while they all wait: the place for one checkpoint of the whole session.
///
/// What a block holds depends only on which optimizers take part and their images, never on
/// which thread arrives first: a session gives the same blocks at any timing.

#include <xdream/population.hpp>
#include <xdream/result.hpp>
#include <xdream/rig/block.hpp>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace xdream::rig {

/// What the other optimizers of a session throw when one of them failed or stopped: the session
/// ends with the first one's exception (RigThreads::run rethrows it).
class RigThreadsAborted : public std::runtime_error {
 public:
  RigThreadsAborted()
      : std::runtime_error("xdream::rig::RigThreads: another optimizer of the session stopped") {}
};

/// Where the optimizers of one session meet. `Objective` is a RigObjective (anything with
/// `evaluate_threads(std::vector<const RigImages*>) -> std::vector<Scores>` and `options()`).
template <class Objective>
class RigThreads {
 public:
  /// `after_told` runs once per generation, after every optimizer that took part was told its
  /// scores and while all of them wait (their states agree with the objective's): the place to
  /// checkpoint the whole session. An exception from it stops the session.
  explicit RigThreads(Objective& objective, std::function<void()> after_told = {})
      : objective_(&objective),
        after_told_(std::move(after_told)),
        count_(objective.options().thread_count()),
        images_(count_, nullptr),
        active_(count_, true),
        scores_(count_) {}

  RigThreads(const RigThreads&) = delete;
  RigThreads& operator=(const RigThreads&) = delete;

  std::size_t size() const noexcept { return count_; }
  Objective& objective() noexcept { return *objective_; }

  /// Thread `t`'s generation: waits until every optimizer still running has given its own,
  /// shows them together, and returns thread t's scores. One of the waiting threads runs the
  /// blocks (the others sleep); an exception there (a RigStop) ends the session.
  Scores evaluate(std::size_t t, const RigImages& images) {
    std::unique_lock lock(mutex_);
    check(t, "evaluate");
    throw_if_failed();
    images_[t] = &images;
    const std::uint64_t round = rounds_;
    changed_.notify_all();
    for (;;) {
      if (rounds_ > round) {  // shown: the scores are this thread's even if another failed since
        images_[t] = nullptr;
        return std::move(scores_[t]);
      }
      throw_if_failed();
      if (!running_ && all_given()) {
        running_ = true;
        const std::vector<const RigImages*> batch = images_;
        participants_ = 0;
        for (const RigImages* given : batch) participants_ += given != nullptr ? 1 : 0;
        lock.unlock();
        std::vector<Scores> scores;
        std::exception_ptr error;
        try {
          scores = objective_->evaluate_threads(batch);
        } catch (...) {
          error = std::current_exception();
        }
        lock.lock();
        running_ = false;
        if (error) {
          if (!failure_) failure_ = error;
          changed_.notify_all();
          std::rethrow_exception(error);
        }
        scores_ = std::move(scores);
        told_ = 0;
        ++rounds_;
        changed_.notify_all();
        continue;
      }
      changed_.wait(lock);
    }
  }

  /// Thread `t` was told its scores (a driver's `on_tell`): waits for the generation's other
  /// optimizers; the last to arrive runs the hook.
  void told(std::size_t t) {
    std::unique_lock lock(mutex_);
    check(t, "told");
    throw_if_failed();
    const std::uint64_t round = told_rounds_;
    if (++told_ >= participants_) {
      if (after_told_) after_told_();
      ++told_rounds_;
      changed_.notify_all();
      return;
    }
    changed_.wait(lock, [&] { return failure_ || told_rounds_ > round; });
    throw_if_failed();
  }

  /// Thread `t` is done (its budget is spent): it shows nothing more; the others go on.
  void leave(std::size_t t) {
    std::lock_guard lock(mutex_);
    check(t, "leave");
    active_[t] = false;
    images_[t] = nullptr;
    changed_.notify_all();
  }

  /// Thread `t` failed or stopped: every other thread throws RigThreadsAborted where it waits,
  /// and `run` rethrows the first failure.
  void fail(std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    if (!failure_) failure_ = std::move(error);
    changed_.notify_all();
  }

  /// Runs `bodies[t]` (thread t's driver: its `run_until` with its callbacks) in one thread of
  /// execution each, leaving the session when a body returns; returns when all are done, or
  /// rethrows the first failure once every thread has stopped.
  void run(std::vector<std::function<void()>> bodies) {
    if (bodies.size() != count_) {
      throw std::invalid_argument("xdream::rig::RigThreads::run: " + std::to_string(bodies.size()) +
                                  " bodies for " + std::to_string(count_) + " threads");
    }
    std::vector<std::thread> workers;
    workers.reserve(count_);
    for (std::size_t t = 0; t < count_; ++t) {
      try {
        workers.emplace_back([this, t, body = std::move(bodies[t])] {
          try {
            body();
            leave(t);
          } catch (...) {
            fail(std::current_exception());
          }
        });
      } catch (...) {  // no thread could be started: the ones running are stopped
        fail(std::current_exception());
        break;
      }
    }
    for (std::thread& worker : workers) worker.join();
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  void check(std::size_t t, const char* what) const {
    if (t >= count_) {
      throw std::out_of_range("xdream::rig::RigThreads::" + std::string(what) + ": thread " +
                              std::to_string(t) + " of " + std::to_string(count_));
    }
  }

  void throw_if_failed() const {
    if (failure_) throw RigThreadsAborted();
  }

  // Every optimizer still running has given its generation (and at least one has).
  bool all_given() const {
    bool any = false;
    for (std::size_t t = 0; t < count_; ++t) {
      if (active_[t] && images_[t] == nullptr) return false;
      any = any || images_[t] != nullptr;
    }
    return any;
  }

  Objective* objective_;
  std::function<void()> after_told_;
  std::size_t count_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<const RigImages*> images_;  // each thread's generation, while it waits
  std::vector<bool> active_;
  std::vector<Scores> scores_;
  std::uint64_t rounds_ = 0;       // generations shown
  std::uint64_t told_rounds_ = 0;  // generations every participant was told
  std::size_t participants_ = 0;   // of the last generation shown
  std::size_t told_ = 0;
  bool running_ = false;
  std::exception_ptr failure_;
};

/// One optimizer's Objective in a session of several: its generation goes to the session.
template <class Objective>
class RigThreadObjective {
 public:
  RigThreadObjective(RigThreads<Objective>& threads, std::size_t thread)
      : threads_(&threads), thread_(thread) {}
  Scores evaluate(const RigImages& images) { return threads_->evaluate(thread_, images); }
  std::size_t thread() const noexcept { return thread_; }

 private:
  RigThreads<Objective>* threads_;
  std::size_t thread_;
};

/// The callback that tells the session an optimizer was told its scores; give it last, after
/// the optimizer's other callbacks.
template <class Objective>
struct RigThreadTold {
  RigThreads<Objective>* threads;
  std::size_t thread;
  void on_tell(const TellReport&) const { threads->told(thread); }
};

}  // namespace xdream::rig
