#include "kernels/cascade_kernels.cuh"

#include "kernels/cuda_check.cuh"

namespace margin_stress::cuda {
namespace {

__device__ std::int64_t first_index() {
  return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ std::int64_t grid_stride() { return static_cast<std::int64_t>(blockDim.x) * gridDim.x; }

__device__ void add(unsigned long long* total, std::int64_t value) {
  atomicAdd(total, static_cast<unsigned long long>(value));
}

// The account's state in scenario s: its rows if the scenario touched it, else the book.
__device__ AccountView account_in(const BookView& book, const TileView& tile, std::int64_t s, std::int64_t a) {
  const std::int64_t first = book.position_offset[a];
  const std::int64_t sa = s * book.accounts + a;
  const bool touched = tile.touched[sa] != 0;
  AccountView account;
  account.cash = touched ? tile.cash[sa] : book.initial_cash[a];
  account.quantity = (touched ? tile.quantity + s * book.positions : book.initial_quantity) + first;
  account.market = book.position_market + first;
  account.entry_price_usd = book.entry_price_usd + first;
  account.positions = book.position_offset[a + 1] - first;
  return account;
}

__device__ ScenarioMarketsView markets_of(const BookView& book, const TileView& tile, std::int64_t s) {
  return {tile.markets + s * book.markets, book.brackets, tile.collateral_value[s]};
}

// One thread per account, looping over the tile's scenarios: the account's book data is read once
// for all of them, and an untouched account's positions stay in cache.
__global__ void scan_accounts(BookView book, TileView tile, std::int32_t step_stamp, std::int32_t round, ScanMode mode,
                              bool full_liquidation, double fee_rate) {
  for (std::int64_t a = first_index(); a < book.accounts; a += grid_stride()) {
    for (std::int64_t s = 0; s < tile.scenarios; ++s) {
      if (!tile.active[s]) continue;
      const AccountView account = account_in(book, tile, s, a);
      const ScenarioMarketsView view = markets_of(book, tile, s);
      if (!below_maintenance(account, view)) continue;
      atomicAdd(&tile.counters.liquidated_accounts[s], 1ull);
      if (mode == ScanMode::count) continue;

      const AccountSums sums = account_sums(account, view);
      const double fraction = cpu::liquidation_fraction(full_liquidation, sums.margin_equity_usd, sums.initial_margin_usd,
                                                        sums.notional_usd, fee_rate);
      const std::int64_t sa = s * book.accounts + a;
      const std::int64_t first = book.position_offset[a];
      std::int64_t* quantity = tile.quantity + s * book.positions + first;
      if (!tile.touched[sa]) {
        tile.cash[sa] = account.cash;
        for (std::int64_t p = 0; p < account.positions; ++p) quantity[p] = account.quantity[p];
        tile.touched[sa] = 1;
      }
      double* step_notional_usd = tile.step_notional_usd + s * book.positions + first;
      if (tile.liquidation_stamp[sa] < step_stamp) {  // first liquidation of the account this step
        const int slot = atomicAdd(&tile.step_liquidated_count[s], 1);
        tile.step_liquidated[sa - a + slot] = static_cast<std::int32_t>(a);
        for (std::int64_t p = 0; p < account.positions; ++p) step_notional_usd[p] = 0.0;
      }
      tile.liquidation_stamp[sa] = step_stamp + round;
      std::int64_t* order_lots = tile.order_lots + s * book.positions + first;
      for (std::int64_t p = 0; p < account.positions; ++p) {
        const std::int64_t held = quantity[p];
        std::int64_t order = 0;
        if (held != 0) {
          const std::int64_t lots = cpu::lots_to_close(held, fraction);
          order = held > 0 ? -lots : lots;
          const std::int64_t sm = s * book.markets + account.market[p];
          add(&tile.counters.flow_lots[sm], order);
          add(&tile.counters.traded_lots[sm], lots);
          if (held > 0) add(&tile.counters.long_lots_closed[sm], lots);
          add(&tile.counters.liquidations[sm], 1);
        }
        order_lots[p] = order;
      }
    }
  }
}

__global__ void fill_orders(BookView book, TileView tile, std::int32_t stamp, double fee_rate) {
  for (std::int64_t a = first_index(); a < book.accounts; a += grid_stride()) {
    for (std::int64_t s = 0; s < tile.scenarios; ++s) {
      if (!tile.active[s]) continue;
      const std::int64_t sa = s * book.accounts + a;
      if (tile.liquidation_stamp[sa] != stamp) continue;
      const std::int64_t first = book.position_offset[a];
      const std::int64_t offset = s * book.positions + first;
      micro_usd cash = tile.cash[sa];
      const AccountFills fills = fill_account_orders(cash, tile.quantity + offset, tile.order_lots + offset,
                                                     book.position_market + first, book.position_offset[a + 1] - first,
                                                     tile.markets + s * book.markets, fee_rate,
                                                     tile.step_notional_usd + offset);
      tile.cash[sa] = cash;
      add(&tile.counters.paid_to_liquidity_providers[s], fills.paid_to_liquidity_providers);
      add(&tile.counters.fees[s], fills.fee);
      if (!fills.in_range) add(&tile.counters.out_of_range[s], 1);
    }
  }
}

// blockIdx.y is the scenario.
__global__ void find_bankrupt(BookView book, TileView tile, const std::int64_t* offsets, std::int32_t* accounts,
                              micro_usd* deficits) {
  const std::int64_t s = blockIdx.y;
  const std::int64_t count = tile.step_liquidated_count[s];
  for (std::int64_t i = first_index(); i < count; i += grid_stride()) {
    const std::int64_t a = tile.step_liquidated[s * book.accounts + i];
    const micro_usd cash = tile.cash[s * book.accounts + a];
    const std::int64_t first = book.position_offset[a];
    const std::int64_t* quantity = tile.quantity + s * book.positions + first;
    bool flat = true;
    for (std::int64_t p = 0; p < book.position_offset[a + 1] - first; ++p) flat = flat && quantity[p] == 0;
    accounts[offsets[s] + i] = static_cast<std::int32_t>(a);
    deficits[offsets[s] + i] = cash < 0 && flat ? -cash : 0;
  }
}

__global__ void gather_pair_notional(BookView book, TileView tile, std::int64_t s, const std::int32_t* accounts,
                                     std::int64_t count, double* pair_notional_usd) {
  for (std::int64_t k = first_index(); k < count; k += grid_stride()) {
    const std::int64_t a = accounts[k];
    const std::int64_t first = book.position_offset[a];
    double* row = pair_notional_usd + k * 2 * book.markets;
    for (std::int64_t p = first; p < book.position_offset[a + 1]; ++p) {
      // Positions never change side (fills and ADL only close), so the book's sign is the side.
      const std::int64_t initial = book.initial_quantity[p];
      if (initial == 0) continue;
      row[book.position_market[p] * 2 + (initial > 0 ? 0 : 1)] += tile.step_notional_usd[s * book.positions + p];
    }
  }
}

__global__ void materialize(BookView book, TileView tile, std::int64_t s, micro_usd* cash, std::int64_t* quantity) {
  for (std::int64_t a = first_index(); a < book.accounts; a += grid_stride()) {
    const AccountView account = account_in(book, tile, s, a);
    cash[a] = account.cash;
    const std::int64_t first = book.position_offset[a];
    for (std::int64_t p = 0; p < account.positions; ++p) quantity[first + p] = account.quantity[p];
  }
}

__global__ void scatter_accounts(BookView book, TileView tile, std::int64_t s, const std::int32_t* accounts,
                                 const micro_usd* cash, const std::int64_t* quantity_offset,
                                 const std::int64_t* quantities, std::int64_t count) {
  for (std::int64_t k = first_index(); k < count; k += grid_stride()) {
    const std::int64_t a = accounts[k];
    const std::int64_t first = book.position_offset[a];
    tile.cash[s * book.accounts + a] = cash[k];
    for (std::int64_t p = 0; p < book.position_offset[a + 1] - first; ++p) {
      tile.quantity[s * book.positions + first + p] = quantities[quantity_offset[k] + p];
    }
    tile.touched[s * book.accounts + a] = 1;
  }
}

// blockIdx.y is the scenario; a block first adds into shared memory, one word per market.
__global__ void tiered_initial_margin(BookView book, TileView tile, unsigned long long* initial_margin) {
  extern __shared__ unsigned long long block_total[];
  const std::int64_t s = blockIdx.y;
  for (std::int64_t m = threadIdx.x; m < book.markets; m += blockDim.x) block_total[m] = 0;
  __syncthreads();
  const ScenarioMarketsView view = markets_of(book, tile, s);
  for (std::int64_t a = first_index(); a < book.accounts; a += grid_stride()) {
    const AccountView account = account_in(book, tile, s, a);
    for (std::int64_t p = 0; p < account.positions; ++p) {
      const std::int64_t quantity = account.quantity[p];
      const DeviceMarket& market = view.markets[account.market[p]];
      if (quantity == 0 || !market.tiered) continue;
      const double notional_usd = static_cast<double>(absolute_lots(quantity)) * market.value_per_lot_usd;
      const double requirement_usd =
          cpu::tiered_initial_margin_usd(market_bracket(market, view, notional_usd), notional_usd, market.margin_scale);
      atomicAdd(&block_total[account.market[p]], static_cast<unsigned long long>(to_micro_usd(requirement_usd)));
    }
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
  for (std::int64_t a = first_index(); a < book.accounts; a += grid_stride()) {
    const std::int64_t sa = s * book.accounts + a;
    if (tile.touched[sa]) sum += tile.cash[sa] - book.initial_cash[a];
  }
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  if ((threadIdx.x & 31) == 0 && sum != 0) atomicAdd(&change[s], static_cast<unsigned long long>(sum));
}

void check_launch(const char* kernel) { MARGIN_STRESS_CUDA_CHECK(cudaGetLastError(), kernel); }

dim3 per_scenario_grid(const LaunchShape& shape, std::int64_t scenarios) {
  return dim3(static_cast<unsigned>(shape.blocks), static_cast<unsigned>(scenarios));
}

}  // namespace

void launch_scan_accounts(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int32_t step_stamp,
                          std::int32_t round, ScanMode mode, bool full_liquidation, double fee_rate) {
  scan_accounts<<<shape.blocks, shape.threads, 0, shape.stream>>>(book, tile, step_stamp, round, mode, full_liquidation,
                                                                  fee_rate);
  check_launch("launching the account scan");
}

void launch_fill_orders(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int32_t stamp,
                        double fee_rate) {
  fill_orders<<<shape.blocks, shape.threads, 0, shape.stream>>>(book, tile, stamp, fee_rate);
  check_launch("launching the fills");
}

void launch_find_bankrupt(const LaunchShape& shape, const BookView& book, const TileView& tile,
                          const std::int64_t* offsets, std::int32_t* accounts, micro_usd* deficits) {
  find_bankrupt<<<per_scenario_grid(shape, tile.scenarios), shape.threads, 0, shape.stream>>>(book, tile, offsets,
                                                                                             accounts, deficits);
  check_launch("launching the search for bankrupt accounts");
}

void launch_gather_pair_notional(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int64_t s,
                                 const std::int32_t* accounts, std::int64_t count, double* pair_notional_usd) {
  gather_pair_notional<<<shape.blocks, shape.threads, 0, shape.stream>>>(book, tile, s, accounts, count,
                                                                         pair_notional_usd);
  check_launch("launching the gathering of liquidated notional");
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
                                  unsigned long long* initial_margin) {
  const std::size_t shared_bytes = static_cast<std::size_t>(book.markets) * sizeof(unsigned long long);
  tiered_initial_margin<<<per_scenario_grid(shape, tile.scenarios), shape.threads, shared_bytes, shape.stream>>>(
      book, tile, initial_margin);
  check_launch("launching the tiered initial margin");
}

void launch_cash_change(const LaunchShape& shape, const BookView& book, const TileView& tile,
                        unsigned long long* cash_change_total) {
  cash_change<<<per_scenario_grid(shape, tile.scenarios), shape.threads, 0, shape.stream>>>(book, tile,
                                                                                           cash_change_total);
  check_launch("launching the cash totals");
}

}  // namespace margin_stress::cuda
