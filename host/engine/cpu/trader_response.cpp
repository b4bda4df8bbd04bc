#include "host/engine/cpu/trader_response.hpp"

#include <vector>

#include "host/engine/cpu/account.hpp"
#include "host/engine/margin_call_draw.hpp"
#include "host/model/formulas/liquidation.hpp"
#include "host/model/formulas/margin_calls.hpp"

namespace margin_stress::cpu {

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
    if (formulas::has_open_positions(account_view(book, state, static_cast<std::int64_t>(a)))) {
      state.cash[a] = add_checked(state.cash[a], state.deposit_amount[a], "a deposit");
      record.deposits = add_checked(record.deposits, state.deposit_amount[a], "the step's deposits");
      if (state.accounts != nullptr) (*state.accounts)[a].deposits += state.deposit_amount[a];
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
    const formulas::AccountView account = account_view(book, state, static_cast<std::int64_t>(a));
    const formulas::AccountValuation valuation =
        formulas::value_account(account, state.markets.data(), state.collateral_value);
    if (!formulas::is_margin_called(valuation,
                                    formulas::initial_margin_before_raise_usd(account, state.markets.data()))) {
      continue;
    }
    record.margin_calls += 1;
    const double u = margin_call_uniform(config.run.seed, global_scenario, t, static_cast<std::int64_t>(a));
    if (u < response.top_up_probability) {
      const micro_usd deposit =
          to_micro_usd_checked(formulas::top_up_usd(valuation, state.collateral_value), "a deposit");
      if (response.top_up_delay_steps == 0) {
        state.cash[a] = add_checked(state.cash[a], deposit, "a deposit");
        record.deposits = add_checked(record.deposits, deposit, "the step's deposits");
        if (state.accounts != nullptr) (*state.accounts)[a].deposits += deposit;
      } else {
        state.deposit_due_step[a] = t + response.top_up_delay_steps;
        state.deposit_amount[a] = deposit;
      }
      continue;
    }
    const double fraction = formulas::deleveraging_fraction(valuation);
    for (std::int64_t p = book.position_offset[a]; p < book.position_offset[a + 1]; ++p) {
      const auto position = static_cast<std::size_t>(p);
      const std::int64_t quantity = state.quantity[position];
      if (quantity == 0) continue;
      const std::int64_t lots = formulas::lots_to_sell_down(quantity, fraction);
      if (lots > 0) orders.push_back({a, position, formulas::closing_trade(quantity, lots)});
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
    traded_lots[m] += formulas::absolute_lots(order.traded_lots);
  }
  scenario_markets.apply_round_impact(flow_lots, state.markets, metrics);
  for (const Order& order : orders) {
    const auto m = static_cast<std::size_t>(book.position_market[order.position]);
    const micro_usd cost = to_micro_usd_checked(
        formulas::fill_cost_usd(order.traded_lots, book.lot_size[m], state.markets[m].market_price_usd),
        "a deleveraging sale");
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
