// The host code's one thread pool: the CPU engine's scenarios, the scenario paths, the synthetic
// book's accounts and calibration's EM starts all run through parallel_for.
//
// Why not oneTBB or OpenMP (docs/architecture.md, "Threads"): both would still need the code below
// that reports the failure of the lowest index, which keeps an error message the same for any
// thread count; and neither Debian's libtbb nor libgomp is built for ThreadSanitizer, whose CI stage
// checks every path that starts threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace margin_stress {

// The threads to use for `items` independent items when the user asked for `configured` (0: one per
// hardware thread): at least 1 and never more than `items`.
inline int worker_threads(int configured, std::int64_t items) {
  const int threads = configured > 0 ? configured : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  return static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(threads, items)));
}

// Calls task(state, i) for every i in [0, count) on worker_threads(threads, count) threads, the
// calling thread one of them. Each thread makes its own WorkerState (its scratch memory) and takes
// the next index from a shared counter, so indices start in increasing order. When a task throws,
// no thread takes another index, and once all have stopped the exception of the lowest failing index
// is rethrown: every index below it has run, and the error is the same for any thread count. Tasks
// must write only their own index's outputs, so the results are the same for any thread count too.
template <typename WorkerState, typename Task>
void parallel_for(std::int64_t count, int threads, const Task& task) {
  std::atomic<std::int64_t> next_index{0};
  std::exception_ptr failure;
  std::int64_t failed_index = count;
  std::mutex failure_mutex;
  const auto worker = [&] {
    WorkerState state{};
    for (std::int64_t i = next_index++; i < count; i = next_index++) {
      try {
        task(state, i);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(failure_mutex);
        if (i < failed_index) {
          failed_index = i;
          failure = std::current_exception();
        }
        next_index = count;
        return;
      }
    }
  };
  const int workers = worker_threads(threads, count);
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(worker);
  worker();
  for (std::thread& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
}

// parallel_for for tasks that need no scratch memory: task(i).
template <typename Task>
void parallel_for(std::int64_t count, int threads, const Task& task) {
  struct NoState {};
  parallel_for<NoState>(count, threads, [&](NoState&, std::int64_t i) { task(i); });
}

}  // namespace margin_stress
