// One account in one scenario, as the CUDA engine's kernels see it (docs/model.md sections 2 and
// 7): the scenario's markets, and the fills of a liquidated account's orders with money that flags
// instead of throwing. The formulas themselves are the model's (host/model/formulas/), which the
// CPU reference evaluates too; every function here is __host__ __device__ and unit-tested on the
// host (tests/unit/device_account_test.cpp).
#pragma once

#include <cstdint>

#include "host/model/formulas/liquidation.hpp"
#include "host/model/formulas/valuation.hpp"
#include "host/model/host_device.hpp"
#include "host/model/money.hpp"

namespace margin_stress::cuda {

using formulas::AccountValuation;
using formulas::AccountView;
using formulas::MarketTerms;

// The markets of one scenario for the current round: its row of terms (their brackets at device
// addresses) and c(t).
struct ScenarioMarketsView {
  const MarketTerms* markets = nullptr;
  double collateral_value = 1.0;
};

MARGIN_STRESS_HOST_DEVICE inline AccountValuation value_account(const AccountView& account,
                                                                const ScenarioMarketsView& view) {
  return formulas::value_account(account, view.markets, view.collateral_value);
}

// What one liquidated account's fills moved in a round (docs/model.md section 7).
struct AccountFills {
  micro_usd paid_to_liquidity_providers = 0;  // sum of the fills' costs
  micro_usd fee = 0;                          // paid into the insurance fund
  bool in_range = true;
};

// Executes a liquidated account's orders of the round at the markets' moved prices: each
// position's order (`order_lots`, 0 for none) fills at X against the liquidity providers, the
// account pays the fee rate on the notional liquidated, capped at its equity after the fills
// (formulas::capped_fee). Adds each fill's notional to `step_notional_usd` (per position, for the
// step's settlement), unless it is null (a called trader's own selling, which is not a liquidation).
MARGIN_STRESS_HOST_DEVICE inline AccountFills fill_account_orders(micro_usd& cash, std::int64_t* quantity,
                                                                  const std::int64_t* order_lots,
                                                                  const std::int32_t* market, std::int64_t positions,
                                                                  const MarketTerms* markets, double fee_rate,
                                                                  double* step_notional_usd) {
  AccountFills fills;
  double liquidated_notional_usd = 0.0;
  for (std::int64_t p = 0; p < positions; ++p) {
    const std::int64_t traded_lots = order_lots[p];
    if (traded_lots == 0) continue;
    const MarketTerms& m = markets[market[p]];
    const micro_usd cost =
        to_micro_usd_in_range(formulas::fill_cost_usd(traded_lots, m.lot_size, m.market_price_usd), fills.in_range);
    cash = add_in_range(cash, -cost, fills.in_range);
    fills.paid_to_liquidity_providers = add_in_range(fills.paid_to_liquidity_providers, cost, fills.in_range);
    quantity[p] += traded_lots;
    const double notional_usd = formulas::fill_notional_usd(traded_lots, m.lot_size, m.market_price_usd);
    liquidated_notional_usd += notional_usd;
    if (step_notional_usd != nullptr) step_notional_usd[p] += notional_usd;
  }
  AccountView after_fills;
  after_fills.cash = cash;
  after_fills.quantity = quantity;
  after_fills.market = market;
  after_fills.positions = positions;
  const double equity_usd = formulas::account_equity_usd(after_fills, markets);
  const micro_usd fee_due = to_micro_usd_in_range(fee_rate * liquidated_notional_usd, fills.in_range);
  fills.fee = formulas::capped_fee(fee_due, to_micro_usd_in_range(equity_usd, fills.in_range));
  cash = add_in_range(cash, -fills.fee, fills.in_range);
  return fills;
}

}  // namespace margin_stress::cuda
