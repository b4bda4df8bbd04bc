#include <algorithm>
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_scan.cuh>
#include <cub/device/device_select.cuh>
#include <limits>
#include <stdexcept>

#include "kernels/cascade_kernels.cuh"
#include "kernels/cuda_check.cuh"
#include "kernels/kernel_bodies.hpp"

namespace margin_stress::cuda {
namespace {

__device__ std::int64_t first_index() { return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ std::int64_t grid_stride() { return static_cast<std::int64_t>(blockDim.x) * gridDim.x; }

template <formulas::PerPositionMargins per_position_margins>
__global__ void trigger_accounts(BookView book, TileView tile, ScanMode mode) {
  for (std::int64_t a = first_index(); a < book.accounts; a += grid_stride()) {
    trigger_account<per_position_margins>(book, tile, a, mode);
  }
}

// blockIdx.y is the scenario.
__global__ void decide_accounts(BookView book, TileView tile, std::int32_t step_stamp, std::int32_t round,
                                formulas::LiquidationRule rule) {
  const std::int64_t s = blockIdx.y;
  const std::int64_t count = tile.triggered_count[s];
  for (std::int64_t i = first_index(); i < count; i += grid_stride()) {
    decide_account(book, tile, s, i, step_stamp, round, rule);
  }
}

__global__ void respond_to_margin_calls(BookView book, TileView tile, TraderResponseLaunch response) {
  for (std::int64_t a = first_index(); a < book.accounts; a += grid_stride()) respond_account(book, tile, a, response);
}

// The traders' own selling (round 0): every account in every scenario.
__global__ void fill_selling(BookView book, TileView tile, std::int32_t stamp, double fee_rate,
                             bool fee_depends_on_health) {
  for (std::int64_t a = first_index(); a < book.accounts; a += grid_stride()) {
    for (std::int64_t s = 0; s < tile.scenarios; ++s) {
      fill_account_in(book, tile, s, a, stamp, fee_rate, fee_depends_on_health, false);
    }
  }
}

// A liquidation round: the accounts its scan listed; blockIdx.y is the scenario.
__global__ void fill_liquidations(BookView book, TileView tile, std::int32_t stamp, double fee_rate,
                                  bool fee_depends_on_health) {
  const std::int64_t s = blockIdx.y;
  const std::int64_t count = tile.triggered_count[s];
  for (std::int64_t i = first_index(); i < count; i += grid_stride()) {
    fill_account_in(book, tile, s, tile.triggered[s * book.accounts + i], stamp, fee_rate, fee_depends_on_health, true);
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

__global__ void adl_entries(BookView book, TileView tile, AdlQuery query, const std::int64_t* positions,
                            std::int64_t count, AdlWorkspace workspace) {
  for (std::int64_t i = first_index(); i < count; i += grid_stride())
    adl_entry(book, tile, query, positions, workspace, i);
}

__global__ void adl_take_entries(BookView book, TileView tile, AdlQuery query, const std::int64_t* positions,
                                 std::int64_t count, AdlWorkspace workspace) {
  for (std::int64_t i = first_index(); i < count; i += grid_stride()) {
    adl_take_entry(book, tile, query, positions, workspace, i);
  }
}

__global__ void adl_ranked_capacities(AdlWorkspace workspace, std::int64_t count) {
  for (std::int64_t k = first_index(); k < count; k += grid_stride()) adl_ranked_capacity(workspace, k);
}

__global__ void adl_walk(BookView book, TileView tile, AdlQuery query, const std::int64_t* positions,
                         std::int64_t count, AdlWorkspace workspace) {
  for (std::int64_t k = first_index(); k < count; k += grid_stride()) {
    adl_walk_rank(book, tile, query, positions, workspace, k);
  }
}

__global__ void bankrupt_pair_notionals(BookView book, TileView tile, std::int64_t s, const std::int32_t* accounts,
                                        std::int64_t count, double* pair_notional) {
  for (std::int64_t k = first_index(); k < count; k += grid_stride()) {
    bankrupt_pair_notional(book, tile, s, accounts, pair_notional, k);
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

// CUB counts items in int.
int cub_count(std::int64_t count) {
  if (count > std::numeric_limits<int>::max()) {
    throw std::length_error("auto-deleveraging ranks at most 2^31 - 1 positions of one market and side");
  }
  return static_cast<int>(count);
}

void check_launch(const char* kernel) { MARGIN_STRESS_CUDA_CHECK(cudaGetLastError(), kernel); }

dim3 per_scenario_grid(const LaunchShape& shape, std::int64_t scenarios) {
  return dim3(static_cast<unsigned>(shape.blocks), static_cast<unsigned>(scenarios));
}

// For the kernels over a round's listed accounts: per scenario, an eighth of a wave (the lists are
// usually short, and the scenarios many).
dim3 per_scenario_share(const LaunchShape& shape, std::int64_t scenarios) {
  return dim3(static_cast<unsigned>(std::max(shape.blocks / 8, 1)), static_cast<unsigned>(scenarios));
}

}  // namespace

int scan_blocks_per_multiprocessor(int threads) {
  int blocks = 0;
  // The variant with per-position requirements, the larger of the two.
  MARGIN_STRESS_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(
                               &blocks, trigger_accounts<formulas::PerPositionMargins::present>, threads, 0),
                           "reading the account scan's occupancy");
  return blocks > 0 ? blocks : 1;
}

void launch_scan_accounts(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int32_t step_stamp,
                          std::int32_t round, ScanMode mode, formulas::PerPositionMargins per_position_margins,
                          const formulas::LiquidationRule& rule) {
  if (per_position_margins == formulas::PerPositionMargins::present) {
    trigger_accounts<formulas::PerPositionMargins::present>
        <<<shape.blocks, shape.threads, 0, shape.stream>>>(book, tile, mode);
  } else {
    trigger_accounts<formulas::PerPositionMargins::absent>
        <<<shape.blocks, shape.threads, 0, shape.stream>>>(book, tile, mode);
  }
  check_launch("launching the account scan");
  if (mode == ScanMode::count) return;
  decide_accounts<<<per_scenario_share(shape, tile.scenarios), shape.threads, 0, shape.stream>>>(book, tile, step_stamp,
                                                                                                 round, rule);
  check_launch("launching the liquidation decisions");
}

void launch_respond_to_margin_calls(const LaunchShape& shape, const BookView& book, const TileView& tile,
                                    const TraderResponseLaunch& response) {
  respond_to_margin_calls<<<shape.blocks, shape.threads, 0, shape.stream>>>(book, tile, response);
  check_launch("launching the margin calls");
}

void launch_fill_orders(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int32_t stamp,
                        double fee_rate, bool fee_depends_on_health, bool liquidation) {
  if (liquidation) {
    fill_liquidations<<<per_scenario_share(shape, tile.scenarios), shape.threads, 0, shape.stream>>>(
        book, tile, stamp, fee_rate, fee_depends_on_health);
  } else {
    fill_selling<<<shape.blocks, shape.threads, 0, shape.stream>>>(book, tile, stamp, fee_rate, fee_depends_on_health);
  }
  check_launch("launching the fills");
}

void launch_find_bankrupt(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int64_t first,
                          std::int64_t scenarios, const std::int64_t* offsets, std::int32_t* accounts,
                          micro_usd* deficits) {
  find_bankrupt<<<per_scenario_grid(shape, scenarios), shape.threads, 0, shape.stream>>>(book, tile, first, offsets,
                                                                                         accounts, deficits);
  check_launch("launching the search for bankrupt accounts");
}

std::size_t adl_workspace_temporary_bytes(std::int64_t capacity) {
  const int items = cub_count(capacity);
  std::size_t select_scores_bytes = 0;
  std::size_t select_entries_bytes = 0;
  std::size_t sort_bytes = 0;
  std::size_t scan_bytes = 0;
  MARGIN_STRESS_CUDA_CHECK(cub::DeviceSelect::Flagged(nullptr, select_scores_bytes, static_cast<const double*>(nullptr),
                                                      static_cast<const std::uint8_t*>(nullptr),
                                                      static_cast<double*>(nullptr), static_cast<int*>(nullptr), items),
                           "sizing the ADL selection");
  MARGIN_STRESS_CUDA_CHECK(
      cub::DeviceSelect::Flagged(nullptr, select_entries_bytes, static_cast<const std::int64_t*>(nullptr),
                                 static_cast<const std::uint8_t*>(nullptr), static_cast<std::int64_t*>(nullptr),
                                 static_cast<int*>(nullptr), items),
      "sizing the ADL selection");
  MARGIN_STRESS_CUDA_CHECK(cub::DeviceRadixSort::SortPairsDescending(
                               nullptr, sort_bytes, static_cast<const double*>(nullptr), static_cast<double*>(nullptr),
                               static_cast<const std::int64_t*>(nullptr), static_cast<std::int64_t*>(nullptr), items),
                           "sizing the ADL ranking");
  MARGIN_STRESS_CUDA_CHECK(
      cub::DeviceScan::ExclusiveScan(nullptr, scan_bytes, static_cast<const unsigned long long*>(nullptr),
                                     static_cast<unsigned long long*>(nullptr), SaturatingMoneySum{}, 0ull, items),
      "sizing the ADL walk");
  return std::max<std::size_t>({select_scores_bytes, select_entries_bytes, sort_bytes, scan_bytes, 1});
}

void launch_adl_entries(const LaunchShape& shape, const BookView& book, const TileView& tile, const AdlQuery& query,
                        const std::int64_t* positions, std::int64_t count, const AdlWorkspace& workspace) {
  if (count == 0) return;
  adl_entries<<<shape.blocks, shape.threads, 0, shape.stream>>>(book, tile, query, positions, count, workspace);
  check_launch("launching the ADL candidates");
}

void launch_adl_take_all(const LaunchShape& shape, const BookView& book, const TileView& tile, const AdlQuery& query,
                         const std::int64_t* positions, std::int64_t count, const AdlWorkspace& workspace) {
  if (count == 0) return;
  adl_take_entries<<<shape.blocks, shape.threads, 0, shape.stream>>>(book, tile, query, positions, count, workspace);
  check_launch("launching the ADL takes");
}

void run_adl_walk(const LaunchShape& shape, const BookView& book, const TileView& tile, const AdlQuery& query,
                  const std::int64_t* positions, std::int64_t count, const AdlWorkspace& workspace) {
  if (count == 0) return;
  const int items = cub_count(count);
  const AdlWorkspace& w = workspace;
  // The candidates in list order (the selection keeps order), then a stable sort by score,
  // highest first: ties stay in position order, as the CPU reference breaks them.
  std::size_t bytes = w.temporary_bytes;
  MARGIN_STRESS_CUDA_CHECK(cub::DeviceSelect::Flagged(w.temporary, bytes, w.scores, w.candidate, w.selected_scores,
                                                      w.selected_count, items, shape.stream),
                           "selecting the ADL candidates' scores");
  bytes = w.temporary_bytes;
  MARGIN_STRESS_CUDA_CHECK(cub::DeviceSelect::Flagged(w.temporary, bytes, w.entries, w.candidate, w.selected,
                                                      w.selected_count, items, shape.stream),
                           "selecting the ADL candidates");
  int selected = 0;
  MARGIN_STRESS_CUDA_CHECK(
      cudaMemcpyAsync(&selected, w.selected_count, sizeof(int), cudaMemcpyDeviceToHost, shape.stream),
      "copying the number of ADL candidates");
  MARGIN_STRESS_CUDA_CHECK(cudaStreamSynchronize(shape.stream), "selecting the ADL candidates");
  if (selected == 0) return;
  bytes = w.temporary_bytes;
  MARGIN_STRESS_CUDA_CHECK(cub::DeviceRadixSort::SortPairsDescending(
                               w.temporary, bytes, w.selected_scores, w.sorted_scores, w.selected, w.ranked, selected,
                               0, static_cast<int>(sizeof(double) * 8), shape.stream),
                           "ranking the ADL candidates");
  adl_ranked_capacities<<<shape.blocks, shape.threads, 0, shape.stream>>>(w, selected);
  check_launch("launching the ADL capacities in rank order");
  bytes = w.temporary_bytes;
  MARGIN_STRESS_CUDA_CHECK(cub::DeviceScan::ExclusiveScan(w.temporary, bytes, w.ranked_capacity, w.before,
                                                          SaturatingMoneySum{}, 0ull, selected, shape.stream),
                           "adding up the ADL capacities in rank order");
  adl_walk<<<shape.blocks, shape.threads, 0, shape.stream>>>(book, tile, query, positions, selected, w);
  check_launch("launching the ADL walk");
}

void launch_bankrupt_pair_notional(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int64_t s,
                                   const std::int32_t* accounts, std::int64_t count, double* pair_notional) {
  if (count == 0) return;
  bankrupt_pair_notionals<<<shape.blocks, shape.threads, 0, shape.stream>>>(book, tile, s, accounts, count,
                                                                            pair_notional);
  check_launch("launching the bankrupt accounts' notionals");
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
