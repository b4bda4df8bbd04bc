// The one way the CUDA engine launches work (Ginkgo's run_kernel): a body, called once per index of
// a range, runs as a grid-stride kernel when nvcc compiles the engine and as a plain loop when g++
// does (the host emulation, tests/emulation/), so that both run the same engine source. A body is a
// functor with a MARGIN_STRESS_HOST_DEVICE operator() that calls the per-thread functions of
// kernels/*.hpp; every total it shares is an integer atomic (tile.hpp), so the order in which
// threads, or the loop, visit the indices does not change a result.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "host/model/host_device.hpp"
#include "kernels/cuda_check.cuh"

namespace margin_stress::cuda {

// Threads per block of every kernel; __launch_bounds__ holds the kernels to it.
inline constexpr int threads_per_block = 256;

// The atomics of the bodies: on the device an atomic addition (two's complement in unsigned
// 64-bit words, which is what atomicAdd adds), in the host emulation a plain one.
MARGIN_STRESS_HOST_DEVICE inline void add_to_total(unsigned long long* total, std::int64_t value) {
#if defined(__CUDA_ARCH__)
  atomicAdd(total, static_cast<unsigned long long>(value));
#else
  *total += static_cast<unsigned long long>(value);
#endif
}

// Adds like add_to_total and returns the total before the addition.
MARGIN_STRESS_HOST_DEVICE inline unsigned long long fetch_add_total(unsigned long long* total, std::int64_t value) {
#if defined(__CUDA_ARCH__)
  return atomicAdd(total, static_cast<unsigned long long>(value));
#else
  const unsigned long long before = *total;
  *total += static_cast<unsigned long long>(value);
  return before;
#endif
}

// Returns the counter's value before the increment.
MARGIN_STRESS_HOST_DEVICE inline int take_slot(int* counter) {
#if defined(__CUDA_ARCH__)
  return atomicAdd(counter, 1);
#else
  return (*counter)++;
#endif
}

// A grid of `blocks` blocks (per scenario, for the launches over scenarios) on a stream.
struct LaunchShape {
  int blocks = 1;
  cudaStream_t stream = nullptr;
};

// Words a body adds to with add(k, value): a block's shared memory on the device (flushed to the
// totals once per block), the scenario's totals themselves in the host emulation.
struct Sums {
  unsigned long long* words;
  MARGIN_STRESS_HOST_DEVICE void add(std::int64_t k, std::int64_t value) const { add_to_total(&words[k], value); }
};

#if defined(__CUDACC__)
namespace detail {

__device__ inline std::int64_t first_index() {
  return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ inline std::int64_t grid_stride() { return static_cast<std::int64_t>(blockDim.x) * gridDim.x; }

template <typename Body>
__global__ void __launch_bounds__(threads_per_block) over_range(std::int64_t count, Body body) {
  for (std::int64_t i = first_index(); i < count; i += grid_stride()) body(i);
}

// blockIdx.y is the scenario; count(s) its number of indices, read on the device.
template <typename Count, typename Body>
__global__ void __launch_bounds__(threads_per_block) over_scenarios(Count count, Body body) {
  const std::int64_t s = blockIdx.y;
  const std::int64_t n = count(s);
  for (std::int64_t i = first_index(); i < n; i += grid_stride()) body(s, i);
}

template <typename Body>
__global__ void __launch_bounds__(threads_per_block)
    sums_over_scenarios(std::int64_t count, std::int64_t width, Body body, unsigned long long* totals) {
  extern __shared__ unsigned long long block_words[];
  const std::int64_t s = blockIdx.y;
  for (std::int64_t k = threadIdx.x; k < width; k += blockDim.x) block_words[k] = 0;
  __syncthreads();
  const Sums sums{block_words};
  for (std::int64_t i = first_index(); i < count; i += grid_stride()) body(s, i, sums);
  __syncthreads();
  for (std::int64_t k = threadIdx.x; k < width; k += blockDim.x) {
    if (block_words[k] != 0) atomicAdd(&totals[s * width + k], block_words[k]);
  }
}

}  // namespace detail
#endif

// body(i) for i in [0, count).
template <typename Body>
void launch_over_range(const LaunchShape& shape, std::int64_t count, const Body& body, const char* what) {
  if (count <= 0) return;
#if defined(__CUDACC__)
  detail::over_range<<<shape.blocks, threads_per_block, 0, shape.stream>>>(count, body);
  MARGIN_STRESS_CUDA_CHECK(cudaGetLastError(), what);
#else
  static_cast<void>(shape);
  static_cast<void>(what);
  for (std::int64_t i = 0; i < count; ++i) body(i);
#endif
}

// body(s, i) for each scenario s < scenarios and i in [0, count(s)), count(s) read where the body
// runs (device memory on a GPU); `shape.blocks` blocks per scenario.
template <typename Count, typename Body>
void launch_over_scenarios(const LaunchShape& shape, std::int64_t scenarios, const Count& count, const Body& body,
                           const char* what) {
  if (scenarios <= 0) return;
#if defined(__CUDACC__)
  const dim3 grid(static_cast<unsigned>(shape.blocks), static_cast<unsigned>(scenarios));
  detail::over_scenarios<<<grid, threads_per_block, 0, shape.stream>>>(count, body);
  MARGIN_STRESS_CUDA_CHECK(cudaGetLastError(), what);
#else
  static_cast<void>(shape);
  static_cast<void>(what);
  for (std::int64_t s = 0; s < scenarios; ++s) {
    for (std::int64_t i = 0, n = count(s); i < n; ++i) body(s, i);
  }
#endif
}

// Per scenario s, `width` integer sums over i in [0, count): body(s, i, sums) calls sums.add(k,
// value) to add to word k of scenario s's totals ([scenarios][width] words, zeroed by the caller).
// On a GPU a block adds in shared memory first and makes one atomic addition per word.
template <typename Body>
void launch_sums_over_scenarios(const LaunchShape& shape, std::int64_t scenarios, std::int64_t count,
                                std::int64_t width, const Body& body, unsigned long long* totals, const char* what) {
  if (scenarios <= 0 || count <= 0) return;
#if defined(__CUDACC__)
  const dim3 grid(static_cast<unsigned>(shape.blocks), static_cast<unsigned>(scenarios));
  const std::size_t shared_bytes = static_cast<std::size_t>(width) * sizeof(unsigned long long);
  detail::sums_over_scenarios<<<grid, threads_per_block, shared_bytes, shape.stream>>>(count, width, body, totals);
  MARGIN_STRESS_CUDA_CHECK(cudaGetLastError(), what);
#else
  static_cast<void>(shape);
  static_cast<void>(what);
  for (std::int64_t s = 0; s < scenarios; ++s) {
    const Sums sums{totals + s * width};
    for (std::int64_t i = 0; i < count; ++i) body(s, i, sums);
  }
#endif
}

// Blocks of launch_over_range's kernel for `Body` that one multiprocessor holds at once (1 in the
// host emulation): grids of one wave are this times the multiprocessors.
template <typename Body>
int blocks_per_multiprocessor(const char* what) {
#if defined(__CUDACC__)
  int blocks = 0;
  MARGIN_STRESS_CUDA_CHECK(
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, detail::over_range<Body>, threads_per_block, 0), what);
  return blocks > 0 ? blocks : 1;
#else
  static_cast<void>(what);
  return 1;
#endif
}

}  // namespace margin_stress::cuda
