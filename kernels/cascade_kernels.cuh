// The CUDA engine's kernels (docs/model.md sections 7 and 8, and "The CUDA engine"): the
// O(positions) work of a step for a tile of scenarios at once. The book is read-only and shared by
// every scenario; a scenario's state differs from the book only for the accounts its cascade has
// touched, so an untouched account is read once per thread for the whole tile. Every sum of money
// or lots is an integer atomic, so it does not depend on the order threads add in.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "host/engine/cpu/auto_deleveraging.hpp"
#include "kernels/device_account.hpp"

namespace margin_stress::cuda {

// The read-only book on the device, structure of arrays.
struct BookView {
  std::int64_t accounts = 0;
  std::int64_t positions = 0;
  std::int64_t markets = 0;
  const std::int64_t* position_offset = nullptr;  // [A + 1]
  const std::int32_t* position_market = nullptr;  // [P]
  const std::int32_t* position_account = nullptr; // [P]
  const double* entry_price_usd = nullptr;        // [P]
  const std::int64_t* initial_quantity = nullptr; // [P]
  const micro_usd* initial_cash = nullptr;        // [A]
  const cpu::MarginBracket* brackets = nullptr;   // every tiered market's brackets, concatenated
};

// Integer totals of one cascade round per scenario, in one buffer (one memset, one copy back).
// Signed quantities are stored as two's complement in unsigned 64-bit words, which is what
// atomicAdd adds; the sum is exact and independent of the order of additions.
struct RoundCounters {
  unsigned long long* liquidated_accounts = nullptr;  // [S]
  unsigned long long* flow_lots = nullptr;            // [S][M] signed net lots traded
  unsigned long long* traded_lots = nullptr;          // [S][M] lots traded (absolute)
  unsigned long long* long_lots_closed = nullptr;     // [S][M] of which closing longs
  unsigned long long* liquidations = nullptr;         // [S][M] positions liquidated
  unsigned long long* paid_to_liquidity_providers = nullptr;  // [S] signed micro-dollars
  unsigned long long* fees = nullptr;                 // [S] micro-dollars
  unsigned long long* out_of_range = nullptr;         // [S] fills beyond the money range
  unsigned long long* margin_calls = nullptr;         // [S] accounts called (docs/model.md section 7a)
  unsigned long long* deposits = nullptr;             // [S] micro-dollars deposited
  // The backstop vault's takeovers (docs/model.md section 7): accounts, the vault's net cash, and
  // per market the lots it took (absolute) and their signed sum.
  unsigned long long* backstops = nullptr;            // [S]
  unsigned long long* vault_cash = nullptr;           // [S] signed micro-dollars
  unsigned long long* backstop_lots = nullptr;        // [S][M]
  unsigned long long* vault_lots = nullptr;           // [S][M] signed

