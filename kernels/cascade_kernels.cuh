// The CUDA engine's kernels (docs/model.md sections 7 and 8, and "The CUDA engine"): the
// O(positions) work of a step for a tile of scenarios at once. The book is read-only and shared by
// every scenario; a scenario's state differs from the book only for the accounts its cascade has
// touched, so an untouched account is read once per thread for the whole tile. Every sum of money
// or lots is an integer atomic, so it does not depend on the order threads add in.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "host/model/formulas/liquidation.hpp"
#include "host/model/formulas/valuation.hpp"
#include "kernels/device_account.hpp"

namespace margin_stress::cuda {

// The read-only book on the device, structure of arrays.
struct BookView {
  std::int64_t accounts = 0;
  std::int64_t positions = 0;
  std::int64_t markets = 0;
  const std::int64_t* position_offset = nullptr;   // [A + 1]
  const std::int32_t* position_market = nullptr;   // [P]
  const std::int32_t* position_account = nullptr;  // [P]
  const double* entry_price_usd = nullptr;         // [P]
  const std::int64_t* initial_quantity = nullptr;  // [P]
  const micro_usd* initial_cash = nullptr;         // [A]
};

// Integer totals of one cascade round per scenario, in one buffer (one memset, one copy back).
// Signed quantities are stored as two's complement in unsigned 64-bit words, which is what
// atomicAdd adds; the sum is exact and independent of the order of additions.
struct RoundCounters {
  unsigned long long* liquidated_accounts = nullptr;          // [S]
  unsigned long long* flow_lots = nullptr;                    // [S][M] signed net lots traded
  unsigned long long* traded_lots = nullptr;                  // [S][M] lots traded (absolute)
  unsigned long long* long_lots_closed = nullptr;             // [S][M] of which closing longs
  unsigned long long* liquidations = nullptr;                 // [S][M] positions liquidated
  unsigned long long* paid_to_liquidity_providers = nullptr;  // [S] signed micro-dollars
  unsigned long long* fees = nullptr;                         // [S] micro-dollars
  unsigned long long* out_of_range = nullptr;                 // [S] fills beyond the money range
  unsigned long long* margin_calls = nullptr;                 // [S] accounts called (docs/model.md section 7a)
  unsigned long long* deposits = nullptr;                     // [S] micro-dollars deposited
  // The backstop vault's takeovers (docs/model.md section 7): accounts, the vault's net cash, and
  // per market the lots it took (absolute) and their signed sum.
  unsigned long long* backstops = nullptr;      // [S]
  unsigned long long* vault_cash = nullptr;     // [S] signed micro-dollars
  unsigned long long* backstop_lots = nullptr;  // [S][M]
  unsigned long long* vault_lots = nullptr;     // [S][M] signed

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
  std::uint8_t* touched = nullptr;            // [S][A] 1: the scenario's cash and quantity rows hold the account
  micro_usd* cash = nullptr;                  // [S][A] valid where touched
  std::int64_t* quantity = nullptr;           // [S][P] valid where the account is touched
  std::int64_t* order_lots = nullptr;         // [S][P] the round's signed order, 0 for none
  double* step_notional_usd = nullptr;        // [S][P] notional liquidated this step
  std::int32_t* liquidation_stamp = nullptr;  // [S][A] step (rounds cap + 1) + round of the last liquidation; 0 never
  std::int32_t* step_liquidated = nullptr;    // [S][A] the accounts first liquidated this step, in any order
  std::int32_t* step_liquidated_count = nullptr;  // [S]
  std::int32_t* triggered = nullptr;              // [S][A] the round's accounts below maintenance, in any order
  std::int32_t* triggered_count = nullptr;        // [S] (zeroed by the caller before a decide scan)
  // Deposits promised in answer to margin calls (allocated only when the response is modelled):
  // the step they arrive at (0: none) and the amount.
  std::int32_t* deposit_due_step = nullptr;  // [S][A]
  micro_usd* deposit_amount = nullptr;       // [S][A]
  const MarketTerms* markets = nullptr;      // [S][M] this round's market terms (brackets on the device)
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

// Blocks of `threads` threads of the account scan's trigger that one multiprocessor holds at once:
// the grid-stride kernels are launched with this many blocks per multiprocessor, one wave.
int scan_blocks_per_multiprocessor(int threads);

// Every account of every active scenario below maintenance at the round's marks: counted, and in
// decide mode also given its orders (docs/model.md section 7), copied into the tile's rows on its
// first liquidation, stamped, listed on its first liquidation of the step, and its orders added to
// the per-market flow. `step_stamp` = step (rounds cap + 1); `round` >= 1. Two kernels: the trigger
// over every account (its sums specialised to whether the run has per-position requirements),
// then the decisions over the accounts it listed.
void launch_scan_accounts(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int32_t step_stamp,
                          std::int32_t round, ScanMode mode, formulas::PerPositionMargins per_position_margins,
                          const formulas::LiquidationRule& rule);

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
// liquidation round's fills count toward the step's liquidated notional per position (settlement),
// and its accounts are among those its scan listed (tile.triggered), so only those are visited;
// round 0's, the called traders' own selling, do not count, and every account is visited.
void launch_fill_orders(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int32_t stamp,
                        double fee_rate, bool fee_depends_on_health, bool liquidation);

// For scenarios [first, first + scenarios), each one's accounts liquidated this step (entries
// [offsets[s - first], + count[s]) of the outputs): the account, and its deficit (-cash) if it is
// flat with negative cash, else 0. A bankrupt account's cash is set to zero (settlement writes the
// deficit off: the fund, ADL and bad debt cover it).
void launch_find_bankrupt(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int64_t first,
                          std::int64_t scenarios, const std::int64_t* offsets, std::int32_t* accounts,
                          micro_usd* deficits);

// Auto-deleveraging (docs/model.md sections 8 and 14), all on the device: each candidate's rank
// and capacity (what it gives up if the walk needs all of it); when the capacities add up to more
// than the target, the ranking (a stable sort by score) and the walk down it as a prefix sum of
// the capacities, each candidate giving up min(capacity, target - the capacities before it);
// otherwise every candidate gives up its capacity, in any order. The closes are independent (one
// position per account and market), so they run in parallel.
//
// One scenario's market and side to deleverage.
struct AdlQuery {
  std::int64_t scenario = 0;
  double lot_size = 0.0;
  double mark_price_usd = 0.0;
  micro_usd target = 0;
};

// A walk's totals, integers added with atomics ([adl_total_words] words, zeroed by the caller).
enum AdlTotal : int {
  adl_total_capacity = 0,  // the candidates' capacities, each at most target + 1
  adl_target_exceeded,     // 1 when they add up to more than the target
  adl_total_collected,     // haircuts
  adl_total_paid_to_lp,    // signed micro-dollars the closes paid the LP
  adl_total_traded_lots,   // signed lots the traders traded
  adl_total_closed_lots,
  adl_total_long_lots_closed,
  adl_total_out_of_range,  // a capacity, close, balance or the closes' total beyond the money range
  adl_total_words
};

// Device scratch for one (market, side) list: arrays of L entries, L the book's longest list.
struct AdlWorkspace {
  double* scores = nullptr;                       // [L]
  std::uint8_t* candidate = nullptr;              // [L] 1: a candidate
  micro_usd* capacities = nullptr;                // [L]; -1: beyond the money range
  const std::int64_t* entries = nullptr;          // [L]: 0, 1, 2, ... (the list's entry indices)
  double* selected_scores = nullptr;              // [L]
  std::int64_t* selected = nullptr;               // [L]
  double* sorted_scores = nullptr;                // [L]
  std::int64_t* ranked = nullptr;                 // [L]: the candidates' entries, best first
  unsigned long long* ranked_capacity = nullptr;  // [L]
  unsigned long long* before = nullptr;           // [L]: capacities ranked before, saturated
  int* selected_count = nullptr;                  // [1]
  unsigned long long* totals = nullptr;           // [adl_total_words]
  void* temporary = nullptr;                      // adl_workspace_temporary_bytes(L)
  std::size_t temporary_bytes = 0;
};

// Bytes of the selection's, sort's and scan's own scratch for `capacity` positions.
std::size_t adl_workspace_temporary_bytes(std::int64_t capacity);

// Each entry of `positions[0, count)` (one market and side, ascending): its score, whether it is a
// candidate, its capacity; adds the capacities (and whether they exceed the target) to the totals.
void launch_adl_entries(const LaunchShape& shape, const BookView& book, const TileView& tile, const AdlQuery& query,
                        const std::int64_t* positions, std::int64_t count, const AdlWorkspace& workspace);

// Every candidate gives up its capacity (the capacities do not exceed the target).
void launch_adl_take_all(const LaunchShape& shape, const BookView& book, const TileView& tile, const AdlQuery& query,
                         const std::int64_t* positions, std::int64_t count, const AdlWorkspace& workspace);

// The ranking and the walk down it (the capacities exceed the target). Waits for the stream once,
// for the number of candidates.
void run_adl_walk(const LaunchShape& shape, const BookView& book, const TileView& tile, const AdlQuery& query,
                  const std::int64_t* positions, std::int64_t count, const AdlWorkspace& workspace);

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
