// Margin calls and the traders' answer (docs/model.md section 7a). Which answer a called trader
// gives is drawn by the engine (engine/margin_call_draw.hpp); the rest is here.
#pragma once

#include <cstdint>

#include "host/model/formulas/liquidation.hpp"
#include "host/model/formulas/valuation.hpp"
#include "host/model/host_device.hpp"

namespace margin_stress::formulas {

// A position's initial margin at the previous step's scale: every requirement is proportional to
// the scale, so IM_p s_prev / s.
MARGIN_STRESS_HOST_DEVICE inline double initial_margin_at_previous_scale(double initial_margin_usd,
                                                                         double previous_scale, double scale) {
  return initial_margin_usd * (previous_scale / scale);
}

// The account's initial margin at today's marks and the previous step's scales: each position's
// requirement, as value_account sums them, rescaled.
template <typename Market, if_market_terms<Market> = 0>
MARGIN_STRESS_HOST_DEVICE inline double initial_margin_before_raise_usd(const AccountView& account,
                                                                        const Market* markets) {
  double initial_margin_usd = 0.0;
  for (std::int64_t p = 0; p < account.positions; ++p) {
    const std::int64_t quantity = account.quantity[p];
    if (quantity == 0) continue;
    const MarketTerms& market = markets[account.market[p]];
    const double position_usd = position_initial_margin_usd(market, static_cast<double>(absolute_lots(quantity)));
    initial_margin_usd +=
        initial_margin_at_previous_scale(position_usd, market.previous_margin_scale, market.margin_scale);
  }
  return initial_margin_usd;
}

// Called: the raise itself left the account short. It met its initial margin at the previous
// step's scales (`initial_margin_before_raise_usd`, at today's marks) and no longer does, and it is
// above maintenance (the cascade's business otherwise).
MARGIN_STRESS_HOST_DEVICE inline bool is_margin_called(const AccountValuation& valuation,
                                                       double initial_margin_before_raise_usd) {
  return valuation.margin_equity_usd >= valuation.maintenance_margin_usd &&
         valuation.margin_equity_usd < valuation.initial_margin_usd &&
         valuation.margin_equity_usd >= initial_margin_before_raise_usd;
}

// The deposit that restores initial margin: (IM - E') / c in USD, c the collateral's value (a
// dollar deposited counts c against margin).
MARGIN_STRESS_HOST_DEVICE inline double top_up_usd(const AccountValuation& valuation, double collateral_value) {
  return (valuation.initial_margin_usd - valuation.margin_equity_usd) / collateral_value;
}

// The fraction of every position to sell: (IM - E') / IM, which restores initial margin if the
// sale filled at the mark (the requirement falls with the position, the equity does not).
MARGIN_STRESS_HOST_DEVICE inline double deleveraging_fraction(const AccountValuation& valuation) {
  return (valuation.initial_margin_usd - valuation.margin_equity_usd) / valuation.initial_margin_usd;
}

// Lots a called trader sells from a position of |q| lots: lots_to_close(q, f), but one lot is always
// kept, so that a seller never leaves the book by selling: one the others' selling pushes under
// water is then liquidated and settled by the cascade like anyone.
MARGIN_STRESS_HOST_DEVICE inline std::int64_t lots_to_sell_down(std::int64_t quantity_lots, double fraction) {
  const std::int64_t held = absolute_lots(quantity_lots);
  const std::int64_t lots = lots_to_close(quantity_lots, fraction);
  return lots < held - 1 ? lots : held - 1;
}

}  // namespace margin_stress::formulas
