// Mark-to-market of one account (docs/model.md, "Equity and margin"):
//   E_a  = K_a 1e-6 + sum_p q_p lot_m M_m                      (equity, in USD)
//   E'_a = E_a - (1 - c) max(C_a, 0),  C_a = K_a 1e-6 + sum_p q_p lot_m e_p
//                                      (margin equity: collateral valued at c per dollar)
//   MM_a = sum_p |q_p| (lot_m M_m mmf_m s_m),  IM_a likewise with imf_m.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "host/engine/cpu/book.hpp"
#include "host/engine/cpu/scenario_state.hpp"

namespace margin_stress::cpu {

struct AccountValuation {
  double equity_usd = 0.0;         // E: what the account is worth
  double margin_equity_usd = 0.0;  // E': what the platform counts against margin
  double maintenance_margin_usd = 0.0;
  double initial_margin_usd = 0.0;
  double notional_usd = 0.0;
  bool has_positions = false;
};

// The platform's haircut on a depegged collateral currency: (1 - c) max(C_a, 0). Zero at par,
// without touching the positions' entry prices (the usual case, and the hot loop's).
inline double collateral_haircut_usd(const Book& book, const ScenarioState& state, std::int64_t account) {
  if (state.collateral_value == 1.0) return 0.0;
  const auto a = static_cast<std::size_t>(account);
  double collateral_usd = to_usd(state.cash[a]);
  for (std::int64_t p = book.position_offset[a]; p < book.position_offset[a + 1]; ++p) {
    const auto position = static_cast<std::size_t>(p);
    const double lot_size = book.lot_size[static_cast<std::size_t>(book.position_market[position])];
    collateral_usd += static_cast<double>(state.quantity[position]) * lot_size * book.entry_price_usd[position];
  }
  return (1.0 - state.collateral_value) * std::max(collateral_usd, 0.0);
}

inline AccountValuation value_account(const Book& book, const ScenarioState& state, std::int64_t account) {
  const auto a = static_cast<std::size_t>(account);
  AccountValuation valuation;
  valuation.equity_usd = to_usd(state.cash[a]);
  for (std::int64_t p = book.position_offset[a]; p < book.position_offset[a + 1]; ++p) {
    const auto position = static_cast<std::size_t>(p);
    const std::int64_t quantity = state.quantity[position];
    if (quantity == 0) continue;
    const MarketState& market = state.markets[static_cast<std::size_t>(book.position_market[position])];
    const double lots = static_cast<double>(quantity);
    const double abs_lots = static_cast<double>(std::llabs(quantity));
    valuation.equity_usd += lots * market.value_per_lot_usd;
    valuation.maintenance_margin_usd += abs_lots * market.maintenance_per_lot_usd;
    valuation.initial_margin_usd += abs_lots * market.initial_per_lot_usd;
    valuation.notional_usd += abs_lots * market.value_per_lot_usd;
    valuation.has_positions = true;
  }
  valuation.margin_equity_usd = valuation.equity_usd - collateral_haircut_usd(book, state, account);
  return valuation;
}

// Liquidation trigger: an account with open positions whose margin equity is strictly below its
// maintenance margin.
inline bool is_liquidatable(const AccountValuation& valuation) {
  return valuation.has_positions && valuation.margin_equity_usd < valuation.maintenance_margin_usd;
}

// The trigger alone, for the cascade's scan of every account: the same sums as value_account, in
// the same order, without the two the trigger does not need.
inline bool is_below_maintenance(const Book& book, const ScenarioState& state, std::int64_t account) {
  const auto a = static_cast<std::size_t>(account);
  const std::int64_t* quantity = state.quantity.data();
  const std::int32_t* position_market = book.position_market.data();
  const MarketState* markets = state.markets.data();
  double equity_usd = to_usd(state.cash[a]);
  double maintenance_margin_usd = 0.0;
  bool has_positions = false;
  for (std::int64_t p = book.position_offset[a], end = book.position_offset[a + 1]; p < end; ++p) {
    if (quantity[p] == 0) continue;
    const MarketState& market = markets[position_market[p]];
    equity_usd += static_cast<double>(quantity[p]) * market.value_per_lot_usd;
    maintenance_margin_usd += static_cast<double>(std::llabs(quantity[p])) * market.maintenance_per_lot_usd;
    has_positions = true;
  }
  if (!has_positions) return false;
  return equity_usd - collateral_haircut_usd(book, state, account) < maintenance_margin_usd;
}

}  // namespace margin_stress::cpu
