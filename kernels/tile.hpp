// A tile of scenarios on the device (docs/model.md section 14): the read-only book every scenario
// shares, each scenario's rows for the accounts its cascade touched, the round's market terms and
// the integer totals the kernels add to. A scenario's state differs from the book only for the
// accounts it touched, so an untouched account is read from the book, once per thread for the
// whole tile. Every sum of money or lots is an integer atomic, so it does not depend on the order
// threads add in; the host emulation runs one index at a time and adds plainly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "host/model/formulas/valuation.hpp"
#include "host/model/host_device.hpp"
#include "host/model/money.hpp"
#include "kernels/account.hpp"

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

}  // namespace margin_stress::cuda
