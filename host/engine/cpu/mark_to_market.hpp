// Mark-to-market of one account (docs/model.md, "Equity and margin"):
//   E_a  = K_a 1e-6 + sum_p q_p lot_m M_m                      (equity, in USD)
//   E'_a = E_a - (1 - c) max(C_a, 0),  C_a = K_a 1e-6 + sum_p q_p lot_m e_p
//                                      (margin equity: collateral valued at c per dollar)
//   MM_a = sum_p |q_p| (lot_m M_m mmf_m s_m),  IM_a likewise with the imf in force,
// except for a position in a market with notional brackets, N_p = |q_p| lot_m M_m in bracket b:
//   MM_p = s_m (N_p mmr_b - cum_b),  IM_p = s_m (N_p / lev_b).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "host/engine/cpu/book.hpp"
#include "host/engine/cpu/margin_schedule.hpp"
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

// One position's requirements where they are not linear in its lots (docs/model.md, "Size- and
// open-interest-scaled margins"): by its notional bracket, or with Drift's size premium.
inline double per_position_maintenance_usd(const MarketState& market, double abs_lots) {
  const double notional_usd = abs_lots * market.value_per_lot_usd;
  if (market.tiered) {
    return tiered_maintenance_margin_usd(margin_bracket(market.margin_brackets, market.margin_bracket_count, notional_usd),
                                         notional_usd, market.margin_scale);
  }
  return size_premium_margin_usd(notional_usd, market.maintenance_margin_fraction, market.size_premium_factor,
                                 abs_lots * market.lot_size, market.margin_scale);
}

inline double per_position_initial_usd(const MarketState& market, double abs_lots) {
  const double notional_usd = abs_lots * market.value_per_lot_usd;
  if (market.tiered) {
    return tiered_initial_margin_usd(margin_bracket(market.margin_brackets, market.margin_bracket_count, notional_usd),
                                     notional_usd, market.margin_scale);
  }
  return size_premium_margin_usd(notional_usd, market.initial_margin_fraction, market.size_premium_factor,
                                 abs_lots * market.lot_size, market.margin_scale);
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
    if (!market.per_position) {
      valuation.maintenance_margin_usd += abs_lots * market.maintenance_per_lot_usd;
      valuation.initial_margin_usd += abs_lots * market.initial_per_lot_usd;
    } else {
      valuation.maintenance_margin_usd += per_position_maintenance_usd(market, abs_lots);
      valuation.initial_margin_usd += per_position_initial_usd(market, abs_lots);
    }
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

// Per market with notional brackets or a size premium, the initial margin of its open positions in
// position order (IM is not linear in the lots there, so the positions count one by one); 0 for
// the other markets, whose initial margin is their open lots times initial_per_lot_usd.
inline void tiered_initial_margin_by_market(const Book& book, const ScenarioState& state,
                                            std::vector<double>& initial_margin_usd) {
  initial_margin_usd.assign(state.markets.size(), 0.0);
  for (std::size_t p = 0; p < state.quantity.size(); ++p) {
    const auto m = static_cast<std::size_t>(book.position_market[p]);
    const MarketState& market = state.markets[m];
    const double position_usd = per_position_initial_usd(market, static_cast<double>(std::llabs(state.quantity[p])));
    // Times 1 or 0 rather than a branch on the position's market (random, so mispredicted): exact,
    // as the requirement is finite, and a closed position adds 0 either way.
    initial_margin_usd[m] += position_usd * static_cast<double>(market.per_position);
  }
}

// Whether a scan may meet a market with notional brackets: a run without any takes the linear
// loop, whose work per position is the same as before brackets existed. Callers choose once per
// scan of the accounts (state.has_margin_tiers), not per account.
enum class MarginTiers { absent, present };

// The liquidation trigger alone, for the cascade's scan of every account: the same sums as
// value_account, in the same order, without the two the trigger does not need.
template <MarginTiers tiers>
inline bool below_maintenance(const Book& book, const ScenarioState& state, std::int64_t account) {
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
    has_positions = true;
    const double abs_lots = static_cast<double>(std::llabs(quantity[p]));
    if constexpr (tiers == MarginTiers::present) {
      // Both requirements, the one of the market's kind kept by index: which market a position is
      // in is random, and a mispredicted branch costs more than the arithmetic.
      const double requirement_usd[2] = {abs_lots * market.maintenance_per_lot_usd,
                                         per_position_maintenance_usd(market, abs_lots)};
      maintenance_margin_usd += requirement_usd[market.per_position];
    } else {
      maintenance_margin_usd += abs_lots * market.maintenance_per_lot_usd;
    }
  }
  if (!has_positions) return false;
  return equity_usd - collateral_haircut_usd(book, state, account) < maintenance_margin_usd;
}

}  // namespace margin_stress::cpu
