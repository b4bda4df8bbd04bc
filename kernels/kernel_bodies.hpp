// What one thread of each of the CUDA engine's kernels does (kernels/cascade_kernels.cu), as
// __host__ __device__ functions: the kernels call them inside grid-stride loops, and the host
// emulation of the engine (tests/emulation/) calls them in plain loops, so that the engine's whole
// logic runs and is tested on machines without a GPU. On the device every shared total is an
// atomic addition of integers (and ADL's "target exceeded" flag a store of 1 by whichever threads
// find it); the emulation runs one thread at a time and adds plainly.
#pragma once

#include <cstdint>

#include "host/engine/margin_call_draw.hpp"
#include "host/model/formulas/auto_deleveraging.hpp"
#include "host/model/formulas/liquidation.hpp"
#include "host/model/formulas/margin_calls.hpp"
#include "host/model/formulas/valuation.hpp"
#include "host/model/host_device.hpp"
#include "kernels/cascade_kernels.cuh"
#include "kernels/device_account.hpp"

namespace margin_stress::cuda {

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

// The account's state in scenario s: its rows if the scenario touched it, else the book. `book_account`
// is account_in_book(book, a), read once by a thread that visits the account in many scenarios.
MARGIN_STRESS_HOST_DEVICE inline AccountView account_in_book(const BookView& book, std::int64_t a) {
  const std::int64_t first = book.position_offset[a];
  AccountView account;
  account.cash = book.initial_cash[a];
  account.quantity = book.initial_quantity + first;
  account.market = book.position_market + first;
  account.entry_price_usd = book.entry_price_usd + first;
  account.positions = book.position_offset[a + 1] - first;
  return account;
}

MARGIN_STRESS_HOST_DEVICE inline AccountView account_in(const BookView& book, const TileView& tile,
                                                        const AccountView& book_account, std::int64_t s,
                                                        std::int64_t a) {
  const std::int64_t sa = s * book.accounts + a;
  if (tile.touched[sa] == 0) return book_account;
  AccountView account = book_account;
  account.cash = tile.cash[sa];
  account.quantity = tile.quantity + s * book.positions + (book_account.quantity - book.initial_quantity);
  return account;
}

MARGIN_STRESS_HOST_DEVICE inline AccountView account_in(const BookView& book, const TileView& tile, std::int64_t s,
                                                        std::int64_t a) {
  return account_in(book, tile, account_in_book(book, a), s, a);
}

MARGIN_STRESS_HOST_DEVICE inline ScenarioMarketsView markets_of(const BookView& book, const TileView& tile,
                                                                std::int64_t s) {
  return {tile.markets + s * book.markets, tile.collateral_value[s]};
}

// Gives account a its rows in scenario s (a copy of `account`, its state in the book) the first
// time the scenario changes it; returns its lots there.
MARGIN_STRESS_HOST_DEVICE inline std::int64_t* touch_account(const BookView& book, const TileView& tile, std::int64_t s,
                                                             std::int64_t a, const AccountView& account) {
  const std::int64_t sa = s * book.accounts + a;
  std::int64_t* quantity = tile.quantity + s * book.positions + (account.market - book.position_market);
  if (!tile.touched[sa]) {
    tile.cash[sa] = account.cash;
    for (std::int64_t p = 0; p < account.positions; ++p) quantity[p] = account.quantity[p];
    tile.touched[sa] = 1;
  }
  return quantity;
}

// How many lots of each position an account's orders close: a liquidation's (docs/model.md
// section 7, `rule` set) or a called trader's selling down (section 7a, `rule` null).
struct ClosingOrders {
  double fraction = 1.0;
  const formulas::LiquidationRule* rule = nullptr;
  bool liquidated_earlier_in_step = false;
};

// Orders closing `closing.fraction` of every open position of account a as the rule says, written
// to its order rows and added to the scenario's flow; the number of positions ordered.
MARGIN_STRESS_HOST_DEVICE inline std::int64_t place_closing_orders(const BookView& book, const TileView& tile,
                                                                   std::int64_t s, const AccountView& account,
                                                                   const std::int64_t* quantity,
                                                                   const ClosingOrders& closing) {
  const MarketTerms* markets = tile.markets + s * book.markets;
  std::int64_t* order_lots = tile.order_lots + s * book.positions + (account.market - book.position_market);
  std::int64_t ordered = 0;
  for (std::int64_t p = 0; p < account.positions; ++p) {
    const std::int64_t held = quantity[p];
    std::int64_t order = 0;
    std::int64_t lots = 0;
    if (held != 0) {
      lots = closing.rule == nullptr ? formulas::lots_to_sell_down(held, closing.fraction)
                                     : formulas::liquidation_lots(*closing.rule, held, closing.fraction,
                                                                  static_cast<double>(formulas::absolute_lots(held)) *
                                                                      markets[account.market[p]].value_per_lot_usd,
                                                                  closing.liquidated_earlier_in_step);
    }
    if (lots != 0) {
      order = formulas::closing_trade(held, lots);
      const std::int64_t sm = s * book.markets + account.market[p];
      add_to_total(&tile.counters.flow_lots[sm], order);
      add_to_total(&tile.counters.traded_lots[sm], lots);
      if (held > 0) add_to_total(&tile.counters.long_lots_closed[sm], lots);
      ++ordered;
    }
    order_lots[p] = order;
  }
  return ordered;
}

// Account a's answer to margin calls in every active scenario (docs/model.md section 7a), as
// cpu::respond_to_margin_calls: a promised deposit arrives if it is due; then, if a raise left the
// account above maintenance and below initial margin, it promises a deposit or sells down.
MARGIN_STRESS_HOST_DEVICE inline void respond_account(const BookView& book, const TileView& tile, std::int64_t a,
                                                      const TraderResponseLaunch& response) {
  const AccountView book_account = account_in_book(book, a);
  for (std::int64_t s = 0; s < tile.scenarios; ++s) {
    if (!tile.active[s]) continue;
    const std::int64_t sa = s * book.accounts + a;
    bool in_range = true;
    if (tile.deposit_due_step[sa] == response.step) {
      tile.deposit_due_step[sa] = 0;
      const AccountView account = account_in(book, tile, book_account, s, a);
      if (formulas::has_open_positions(account)) {
        touch_account(book, tile, s, a, account);
        tile.cash[sa] = add_in_range(tile.cash[sa], tile.deposit_amount[sa], in_range);
        add_to_total(&tile.counters.deposits[s], tile.deposit_amount[sa]);
      }
      tile.deposit_amount[sa] = 0;
    }
    const ScenarioMarketsView view = markets_of(book, tile, s);
    bool raised = false;  // as ScenarioMarkets::any_scale_rose: without a raise no one is called
    for (std::int64_t m = 0; m < book.markets; ++m)
      raised = raised || view.markets[m].margin_scale > view.markets[m].previous_margin_scale;
    if (raised && tile.deposit_due_step[sa] == 0) {
      const AccountView account = account_in(book, tile, book_account, s, a);
      const AccountValuation valuation = account.positions > 0 ? value_account(account, view) : AccountValuation{};
      if (valuation.has_positions &&
          formulas::is_margin_called(valuation, formulas::initial_margin_before_raise_usd(account, view.markets))) {
        add_to_total(&tile.counters.margin_calls[s], 1);
        const double u = margin_call_uniform(response.seed, response.first_global_scenario + s, response.step, a);
        if (u < response.top_up_probability) {
          const micro_usd deposit =
              to_micro_usd_in_range(formulas::top_up_usd(valuation, view.collateral_value), in_range);
          if (response.top_up_delay_steps == 0) {
            touch_account(book, tile, s, a, account);
            tile.cash[sa] = add_in_range(tile.cash[sa], deposit, in_range);
            add_to_total(&tile.counters.deposits[s], deposit);
          } else {
            tile.deposit_due_step[sa] = response.step + response.top_up_delay_steps;
            tile.deposit_amount[sa] = deposit;
          }
        } else {
          const std::int64_t* quantity = touch_account(book, tile, s, a, account);
          ClosingOrders selling_down;
          selling_down.fraction = formulas::deleveraging_fraction(valuation);
          const std::int64_t ordered = place_closing_orders(book, tile, s, account, quantity, selling_down);
          if (ordered > 0) tile.liquidation_stamp[sa] = response.step_stamp;  // round 0: the traders' own selling
        }
      }
    }
    if (!in_range) add_to_total(&tile.counters.out_of_range[s], 1);
  }
}

// The backstop vault takes account a of scenario s over (docs/model.md section 7), as
// the CPU reference's cascade: it buys every position at the opening mark, off the book, then takes the cash
// left; the account ends flat at zero.
MARGIN_STRESS_HOST_DEVICE inline void back_stop_account(const BookView& book, const TileView& tile, std::int64_t s,
                                                        std::int64_t a, const AccountView& account,
                                                        const ScenarioMarketsView& view) {
  const std::int64_t sa = s * book.accounts + a;
  std::int64_t* quantity = touch_account(book, tile, s, a, account);
  bool in_range = true;
  micro_usd cash = tile.cash[sa];
  micro_usd vault_cash = 0;
  for (std::int64_t p = 0; p < account.positions; ++p) {
    const std::int64_t held = quantity[p];
    if (held == 0) continue;
    const std::int64_t m = account.market[p];
    const micro_usd value =
        to_micro_usd_in_range(formulas::position_value_usd(held, view.markets[m].value_per_lot_usd), in_range);
    vault_cash = add_in_range(vault_cash, -value, in_range);
    cash = add_in_range(cash, value, in_range);
    add_to_total(&tile.counters.vault_lots[s * book.markets + m], held);
    add_to_total(&tile.counters.backstop_lots[s * book.markets + m], formulas::absolute_lots(held));
    if (held > 0) add_to_total(&tile.counters.long_lots_closed[s * book.markets + m], held);
    quantity[p] = 0;
  }
  vault_cash = add_in_range(vault_cash, cash, in_range);
  tile.cash[sa] = 0;
  add_to_total(&tile.counters.vault_cash[s], vault_cash);
  add_to_total(&tile.counters.backstops[s], 1);
  if (!in_range) add_to_total(&tile.counters.out_of_range[s], 1);
}

// Account a in every active scenario of the tile: the liquidation trigger (docs/model.md section 7).
// Each scenario where it is below maintenance is counted and, in decide mode, lists the account
// for decide_account. The account's book data is read once for all scenarios. This is the hot loop
// of every round, and it writes nothing else, so that its kernel stays small (few registers, many
// threads with loads in flight); the decisions, rarer, run in a second kernel.
template <formulas::PerPositionMargins per_position_margins>
MARGIN_STRESS_HOST_DEVICE inline void trigger_account(const BookView& book, const TileView& tile, std::int64_t a,
                                                      ScanMode mode) {
  const AccountView book_account = account_in_book(book, a);
  for (std::int64_t s = 0; s < tile.scenarios; ++s) {
    if (!tile.active[s]) continue;
    const ScenarioMarketsView view = markets_of(book, tile, s);
    if (!formulas::below_maintenance<per_position_margins>(account_in(book, tile, book_account, s, a), view.markets,
                                                           view.collateral_value)) {
      continue;
    }
    add_to_total(&tile.counters.liquidated_accounts[s], 1);
    if (mode == ScanMode::decide) {
      tile.triggered[s * book.accounts + take_slot(&tile.triggered_count[s])] = static_cast<std::int32_t>(a);
    }
  }
}

// Entry i of scenario s's accounts below maintenance in this round (trigger_account listed them, in
// any order): its orders (docs/model.md section 7), stamped, listed on its first liquidation of the
// step, and added to the per-market flow; or the backstop vault's takeover.
MARGIN_STRESS_HOST_DEVICE inline void decide_account(const BookView& book, const TileView& tile, std::int64_t s,
                                                     std::int64_t i, std::int32_t step_stamp, std::int32_t round,
                                                     const formulas::LiquidationRule& rule) {
  const std::int64_t a = tile.triggered[s * book.accounts + i];
  const AccountView book_account = account_in_book(book, a);
  const AccountView account = account_in(book, tile, book_account, s, a);
  const ScenarioMarketsView view = markets_of(book, tile, s);
  const AccountValuation valuation = value_account(account, view);
  if (formulas::is_backstopped(rule, valuation)) {
    back_stop_account(book, tile, s, a, account, view);
    return;
  }
  ClosingOrders liquidation;
  liquidation.rule = &rule;
  liquidation.fraction = formulas::liquidation_fraction(rule, valuation);
  const std::int64_t sa = s * book.accounts + a;
  const std::int64_t first = book_account.quantity - book.initial_quantity;
  const std::int64_t* quantity = touch_account(book, tile, s, a, account);
  double* step_notional_usd = tile.step_notional_usd + s * book.positions + first;
  // The first liquidation of the account this step (round 0, the trader's own selling, is not one).
  liquidation.liquidated_earlier_in_step = tile.liquidation_stamp[sa] > step_stamp;
  if (!liquidation.liquidated_earlier_in_step) {
    const int slot = take_slot(&tile.step_liquidated_count[s]);
    tile.step_liquidated[s * book.accounts + slot] = static_cast<std::int32_t>(a);
    for (std::int64_t p = 0; p < account.positions; ++p) step_notional_usd[p] = 0.0;
  }
  tile.liquidation_stamp[sa] = step_stamp + round;
  place_closing_orders(book, tile, s, account, quantity, liquidation);
  for (std::int64_t p = 0; p < account.positions; ++p) {
    if (quantity[p] != 0) add_to_total(&tile.counters.liquidations[s * book.markets + account.market[p]], 1);
  }
}

// Account a's fills in scenario s if it was liquidated in the round `stamp`.
MARGIN_STRESS_HOST_DEVICE inline void fill_account_in(const BookView& book, const TileView& tile, std::int64_t s,
                                                      std::int64_t a, std::int32_t stamp, double fee_rate,
                                                      bool fee_depends_on_health, bool liquidation) {
  const std::int64_t sa = s * book.accounts + a;
  if (!tile.active[s] || tile.liquidation_stamp[sa] != stamp) return;
  const std::int64_t first = book.position_offset[a];
  const std::int64_t positions = book.position_offset[a + 1] - first;
  const std::int64_t offset = s * book.positions + first;
  micro_usd cash = tile.cash[sa];
  double account_fee_rate = fee_rate;
  if (fee_depends_on_health) {
    account_fee_rate = formulas::liquidation_fee_rate(
        fee_rate, true, value_account(account_in(book, tile, s, a), markets_of(book, tile, s)));
  }
  const AccountFills fills = fill_account_orders(
      cash, tile.quantity + offset, tile.order_lots + offset, book.position_market + first, positions,
      tile.markets + s * book.markets, account_fee_rate, liquidation ? tile.step_notional_usd + offset : nullptr);
  tile.cash[sa] = cash;
  add_to_total(&tile.counters.paid_to_liquidity_providers[s], fills.paid_to_liquidity_providers);
  add_to_total(&tile.counters.fees[s], fills.fee);
  if (!fills.in_range) add_to_total(&tile.counters.out_of_range[s], 1);
}

// Entry i of scenario s's accounts liquidated this step: the account, and its deficit if bankrupt,
// written at `offset` + i; a bankrupt account's cash is set to zero.
MARGIN_STRESS_HOST_DEVICE inline void find_bankrupt_entry(const BookView& book, const TileView& tile,
                                                          std::int64_t offset, std::int32_t* accounts,
                                                          micro_usd* deficits, std::int64_t s, std::int64_t i) {
  const std::int64_t a = tile.step_liquidated[s * book.accounts + i];
  const micro_usd cash = tile.cash[s * book.accounts + a];
  const std::int64_t first = book.position_offset[a];
  const std::int64_t* quantity = tile.quantity + s * book.positions + first;
  bool flat = true;
  for (std::int64_t p = 0; p < book.position_offset[a + 1] - first; ++p) flat = flat && quantity[p] == 0;
  const bool bankrupt = cash < 0 && flat;
  accounts[offset + i] = static_cast<std::int32_t>(a);
  deficits[offset + i] = bankrupt ? -cash : 0;
  // Settlement writes the deficit off whoever covers it: the account ends at zero (section 8).
  if (bankrupt) tile.cash[s * book.accounts + a] = 0;
}

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

// Bankrupt account k's notional liquidated this step per (market, side) pair (2 M doubles from
// `pair_notional` + 2 M k, pair m * 2 + side, 0 long, 1 short); positions never change side, so the
// book's sign is the side.
MARGIN_STRESS_HOST_DEVICE inline void bankrupt_pair_notional(const BookView& book, const TileView& tile, std::int64_t s,
                                                             const std::int32_t* accounts, double* pair_notional,
                                                             std::int64_t k) {
  const std::int64_t a = accounts[k];
  double* row = pair_notional + k * 2 * book.markets;
  for (std::int64_t pair = 0; pair < 2 * book.markets; ++pair) row[pair] = 0.0;
  for (std::int64_t p = book.position_offset[a]; p < book.position_offset[a + 1]; ++p) {
    const std::int64_t initial = book.initial_quantity[p];
    if (initial == 0) continue;
    row[book.position_market[p] * 2 + (initial > 0 ? 0 : 1)] += tile.step_notional_usd[s * book.positions + p];
  }
}

// Account a's open positions in markets with per-position requirements (brackets or a size
// premium): each one's initial margin, rounded to the
// micro-dollar, added to its market's total (`per_market`, M words); a requirement beyond the
// money range is counted in `out_of_range` instead.
MARGIN_STRESS_HOST_DEVICE inline void add_tiered_initial_margin(const BookView& book, const TileView& tile,
                                                                std::int64_t s, std::int64_t a,
                                                                unsigned long long* per_market,
                                                                unsigned long long* out_of_range) {
  const AccountView account = account_in(book, tile, s, a);
  const ScenarioMarketsView view = markets_of(book, tile, s);
  for (std::int64_t p = 0; p < account.positions; ++p) {
    const std::int64_t quantity = account.quantity[p];
    const MarketTerms& market = view.markets[account.market[p]];
    if (quantity == 0 || !market.per_position) continue;
    const double requirement_usd =
        formulas::per_position_initial_usd(market, static_cast<double>(formulas::absolute_lots(quantity)));
    bool in_range = true;
    const micro_usd requirement = to_micro_usd_in_range(requirement_usd, in_range);
    if (in_range) {
      add_to_total(&per_market[account.market[p]], requirement);
    } else {
      add_to_total(out_of_range, 1);
    }
  }
}

// Account a's cash in scenario s less its cash in the book.
MARGIN_STRESS_HOST_DEVICE inline micro_usd cash_change_of(const BookView& book, const TileView& tile, std::int64_t s,
                                                          std::int64_t a) {
  const std::int64_t sa = s * book.accounts + a;
  return tile.touched[sa] ? tile.cash[sa] - book.initial_cash[a] : 0;
}

}  // namespace margin_stress::cuda
