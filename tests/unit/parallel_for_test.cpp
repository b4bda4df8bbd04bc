// The host's one thread pool (host/model/parallel_for.hpp): every index runs once, each thread
// keeps its own state, and a failure is that of the lowest failing index for any thread count.
#include "host/model/parallel_for.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace margin_stress {
namespace {

TEST(ParallelFor, EveryIndexRunsExactlyOnceOnAnyThreadCount) {
  for (const int threads : {1, 2, 3, 8}) {
    std::vector<std::atomic<int>> runs(1000);
    parallel_for(1000, threads, [&](std::int64_t i) { ++runs[static_cast<std::size_t>(i)]; });
    for (std::size_t i = 0; i < runs.size(); ++i)
      ASSERT_EQ(runs[i].load(), 1) << "index " << i << ", " << threads << " threads";
  }
}

TEST(ParallelFor, EachThreadKeepsItsOwnStateAndTakesIndicesInIncreasingOrder) {
  // A state numbers itself when its thread takes a first index and counts the indices it ran. Were
  // a state shared, or indices taken out of order, a thread's counts would not rise by one along
  // its own indices.
  struct ThreadState {
    int id = -1;
    std::int64_t ran = 0;
  };
  std::atomic<int> next_id{0};
  std::vector<int> owner(500, -1);
  std::vector<std::int64_t> count_at(500, 0);
  parallel_for<ThreadState>(500, 4, [&](ThreadState& state, std::int64_t i) {
    if (state.id < 0) state.id = next_id++;
    owner[static_cast<std::size_t>(i)] = state.id;
    count_at[static_cast<std::size_t>(i)] = ++state.ran;
  });
  ASSERT_GE(next_id.load(), 1);
  ASSERT_LE(next_id.load(), 4);
  for (int id = 0; id < next_id.load(); ++id) {
    std::int64_t expected = 0;
    for (std::size_t i = 0; i < owner.size(); ++i) {
      if (owner[i] != id) continue;
      EXPECT_EQ(count_at[i], ++expected) << "thread " << id << ", index " << i;
    }
  }
  for (std::size_t i = 0; i < owner.size(); ++i) ASSERT_GE(owner[i], 0) << "index " << i << " never ran";
}

TEST(ParallelFor, TheLowestFailingIndexIsReportedAndEveryIndexBelowItRan) {
  for (const int threads : {1, 2, 4, 7}) {
    std::vector<std::atomic<int>> runs(200);
    try {
      parallel_for(200, threads, [&](std::int64_t i) {
        ++runs[static_cast<std::size_t>(i)];
        // Index 37 fails last in time on several threads: the others reach 90 first.
        if (i == 37) std::this_thread::sleep_for(std::chrono::milliseconds(threads > 1 ? 50 : 0));
        if (i == 37 || i == 90 || i == 150) throw std::runtime_error("index " + std::to_string(i));
      });
      FAIL() << "no exception with " << threads << " threads";
    } catch (const std::runtime_error& error) {
      EXPECT_EQ(std::string(error.what()), "index 37") << threads << " threads";
    }
    for (std::size_t i = 0; i <= 37; ++i)
      EXPECT_EQ(runs[i].load(), 1) << "index " << i << ", " << threads << " threads";
  }
}

TEST(ParallelFor, NothingRunsForNoIndices) {
  bool ran = false;
  parallel_for(0, 4, [&](std::int64_t) { ran = true; });
  EXPECT_FALSE(ran);
}

TEST(WorkerThreads, TheRequestCappedByTheItemsAndAtLeastOne) {
  EXPECT_EQ(worker_threads(4, 100), 4);
  EXPECT_EQ(worker_threads(4, 3), 3);
  EXPECT_EQ(worker_threads(4, 0), 1);
  EXPECT_GE(worker_threads(0, 1000), 1);  // 0: the hardware's threads
  EXPECT_EQ(worker_threads(0, 1), 1);
}

}  // namespace
}  // namespace margin_stress
