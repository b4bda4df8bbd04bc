// Auto-deleveraging on the device (docs/model.md sections 8 and 14): per-thread bodies of the
// ranking, the take-all and the walk, and their launchers (kernels/auto_deleveraging.cu). The CPU
// reference's counterpart is host/engine/cpu/settlement.cpp's walk.
#pragma once

#include <cstddef>
#include <cstdint>

#include "host/model/formulas/auto_deleveraging.hpp"
#include "host/model/formulas/liquidation.hpp"
#include "host/model/host_device.hpp"
#include "host/model/money.hpp"
#include "kernels/launch.hpp"
#include "kernels/tile.hpp"

namespace margin_stress::cuda {

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

// Auto-deleveraging on the device (docs/model.md sections 8 and 14). Entry i of a (market, side)
// list in the query's scenario: its rank (formulas::adl_rank on the account's state there) and its
// capacity (formulas::adl_capacity), added to the totals clipped to target + 1.
// A position closed to zero is no candidate; positions never change side.
MARGIN_STRESS_HOST_DEVICE inline void adl_entry(const BookView& book, const TileView& tile, const AdlQuery& query,
                                                const std::int64_t* positions, const AdlWorkspace& workspace,
                                                std::int64_t i) {
  workspace.scores[i] = 0.0;
  workspace.candidate[i] = 0;
  workspace.capacities[i] = 0;
  const std::int64_t position = positions[i];
  const std::int64_t a = book.position_account[position];
  const AccountView account = account_in(book, tile, query.scenario, a);
  const std::int64_t quantity = account.quantity[position - book.position_offset[a]];
  if (quantity == 0) return;
  const double entry_price_usd = book.entry_price_usd[position];
  const double unrealized_usd =
      formulas::adl_unrealized_usd(quantity, query.lot_size, query.mark_price_usd, entry_price_usd);
  if (unrealized_usd <= 0.0) return;
  const AccountValuation valuation = value_account(account, markets_of(book, tile, query.scenario));
  const formulas::AdlRank rank =
      formulas::adl_rank(quantity, query.lot_size, entry_price_usd, unrealized_usd, valuation);
  if (!rank.candidate) return;
  bool in_range = true;
  const micro_usd profit = to_micro_usd_in_range(unrealized_usd, in_range);
  const micro_usd equity = to_micro_usd_in_range(valuation.equity_usd, in_range);
  const micro_usd capacity = formulas::adl_capacity(profit, equity);
  workspace.scores[i] = rank.score;
  workspace.candidate[i] = 1;
  workspace.capacities[i] = in_range ? capacity : -1;
  // Beyond the range counts as more than the target: the walk must reach it, where it fails.
  const micro_usd clipped = !in_range || capacity > query.target ? query.target + 1 : capacity;
  if (clipped <= 0) return;
  // Until the sum passes the target it stays below 2^62 + 2^62: the flag is set before any wrap.
  const unsigned long long before = fetch_add_total(&workspace.totals[adl_total_capacity], clipped);
  if (before + static_cast<unsigned long long>(clipped) > static_cast<unsigned long long>(query.target)) {
    workspace.totals[adl_target_exceeded] = 1;
  }
}

// `position` gives up `haircut` (the CPU reference's adl_take): it closes formulas::adl_closed_lots
// at the mark against the LP and the haircut leaves its account's cash.
MARGIN_STRESS_HOST_DEVICE inline void adl_give_up(const BookView& book, const TileView& tile, const AdlQuery& query,
                                                  std::int64_t position, micro_usd haircut,
                                                  unsigned long long* totals) {
  const std::int64_t s = query.scenario;
  const std::int64_t a = book.position_account[position];
  const std::int64_t p = position - book.position_offset[a];
  const AccountView account = account_in(book, tile, s, a);
  const std::int64_t quantity = account.quantity[p];
  const double unrealized_usd =
      formulas::adl_unrealized_usd(quantity, query.lot_size, query.mark_price_usd, book.entry_price_usd[position]);
  const std::int64_t closed = formulas::adl_closed_lots(haircut, quantity, unrealized_usd);
  const std::int64_t traded = formulas::closing_trade(quantity, closed);
  bool in_range = true;
  const micro_usd cost =
      to_micro_usd_in_range(formulas::fill_cost_usd(traded, query.lot_size, query.mark_price_usd), in_range);
  std::int64_t* rows = touch_account(book, tile, s, a, account);
  const std::int64_t sa = s * book.accounts + a;
  micro_usd cash = add_in_range(tile.cash[sa], -cost, in_range);
  cash = add_in_range(cash, -haircut, in_range);
  tile.cash[sa] = cash;
  rows[p] = quantity + traded;
  add_to_total(&totals[adl_total_collected], haircut);
  // The walk's closes all trade one way, so their running total is monotone: flagging it when it
  // leaves the money range keeps the total from wrapping unseen (the host checks the LP's balance
  // with it).
  const auto paid_before = static_cast<micro_usd>(fetch_add_total(&totals[adl_total_paid_to_lp], cost));
  if (cost > 0 ? paid_before > max_money - cost : paid_before < -max_money - cost) in_range = false;
  add_to_total(&totals[adl_total_traded_lots], traded);
  add_to_total(&totals[adl_total_closed_lots], closed);
  if (quantity > 0) add_to_total(&totals[adl_total_long_lots_closed], closed);
  if (!in_range) add_to_total(&totals[adl_total_out_of_range], 1);
}

// Entry i when the capacities do not exceed the target: a candidate gives up all of its capacity.
MARGIN_STRESS_HOST_DEVICE inline void adl_take_entry(const BookView& book, const TileView& tile, const AdlQuery& query,
                                                     const std::int64_t* positions, const AdlWorkspace& workspace,
                                                     std::int64_t i) {
  if (workspace.candidate[i] && workspace.capacities[i] > 0) {
    adl_give_up(book, tile, query, positions[i], workspace.capacities[i], workspace.totals);
  }
}

// Rank k's capacity for the walk's prefix sum: beyond the range, the largest amount (the walk
// stops there).
MARGIN_STRESS_HOST_DEVICE inline void adl_ranked_capacity(const AdlWorkspace& workspace, std::int64_t k) {
  const micro_usd capacity = workspace.capacities[workspace.ranked[k]];
  workspace.ranked_capacity[k] = static_cast<unsigned long long>(capacity < 0 ? max_money : capacity);
}

// The walk at rank k, with the capacities ranked before it (`workspace.before[k]`, saturated at
// 2^62): reached while they fall short of the target, it gives up min(capacity, what is missing).
MARGIN_STRESS_HOST_DEVICE inline void adl_walk_rank(const BookView& book, const TileView& tile, const AdlQuery& query,
                                                    const std::int64_t* positions, const AdlWorkspace& workspace,
                                                    std::int64_t k) {
  const auto before = static_cast<micro_usd>(workspace.before[k]);
  if (before >= query.target) return;
  const std::int64_t entry = workspace.ranked[k];
  const micro_usd capacity = workspace.capacities[entry];
  if (capacity < 0) {
    add_to_total(&workspace.totals[adl_total_out_of_range], 1);
    return;
  }
  const micro_usd missing = query.target - before;
  const micro_usd haircut = capacity < missing ? capacity : missing;
  if (haircut > 0) adl_give_up(book, tile, query, positions[entry], haircut, workspace.totals);
}

// Capacities are non-negative amounts below 2^62: their sum saturated at 2^62 (associative, so
// the scan may add in any grouping).
struct SaturatingMoneySum {
  MARGIN_STRESS_HOST_DEVICE unsigned long long operator()(unsigned long long x, unsigned long long y) const {
    const unsigned long long sum = x + y;
    return sum > static_cast<unsigned long long>(max_money) ? static_cast<unsigned long long>(max_money) : sum;
  }
};

}  // namespace margin_stress::cuda
