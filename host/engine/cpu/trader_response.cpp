#include "host/engine/cpu/trader_response.hpp"

#include <cstdlib>
#include <vector>

#include "host/engine/cpu/liquidation.hpp"
#include "host/engine/cpu/margin_schedule.hpp"
#include "host/engine/cpu/mark_to_market.hpp"
#include "host/engine/margin_call.hpp"

namespace margin_stress::cpu {
namespace {

bool has_open_positions(const Book& book, const ScenarioState& state, std::size_t account) {
  for (std::int64_t p = book.position_offset[account]; p < book.position_offset[account + 1]; ++p) {
    if (state.quantity[static_cast<std::size_t>(p)] != 0) return true;
  }
  return false;
}

// The account's initial margin at today's marks and the previous step's scales: each position's
// requirement, as value_account sums them, rescaled (docs/model.md section 7a).
double initial_margin_before_raise_usd(const Book& book, const ScenarioState& state,
                                       const ScenarioMarkets& scenario_markets, std::size_t account) {
  double initial_margin_usd = 0.0;
  for (std::int64_t p = book.position_offset[account]; p < book.position_offset[account + 1]; ++p) {
    const auto position = static_cast<std::size_t>(p);
    const std::int64_t quantity = state.quantity[position];
    if (quantity == 0) continue;
    const auto m = static_cast<std::size_t>(book.position_market[position]);
    const MarketState& market = state.markets[m];
    const double abs_lots = static_cast<double>(std::llabs(quantity));
    const double position_usd =
        market.per_position ? per_position_initial_usd(market, abs_lots) : abs_lots * market.initial_per_lot_usd;
    initial_margin_usd +=
        initial_margin_at_previous_scale(position_usd, scenario_markets.previous_scale(m), market.margin_scale);
  }
  return initial_margin_usd;
}

}  // namespace

void respond_to_margin_calls(const Book& book, const ModelConfig& config, const ScenarioMarkets& scenario_markets,
                             std::int64_t global_scenario, std::int64_t t, ScenarioState& state, StepRecord& record,
                             ScenarioMetrics& metrics) {
  const TraderResponseParams& response = config.trader_response;
  if (!response.enabled) return;
  const auto accounts = static_cast<std::size_t>(book.accounts);

  // Deposits promised earlier arrive, if the account still has a position to margin.
  for (std::size_t a = 0; a < accounts; ++a) {
    if (state.deposit_due_step[a] != t) continue;
    state.deposit_due_step[a] = 0;
    if (has_open_positions(book, state, a)) {
      state.cash[a] = add_checked(state.cash[a], state.deposit_amount[a], "a deposit");
      record.deposits = add_checked(record.deposits, state.deposit_amount[a], "the step's deposits");
    }
    state.deposit_amount[a] = 0;
  }
  if (!scenario_markets.any_scale_rose()) return;

  // The calls, all decided at the opening marks; the sellers' orders.
  struct Order {
    std::size_t account;
    std::size_t position;
    std::int64_t traded_lots;
  };
  std::vector<Order> orders;
  for (std::size_t a = 0; a < accounts; ++a) {
    if (state.deposit_due_step[a] != 0) continue;
    const AccountValuation valuation = value_account(book, state, static_cast<std::int64_t>(a));
    if (!is_margin_called(valuation.margin_equity_usd, valuation.maintenance_margin_usd, valuation.initial_margin_usd,
                          initial_margin_before_raise_usd(book, state, scenario_markets, a))) {
      continue;
    }
    record.margin_calls += 1;
    const double u = margin_call_uniform(config.run.seed, global_scenario, t, static_cast<std::int64_t>(a));
    if (u < response.top_up_probability) {
      const micro_usd deposit = to_micro_usd_checked(
          top_up_usd(valuation.margin_equity_usd, valuation.initial_margin_usd, state.collateral_value), "a deposit");
      if (response.top_up_delay_steps == 0) {
        state.cash[a] = add_checked(state.cash[a], deposit, "a deposit");
        record.deposits = add_checked(record.deposits, deposit, "the step's deposits");
      } else {
        state.deposit_due_step[a] = t + response.top_up_delay_steps;
        state.deposit_amount[a] = deposit;
      }
      continue;
    }
    const double fraction = deleveraging_fraction(valuation.margin_equity_usd, valuation.initial_margin_usd);
    for (std::int64_t p = book.position_offset[a]; p < book.position_offset[a + 1]; ++p) {
      const auto position = static_cast<std::size_t>(p);
      const std::int64_t quantity = state.quantity[position];
      if (quantity == 0) continue;
      const std::int64_t lots = lots_to_sell_down(quantity, fraction);
      if (lots > 0) orders.push_back({a, position, quantity > 0 ? -lots : lots});
    }
  }
  if (orders.empty()) return;

  // One round of selling: its net flow moves the prices, and every order fills at the moved price
  // against the liquidity providers, without a fee.
  const std::size_t markets = state.markets.size();
  std::vector<std::int64_t> flow_lots(markets, 0);
  std::vector<std::int64_t> traded_lots(markets, 0);
  for (const Order& order : orders) {
    const auto m = static_cast<std::size_t>(book.position_market[order.position]);
    flow_lots[m] += order.traded_lots;
    traded_lots[m] += std::llabs(order.traded_lots);
  }
  scenario_markets.apply_round_impact(flow_lots, state.markets, metrics);
  for (const Order& order : orders) {
    const auto m = static_cast<std::size_t>(book.position_market[order.position]);
    const micro_usd cost = to_micro_usd_checked(
        static_cast<double>(order.traded_lots) * book.lot_size[m] * state.markets[m].market_price_usd, "a deleveraging sale");
    transfer(state.cash[order.account], state.lp_cash, cost, "a deleveraging sale");
    state.lp_inventory[m] -= order.traded_lots;
    state.quantity[order.position] += order.traded_lots;
  }
  for (std::size_t m = 0; m < markets; ++m) {
    record.deleveraged_notional_usd[m] +=
        static_cast<double>(traded_lots[m]) * book.lot_size[m] * state.markets[m].market_price_usd;
  }
  record.deleveraged = true;
}

}  // namespace margin_stress::cpu
