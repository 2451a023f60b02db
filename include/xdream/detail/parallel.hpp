#pragma once
/// @file
/// A minimal fork-join loop. Work items are independent and own their random streams, so the
/// result does not depend on the number of threads.

#include <xdream/population.hpp>

#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

namespace xdream::detail {

/// Calls f(i) for i in [0, n) on up to `threads` threads (contiguous blocks); rethrows the first
/// exception a worker raised.
template <class F>
void parallel_for(Index n, int threads, F&& f) {
  const Index workers = std::min<Index>(std::max(threads, 1), n);
  if (workers <= 1) {
    for (Index i = 0; i < n; ++i) f(i);
    return;
  }
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(workers));
  {
    std::vector<std::jthread> pool;
    pool.reserve(static_cast<std::size_t>(workers - 1));
    const auto block = [&](Index w) {
      try {
        for (Index i = n * w / workers; i < n * (w + 1) / workers; ++i) f(i);
      } catch (...) {
        errors[static_cast<std::size_t>(w)] = std::current_exception();
      }
    };
    for (Index w = 1; w < workers; ++w) pool.emplace_back(block, w);
    block(0);
  }
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace xdream::detail
