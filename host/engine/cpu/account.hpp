// One account of the CPU reference's scenario state, valued with the model's formulas
// (host/model/formulas/valuation.hpp, docs/model.md section 2).
#pragma once

#include <cstdint>
#include <vector>

#include "host/engine/book.hpp"
#include "host/engine/cpu/scenario_state.hpp"
#include "host/model/formulas/valuation.hpp"

namespace margin_stress::cpu {

// Account a as the formulas see it: its cash and positions in `state`, its book data.
inline formulas::AccountView account_view(const Book& book, const ScenarioState& state, std::int64_t account) {
  const auto a = static_cast<std::size_t>(account);
  const std::int64_t first = book.position_offset[a];
  formulas::AccountView view;
  view.cash = state.cash[a];
  view.quantity = state.quantity.data() + first;
  view.market = book.position_market.data() + first;
  view.entry_price_usd = book.entry_price_usd.data() + first;
  view.positions = book.position_offset[a + 1] - first;
  return view;
}

inline formulas::AccountValuation value_account(const Book& book, const ScenarioState& state, std::int64_t account) {
  return formulas::value_account(account_view(book, state, account), state.markets.data(), state.collateral_value);
}

template <formulas::PerPositionMargins per_position_margins>
inline bool below_maintenance(const Book& book, const ScenarioState& state, std::int64_t account) {
  return formulas::below_maintenance<per_position_margins>(account_view(book, state, account), state.markets.data(),
                                                           state.collateral_value);
}

// Per market with per-position requirements (brackets or a size premium), the initial margin of its
// open positions in position order (IM is not linear in the lots there, so the positions count one
// by one); 0 for the other markets, whose initial margin is their open lots times
// initial_per_lot_usd.
inline void tiered_initial_margin_by_market(const Book& book, const ScenarioState& state,
                                            std::vector<double>& initial_margin_usd) {
  initial_margin_usd.assign(state.markets.size(), 0.0);
  for (std::size_t p = 0; p < state.quantity.size(); ++p) {
    const auto m = static_cast<std::size_t>(book.position_market[p]);
    const MarketState& market = state.markets[m];
    const double position_usd =
        formulas::per_position_initial_usd(market, static_cast<double>(formulas::absolute_lots(state.quantity[p])));
    // Times 1 or 0 rather than a branch on the position's market (random, so mispredicted): exact,
    // as the requirement is finite, and a closed position adds 0 either way.
    initial_margin_usd[m] += position_usd * static_cast<double>(market.per_position);
  }
}

}  // namespace margin_stress::cpu
