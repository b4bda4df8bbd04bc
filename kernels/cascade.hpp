// The liquidation cascade on the device (docs/model.md section 7): what one thread does for an
// account in a round, and the launchers of the round's kernels (kernels/cascade.cu). The CPU
// reference's counterpart is host/engine/cpu/cascade.cpp.
#pragma once

#include <cstdint>

#include "host/model/formulas/liquidation.hpp"
#include "host/model/formulas/margin_calls.hpp"
#include "host/model/formulas/valuation.hpp"
#include "host/model/host_device.hpp"
#include "kernels/account.hpp"
#include "kernels/launch.hpp"
#include "kernels/tile.hpp"

namespace margin_stress::cuda {

enum class ScanMode { decide, count };

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

// Whose orders a fill executes: a liquidation round's, whose fills count toward the step's
// liquidated notional per position (settlement), or the called traders' own selling (round 0),
// which is no liquidation.
enum class Orders { liquidation, selling_down };

// Account a's fills in scenario s if its orders were stamped `stamp`.
template <Orders orders>
MARGIN_STRESS_HOST_DEVICE inline void fill_account_in(const BookView& book, const TileView& tile, std::int64_t s,
                                                      std::int64_t a, std::int32_t stamp, double fee_rate,
                                                      bool fee_depends_on_health) {
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
  const AccountFills fills =
      fill_account_orders(cash, tile.quantity + offset, tile.order_lots + offset, book.position_market + first,
                          positions, tile.markets + s * book.markets, account_fee_rate,
                          orders == Orders::liquidation ? tile.step_notional_usd + offset : nullptr);
  tile.cash[sa] = cash;
  add_to_total(&tile.counters.paid_to_liquidity_providers[s], fills.paid_to_liquidity_providers);
  add_to_total(&tile.counters.fees[s], fills.fee);
  if (!fills.in_range) add_to_total(&tile.counters.out_of_range[s], 1);
}

// Blocks per multiprocessor of the account scan's trigger: the grid-stride kernels are launched
// with this many blocks per multiprocessor, one wave.
int scan_blocks_per_multiprocessor();

// Every account of every active scenario below maintenance at the round's marks: counted, and in
// decide mode also given its orders (docs/model.md section 7), copied into the tile's rows on its
// first liquidation, stamped, listed on its first liquidation of the step, and its orders added to
// the per-market flow. `step_stamp` = step (rounds cap + 1); `round` >= 1. Two kernels: the trigger
// over every account (its sums specialised to whether the run has per-position requirements),
// then the decisions over the accounts it listed.
void launch_scan_accounts(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int32_t step_stamp,
                          std::int32_t round, ScanMode mode, formulas::PerPositionMargins per_position_margins,
                          const formulas::LiquidationRule& rule);

// Fills a liquidation round's orders (those of the accounts stamped `stamp`) at the moved prices,
// and charges fees; the accounts are among those the round's scan listed (tile.triggered), so only
// those are visited.
void launch_fill_liquidations(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int32_t stamp,
                              double fee_rate, bool fee_depends_on_health);

// Fills the called traders' selling (round 0, stamped `stamp`) at the moved prices, without a fee;
// every account is visited.
void launch_fill_selling(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int32_t stamp);

}  // namespace margin_stress::cuda
