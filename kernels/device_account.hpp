// One account in one scenario, as the CUDA engine's kernels see it (docs/model.md sections 2 and
// 7): its cash and positions in structure-of-arrays form, and the scenario's per-market constants.
// Every function here is __host__ __device__: the kernels run them on the GPU and the unit tests
// run them on the host against the CPU reference's own functions, bit for bit. They evaluate the
// sums of docs/model.md in the order it writes them, as the CPU reference does, so that both
// engines take the same decisions (with -fmad=false and -ffp-contract=off, the same doubles).
#pragma once

#include <cstdint>

#include "host/engine/cpu/liquidation.hpp"
#include "host/engine/cpu/margin_schedule.hpp"
#include "host/engine/cpu/scenario_state.hpp"
#include "host/model/config.hpp"
#include "host/engine/margin_call.hpp"
#include "host/model/host_device.hpp"
#include "host/model/money.hpp"

namespace margin_stress::cuda {

// The constants of one market in one scenario for the current cascade round, set on the host by
// cpu::ScenarioMarkets (cpu::MarketState::reprice) and copied to the device.
struct DeviceMarket {
  double lot_size = 0.0;
  double market_price_usd = 0.0;         // X: where forced trades fill
  double value_per_lot_usd = 0.0;        // lot M
  double maintenance_per_lot_usd = 0.0;  // lot M mmf s
  double initial_per_lot_usd = 0.0;      // lot M imf s
  double margin_scale = 1.0;             // s
  std::int32_t tiered = 0;               // 1: the market's notional brackets apply
  std::int32_t bracket_offset = 0;       // its first bracket in the run's bracket table
  std::int32_t bracket_count = 0;
  double previous_margin_scale = 1.0;    // s the step before: a margin call follows a raise
  // A requirement per position (brackets, or Drift's size premium with its factor and the market's
  // fractions, the imf in force), as cpu::MarketState::per_position.
  std::int32_t per_position = 0;
  double size_premium_factor = 0.0;
  double initial_margin_fraction = 0.0;
  double maintenance_margin_fraction = 0.0;
};

// A market's row from its state on the host (cpu::MarketState::reprice computed it), pointing at
// its brackets in the run's table.
inline DeviceMarket device_market(const MarketSpec& spec, const cpu::MarketState& market, std::int32_t bracket_offset,
                                  std::int32_t bracket_count, double previous_margin_scale) {
  DeviceMarket row;
  row.lot_size = spec.lot_size;
  row.market_price_usd = market.market_price_usd;
  row.value_per_lot_usd = market.value_per_lot_usd;
  row.maintenance_per_lot_usd = market.maintenance_per_lot_usd;
  row.initial_per_lot_usd = market.initial_per_lot_usd;
  row.margin_scale = market.margin_scale;
  row.tiered = market.tiered ? 1 : 0;
  row.bracket_offset = bracket_offset;
  row.bracket_count = bracket_count;
  row.previous_margin_scale = previous_margin_scale;
  row.per_position = market.per_position ? 1 : 0;
  row.size_premium_factor = market.size_premium_factor;
  row.initial_margin_fraction = market.initial_margin_fraction;
  row.maintenance_margin_fraction = market.maintenance_margin_fraction;
  return row;
}

// The markets of one scenario: its row of DeviceMarket, the run's bracket table, and c(t).
struct ScenarioMarketsView {
  const DeviceMarket* markets = nullptr;
  const cpu::MarginBracket* brackets = nullptr;
  double collateral_value = 1.0;
};

// An account's state in one scenario: cash and the quantities of its positions, with the book's
// read-only per-position data. `quantity` and the other arrays point at the account's first
// position.
struct AccountView {
  micro_usd cash = 0;
  const std::int64_t* quantity = nullptr;
  const std::int32_t* market = nullptr;
  const double* entry_price_usd = nullptr;
  std::int64_t positions = 0;
};

// The sums of cpu::value_account.
struct AccountSums {
  double equity_usd = 0.0;
  double margin_equity_usd = 0.0;
  double maintenance_margin_usd = 0.0;
  double initial_margin_usd = 0.0;
  double notional_usd = 0.0;
  bool has_positions = false;
};

MARGIN_STRESS_HOST_DEVICE inline std::int64_t absolute_lots(std::int64_t quantity) {
  return quantity < 0 ? -quantity : quantity;
}

// (1 - c) max(C_a, 0), C_a = K_a 1e-6 + sum_p q_p lot e_p; 0 at par.
MARGIN_STRESS_HOST_DEVICE inline double collateral_haircut_usd(const AccountView& account,
                                                               const ScenarioMarketsView& view) {
  if (view.collateral_value == 1.0) return 0.0;
  double collateral_usd = to_usd(account.cash);
  for (std::int64_t p = 0; p < account.positions; ++p) {
    collateral_usd += static_cast<double>(account.quantity[p]) * view.markets[account.market[p]].lot_size *
                      account.entry_price_usd[p];
  }
  return (1.0 - view.collateral_value) * (collateral_usd > 0.0 ? collateral_usd : 0.0);
}

MARGIN_STRESS_HOST_DEVICE inline const cpu::MarginBracket& market_bracket(const DeviceMarket& market,
                                                                          const ScenarioMarketsView& view,
                                                                          double notional_usd) {
  return cpu::margin_bracket(view.brackets + market.bracket_offset, static_cast<std::size_t>(market.bracket_count),
                             notional_usd);
}

// One position's requirements where they are not linear in its lots, as
// cpu::per_position_maintenance_usd and cpu::per_position_initial_usd.
MARGIN_STRESS_HOST_DEVICE inline double per_position_maintenance_usd(const DeviceMarket& market,
                                                                     const ScenarioMarketsView& view, double abs_lots) {
  const double notional_usd = abs_lots * market.value_per_lot_usd;
  if (market.tiered) {
    return cpu::tiered_maintenance_margin_usd(market_bracket(market, view, notional_usd), notional_usd,
                                              market.margin_scale);
  }
  return cpu::size_premium_margin_usd(notional_usd, market.maintenance_margin_fraction, market.size_premium_factor,
                                      abs_lots * market.lot_size, market.margin_scale);
}

MARGIN_STRESS_HOST_DEVICE inline double per_position_initial_usd(const DeviceMarket& market,
                                                                 const ScenarioMarketsView& view, double abs_lots) {
  const double notional_usd = abs_lots * market.value_per_lot_usd;
  if (market.tiered) {
    return cpu::tiered_initial_margin_usd(market_bracket(market, view, notional_usd), notional_usd, market.margin_scale);
  }
  return cpu::size_premium_margin_usd(notional_usd, market.initial_margin_fraction, market.size_premium_factor,
                                      abs_lots * market.lot_size, market.margin_scale);
}

// The liquidation trigger: open positions and E' < MM.
MARGIN_STRESS_HOST_DEVICE inline bool below_maintenance(const AccountView& account, const ScenarioMarketsView& view) {
  double equity_usd = to_usd(account.cash);
  double maintenance_margin_usd = 0.0;
  bool has_positions = false;
  for (std::int64_t p = 0; p < account.positions; ++p) {
    const std::int64_t quantity = account.quantity[p];
    if (quantity == 0) continue;
    const DeviceMarket& market = view.markets[account.market[p]];
    equity_usd += static_cast<double>(quantity) * market.value_per_lot_usd;
    has_positions = true;
    const double abs_lots = static_cast<double>(absolute_lots(quantity));
    if (market.per_position) {
      maintenance_margin_usd += per_position_maintenance_usd(market, view, abs_lots);
    } else {
      maintenance_margin_usd += abs_lots * market.maintenance_per_lot_usd;
    }
  }
  if (!has_positions) return false;
  return equity_usd - collateral_haircut_usd(account, view) < maintenance_margin_usd;
}

MARGIN_STRESS_HOST_DEVICE inline AccountSums account_sums(const AccountView& account, const ScenarioMarketsView& view) {
  AccountSums sums;
  sums.equity_usd = to_usd(account.cash);
  for (std::int64_t p = 0; p < account.positions; ++p) {
    const std::int64_t quantity = account.quantity[p];
    if (quantity == 0) continue;
    const DeviceMarket& market = view.markets[account.market[p]];
    const double lots = static_cast<double>(quantity);
    const double abs_lots = static_cast<double>(absolute_lots(quantity));
    sums.equity_usd += lots * market.value_per_lot_usd;
    if (!market.per_position) {
      sums.maintenance_margin_usd += abs_lots * market.maintenance_per_lot_usd;
      sums.initial_margin_usd += abs_lots * market.initial_per_lot_usd;
    } else {
      sums.maintenance_margin_usd += per_position_maintenance_usd(market, view, abs_lots);
      sums.initial_margin_usd += per_position_initial_usd(market, view, abs_lots);
    }
    sums.notional_usd += abs_lots * market.value_per_lot_usd;
    sums.has_positions = true;
  }
  sums.margin_equity_usd = sums.equity_usd - collateral_haircut_usd(account, view);
  return sums;
}

// The account's initial margin at today's marks and the previous step's scales, as
// cpu::respond_to_margin_calls sums it (docs/model.md section 7a).
MARGIN_STRESS_HOST_DEVICE inline double initial_margin_before_raise_usd(const AccountView& account,
                                                                       const ScenarioMarketsView& view) {
  double initial_margin_usd = 0.0;
  for (std::int64_t p = 0; p < account.positions; ++p) {
    const std::int64_t quantity = account.quantity[p];
    if (quantity == 0) continue;
    const DeviceMarket& market = view.markets[account.market[p]];
    const double abs_lots = static_cast<double>(absolute_lots(quantity));
    const double position_usd =
        market.per_position ? per_position_initial_usd(market, view, abs_lots) : abs_lots * market.initial_per_lot_usd;
    initial_margin_usd += initial_margin_at_previous_scale(position_usd, market.previous_margin_scale, market.margin_scale);
  }
  return initial_margin_usd;
}

// Money arithmetic that cannot throw on the device: an amount or balance outside +-2^62
// micro-dollars (docs/model.md section 1) clears `in_range`, and the host turns that into the
// error the CPU reference raises. Inputs are within range, so the int64 sum itself cannot overflow.
MARGIN_STRESS_HOST_DEVICE inline micro_usd to_micro_usd_in_range(double usd, bool& in_range) {
  if (!(usd <= max_money_usd && usd >= -max_money_usd)) {
    in_range = false;
    return 0;
  }
  return to_micro_usd(usd);
}

MARGIN_STRESS_HOST_DEVICE inline micro_usd add_in_range(micro_usd a, micro_usd b, bool& in_range) {
  const micro_usd sum = a + b;
  if (sum > max_money || sum < -max_money) in_range = false;
  return sum;
}

// What one liquidated account's fills moved in a round (docs/model.md section 7).
struct AccountFills {
  micro_usd paid_to_liquidity_providers = 0;  // sum of the fills' costs
  micro_usd fee = 0;                          // paid into the insurance fund
  bool in_range = true;
};

// Executes a liquidated account's orders of the round at the markets' moved prices: each
// position's order (`order_lots`, 0 for none) fills at X against the liquidity providers, the
// account pays the fee rate on the notional liquidated, capped at its equity after the fills.
// Adds each fill's notional to `step_notional_usd` (per position, for the step's settlement), unless
// it is null (a called trader's own selling, which is not a liquidation).
MARGIN_STRESS_HOST_DEVICE inline AccountFills fill_account_orders(micro_usd& cash, std::int64_t* quantity,
                                                                  const std::int64_t* order_lots,
                                                                  const std::int32_t* market,
                                                                  std::int64_t positions,
                                                                  const DeviceMarket* markets, double fee_rate,
                                                                  double* step_notional_usd) {
  AccountFills fills;
  double liquidated_notional_usd = 0.0;
  for (std::int64_t p = 0; p < positions; ++p) {
    const std::int64_t traded_lots = order_lots[p];
    if (traded_lots == 0) continue;
    const DeviceMarket& m = markets[market[p]];
    const micro_usd cost =
        to_micro_usd_in_range(static_cast<double>(traded_lots) * m.lot_size * m.market_price_usd, fills.in_range);
    cash = add_in_range(cash, -cost, fills.in_range);
    fills.paid_to_liquidity_providers = add_in_range(fills.paid_to_liquidity_providers, cost, fills.in_range);
    quantity[p] += traded_lots;
    const double notional_usd = static_cast<double>(absolute_lots(traded_lots)) * m.lot_size * m.market_price_usd;
    liquidated_notional_usd += notional_usd;
    if (step_notional_usd != nullptr) step_notional_usd[p] += notional_usd;
  }
  // The fee never takes the account below zero: a bankrupt account pays what it has left.
  double equity_usd = to_usd(cash);
  for (std::int64_t p = 0; p < positions; ++p) {
    if (quantity[p] == 0) continue;
    equity_usd += static_cast<double>(quantity[p]) * markets[market[p]].value_per_lot_usd;
  }
  const micro_usd fee_due = to_micro_usd_in_range(fee_rate * liquidated_notional_usd, fills.in_range);
  micro_usd equity = to_micro_usd_in_range(equity_usd, fills.in_range);
  if (equity < 0) equity = 0;
  fills.fee = fee_due < equity ? fee_due : equity;
  cash = add_in_range(cash, -fills.fee, fills.in_range);
  return fills;
}

}  // namespace margin_stress::cuda