  static std::size_t words(std::int64_t scenarios, std::int64_t markets) {
    return static_cast<std::size_t>(scenarios * (8 + 6 * markets));
  }
  static RoundCounters in(unsigned long long* base, std::int64_t scenarios, std::int64_t markets) {
    RoundCounters counters;
    const std::int64_t per_market = scenarios * markets;
    counters.liquidated_accounts = base;
    counters.flow_lots = base + scenarios;
    counters.traded_lots = counters.flow_lots + per_market;
    counters.long_lots_closed = counters.traded_lots + per_market;
    counters.liquidations = counters.long_lots_closed + per_market;
    counters.paid_to_liquidity_providers = counters.liquidations + per_market;
    counters.fees = counters.paid_to_liquidity_providers + scenarios;
    counters.out_of_range = counters.fees + scenarios;
    counters.margin_calls = counters.out_of_range + scenarios;
    counters.deposits = counters.margin_calls + scenarios;
    counters.backstops = counters.deposits + scenarios;
    counters.vault_cash = counters.backstops + scenarios;
    counters.backstop_lots = counters.vault_cash + scenarios;
    counters.vault_lots = counters.backstop_lots + per_market;
    return counters;
  }
};

// The state of a tile of S scenarios, scenario-major ([s][a], [s][p]).
struct TileView {
  std::int64_t scenarios = 0;
  std::uint8_t* touched = nullptr;           // [S][A] 1: the scenario's cash and quantity rows hold the account
  micro_usd* cash = nullptr;                 // [S][A] valid where touched
  std::int64_t* quantity = nullptr;          // [S][P] valid where the account is touched
  std::int64_t* order_lots = nullptr;        // [S][P] the round's signed order, 0 for none
  double* step_notional_usd = nullptr;       // [S][P] notional liquidated this step
  std::int32_t* liquidation_stamp = nullptr; // [S][A] step (rounds cap + 1) + round of the last liquidation; 0 never
  std::int32_t* step_liquidated = nullptr;   // [S][A] the accounts first liquidated this step, in any order
  std::int32_t* step_liquidated_count = nullptr;  // [S]
  // Deposits promised in answer to margin calls (allocated only when the response is modelled):
  // the step they arrive at (0: none) and the amount.
  std::int32_t* deposit_due_step = nullptr;  // [S][A]
  micro_usd* deposit_amount = nullptr;       // [S][A]
  const DeviceMarket* markets = nullptr;     // [S][M] this round's market constants
  const double* collateral_value = nullptr;  // [S]
  const std::uint8_t* active = nullptr;      // [S] 1: the scenario takes part in this round
  RoundCounters counters;
};

struct LaunchShape {
  int blocks = 1;
  int threads = 256;
  cudaStream_t stream = nullptr;
};

enum class ScanMode { decide, count };

// Blocks of `threads` threads of the account scan that one multiprocessor holds at once: the
// grid-stride kernels are launched with this many blocks per multiprocessor, one wave.
int scan_blocks_per_multiprocessor(int threads);

// Every account of every active scenario below maintenance at the round's marks: counted, and in
// decide mode also given its orders (docs/model.md section 7), copied into the tile's rows on its
// first liquidation, stamped, listed on its first liquidation of the step, and its orders added to
// the per-market flow. `step_stamp` = step (rounds cap + 1); `round` >= 1.
void launch_scan_accounts(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int32_t step_stamp,
                          std::int32_t round, ScanMode mode, const cpu::LiquidationRule& rule);

// Margin calls and the traders' answer at the opening of step t (docs/model.md section 7a), for
// every active scenario: promised deposits arrive, called accounts promise deposits or are given
// selling orders, stamped `step_stamp` (round 0), their flow added to the counters.
struct TraderResponseLaunch {
  std::int32_t step = 0;
  std::int32_t step_stamp = 0;
  std::int64_t first_global_scenario = 0;  // the run's index of the tile's scenario 0
  std::uint64_t seed = 0;
  double top_up_probability = 0.0;
  std::int32_t top_up_delay_steps = 0;
};
void launch_respond_to_margin_calls(const LaunchShape& shape, const BookView& book, const TileView& tile,
                                    const TraderResponseLaunch& response);

// Fills the orders of the accounts stamped `stamp` at the moved prices, and charges fees. A
// liquidation round's fills count toward the step's liquidated notional per position (settlement);
// round 0's, the called traders' own selling, do not.
void launch_fill_orders(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int32_t stamp,
                        double fee_rate, bool fee_depends_on_health, bool liquidation);

// For scenarios [first, first + scenarios), each one's accounts liquidated this step (entries
// [offsets[s - first], + count[s]) of the outputs): the account, and its deficit (-cash) if it is
// flat with negative cash, else 0.
void launch_find_bankrupt(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int64_t first,
                          std::int64_t scenarios, const std::int64_t* offsets, std::int32_t* accounts,
                          micro_usd* deficits);

// Writes accounts' new states into scenario s's rows: account k gets cash[k] and, for its
// positions, quantities[quantity_offset[k] ...].
void launch_scatter_accounts(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int64_t s,
                             const std::int32_t* accounts, const micro_usd* cash, const std::int64_t* quantity_offset,
                             const std::int64_t* quantities, std::int64_t count);

// Auto-deleveraging (docs/model.md sections 8 and 14). The ranking runs on the device, the walk
// down it on the host (each haircut depends on the ones before, and it stops early).
//
// One scenario's market and side to deleverage: the market's lot size and mark.
struct AdlQuery {
  std::int64_t scenario = 0;
  double lot_size = 0.0;
  double mark_price_usd = 0.0;
};

// What the walk needs of a ranked position, in its scenario's state.
struct AdlCandidateRow {
  std::int64_t position = 0;
  std::int64_t account = 0;
  std::int64_t quantity = 0;
  micro_usd cash = 0;
  double unrealized_usd = 0.0;
  double equity_usd = 0.0;
};

// A position the walk closed from: its account's new cash and the position's new lots.
struct AdlClose {
  std::int64_t account = 0;
  std::int64_t position = 0;
  micro_usd cash = 0;
  std::int64_t quantity = 0;
};

// Device scratch for ranking up to `capacity` positions (allocated by the caller with these sizes).
struct AdlWorkspace {
  std::int64_t capacity = 0;
  double* scores = nullptr;              // [capacity]
  std::uint8_t* candidate = nullptr;     // [capacity]
  double* selected_scores = nullptr;     // [capacity]
  std::int64_t* selected = nullptr;      // [capacity]
  double* sorted_scores = nullptr;       // [capacity]
  std::int64_t* ranked = nullptr;        // [capacity]: the ranking, best first
  int* selected_count = nullptr;         // [1]
  void* temporary = nullptr;             // adl_workspace_temporary_bytes(capacity)
  std::size_t temporary_bytes = 0;
};

// Bytes of the sort's and selection's own scratch for `capacity` positions.
std::size_t adl_workspace_temporary_bytes(std::int64_t capacity);

// Ranks the candidates among `positions[0, count)` (positions of one market and side, ascending)
// in the query's scenario: writes them best first (score descending, ties by position) to
// workspace.ranked and returns how many there are. Waits for the stream.
std::int64_t rank_adl_candidates(const LaunchShape& shape, const BookView& book, const TileView& tile,
                                 const AdlQuery& query, const std::int64_t* positions, std::int64_t count,
                                 const AdlWorkspace& workspace);

// rows[k] for the ranking's entries ranked[0, count).
void launch_adl_candidate_rows(const LaunchShape& shape, const BookView& book, const TileView& tile,
                               const AdlQuery& query, const std::int64_t* ranked, std::int64_t count,
                               AdlCandidateRow* rows);

// Writes closes[0, count) into scenario s's rows.
void launch_apply_adl_closes(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int64_t s,
                             const AdlClose* closes, std::int64_t count);

// Per bankrupt account accounts[k] of scenario s, its notional liquidated this step per (market,
// side) pair: pair_notional[k * 2 M + m * 2 + side].
void launch_bankrupt_pair_notional(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int64_t s,
                                   const std::int32_t* accounts, std::int64_t count, double* pair_notional);

// Per scenario and market with brackets, the initial margin of the open positions at the markets'
// current constants, each position's requirement rounded to the micro-dollar ([S][M], zeroed by
// the caller; untiered markets stay 0), and per scenario the requirements beyond the money range
// ([S], zeroed by the caller).
void launch_tiered_initial_margin(const LaunchShape& shape, const BookView& book, const TileView& tile,
                                  unsigned long long* initial_margin, unsigned long long* out_of_range);

// Per scenario, the sum over accounts of cash minus initial cash ([S], zeroed by the caller).
void launch_cash_change(const LaunchShape& shape, const BookView& book, const TileView& tile,
                        unsigned long long* cash_change);

}  // namespace margin_stress::cuda
