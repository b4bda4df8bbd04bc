#include "kernels/cascade_kernels.cuh"

#include "kernels/cuda_check.cuh"
#include "kernels/kernel_bodies.hpp"

namespace margin_stress::cuda {
namespace {

__device__ std::int64_t first_index() {
  return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ std::int64_t grid_stride() { return static_cast<std::int64_t>(blockDim.x) * gridDim.x; }

__global__ void scan_accounts(BookView book, TileView tile, std::int32_t step_stamp, std::int32_t round, ScanMode mode,
                              cpu::LiquidationRule rule) {
  for (std::int64_t a = first_index(); a < book.accounts; a += grid_stride()) {
    scan_account(book, tile, a, step_stamp, round, mode, rule);
  }
}

__global__ void respond_to_margin_calls(BookView book, TileView tile, TraderResponseLaunch response) {
  for (std::int64_t a = first_index(); a < book.accounts; a += grid_stride()) respond_account(book, tile, a, response);
}

__global__ void fill_orders(BookView book, TileView tile, std::int32_t stamp, double fee_rate, bool fee_depends_on_health,
                            bool liquidation) {
  for (std::int64_t a = first_index(); a < book.accounts; a += grid_stride()) {
    fill_account(book, tile, a, stamp, fee_rate, fee_depends_on_health, liquidation);
  }
}

// blockIdx.y is the scenario, counted from `first`.
__global__ void find_bankrupt(BookView book, TileView tile, std::int64_t first, const std::int64_t* offsets,
                              std::int32_t* accounts, micro_usd* deficits) {
  const std::int64_t s = first + blockIdx.y;
  const std::int64_t count = tile.step_liquidated_count[s];
  for (std::int64_t i = first_index(); i < count; i += grid_stride()) {
    find_bankrupt_entry(book, tile, offsets[blockIdx.y], accounts, deficits, s, i);
  }
}

__global__ void materialize(BookView book, TileView tile, std::int64_t s, micro_usd* cash, std::int64_t* quantity) {
  for (std::int64_t a = first_index(); a < book.accounts; a += grid_stride()) {
    materialize_account(book, tile, s, a, cash, quantity);
  }
}

__global__ void scatter_accounts(BookView book, TileView tile, std::int64_t s, const std::int32_t* accounts,
                                 const micro_usd* cash, const std::int64_t* quantity_offset,
                                 const std::int64_t* quantities, std::int64_t count) {
  for (std::int64_t k = first_index(); k < count; k += grid_stride()) {
    scatter_account(book, tile, s, accounts, cash, quantity_offset, quantities, k);
  }
}

// blockIdx.y is the scenario; a block first adds into shared memory, one word per market, then
// makes one atomic addition per market.
__global__ void tiered_initial_margin(BookView book, TileView tile, unsigned long long* initial_margin,
                                      unsigned long long* out_of_range) {
  extern __shared__ unsigned long long block_total[];
  const std::int64_t s = blockIdx.y;
  for (std::int64_t m = threadIdx.x; m < book.markets; m += blockDim.x) block_total[m] = 0;
  __syncthreads();
  for (std::int64_t a = first_index(); a < book.accounts; a += grid_stride()) {
    add_tiered_initial_margin(book, tile, s, a, block_total, &out_of_range[s]);
  }
  __syncthreads();
  for (std::int64_t m = threadIdx.x; m < book.markets; m += blockDim.x) {
    if (block_total[m] != 0) atomicAdd(&initial_margin[s * book.markets + m], block_total[m]);
  }
}

// blockIdx.y is the scenario; each warp adds its threads' sums and makes one atomic addition.
__global__ void cash_change(BookView book, TileView tile, unsigned long long* change) {
  const std::int64_t s = blockIdx.y;
  long long sum = 0;
  for (std::int64_t a = first_index(); a < book.accounts; a += grid_stride()) sum += cash_change_of(book, tile, s, a);
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  if ((threadIdx.x & 31) == 0 && sum != 0) atomicAdd(&change[s], static_cast<unsigned long long>(sum));
}

void check_launch(const char* kernel) { MARGIN_STRESS_CUDA_CHECK(cudaGetLastError(), kernel); }

dim3 per_scenario_grid(const LaunchShape& shape, std::int64_t scenarios) {
  return dim3(static_cast<unsigned>(shape.blocks), static_cast<unsigned>(scenarios));
}

}  // namespace

int scan_blocks_per_multiprocessor(int threads) {
  int blocks = 0;
  MARGIN_STRESS_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, scan_accounts, threads, 0),
                           "reading the account scan's occupancy");
  return blocks > 0 ? blocks : 1;
}

void launch_scan_accounts(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int32_t step_stamp,
                          std::int32_t round, ScanMode mode, const cpu::LiquidationRule& rule) {
  scan_accounts<<<shape.blocks, shape.threads, 0, shape.stream>>>(book, tile, step_stamp, round, mode, rule);
  check_launch("launching the account scan");
}

void launch_respond_to_margin_calls(const LaunchShape& shape, const BookView& book, const TileView& tile,
                                    const TraderResponseLaunch& response) {
  respond_to_margin_calls<<<shape.blocks, shape.threads, 0, shape.stream>>>(book, tile, response);
  check_launch("launching the margin calls");
}

void launch_fill_orders(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int32_t stamp,
                        double fee_rate, bool fee_depends_on_health, bool liquidation) {
  fill_orders<<<shape.blocks, shape.threads, 0, shape.stream>>>(book, tile, stamp, fee_rate, fee_depends_on_health,
                                                                liquidation);
  check_launch("launching the fills");
}

void launch_find_bankrupt(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int64_t first,
                          std::int64_t scenarios, const std::int64_t* offsets, std::int32_t* accounts,
                          micro_usd* deficits) {
  find_bankrupt<<<per_scenario_grid(shape, scenarios), shape.threads, 0, shape.stream>>>(book, tile, first, offsets,
                                                                                        accounts, deficits);
  check_launch("launching the search for bankrupt accounts");
}

void launch_materialize(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int64_t s,
                        micro_usd* cash, std::int64_t* quantity) {
  materialize<<<shape.blocks, shape.threads, 0, shape.stream>>>(book, tile, s, cash, quantity);
  check_launch("launching the copy of a scenario's state");
}

void launch_scatter_accounts(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int64_t s,
                             const std::int32_t* accounts, const micro_usd* cash, const std::int64_t* quantity_offset,
                             const std::int64_t* quantities, std::int64_t count) {
  scatter_accounts<<<shape.blocks, shape.threads, 0, shape.stream>>>(book, tile, s, accounts, cash, quantity_offset,
                                                                     quantities, count);
  check_launch("launching the update of settled accounts");
}

void launch_tiered_initial_margin(const LaunchShape& shape, const BookView& book, const TileView& tile,
                                  unsigned long long* initial_margin, unsigned long long* out_of_range) {
  const std::size_t shared_bytes = static_cast<std::size_t>(book.markets) * sizeof(unsigned long long);
  tiered_initial_margin<<<per_scenario_grid(shape, tile.scenarios), shape.threads, shared_bytes, shape.stream>>>(
      book, tile, initial_margin, out_of_range);
  check_launch("launching the tiered initial margin");
}

void launch_cash_change(const LaunchShape& shape, const BookView& book, const TileView& tile,
                        unsigned long long* cash_change_total) {
  cash_change<<<per_scenario_grid(shape, tile.scenarios), shape.threads, 0, shape.stream>>>(book, tile,
                                                                                           cash_change_total);
  check_launch("launching the cash totals");
}

}  // namespace margin_stress::cuda
