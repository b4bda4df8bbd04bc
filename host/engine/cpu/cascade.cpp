#include "host/engine/cpu/cascade.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "host/engine/cpu/account.hpp"
#include "host/model/formulas/liquidation.hpp"

namespace margin_stress::cpu {
namespace {

struct Order {
  std::int64_t position;
  std::int64_t traded_lots;
};

struct AccountOrders {
  std::int64_t account;
  std::size_t first_order;
  std::size_t end_order;
};

// Decisions of one round, all taken at the round's opening marks (so they do not depend on the
// order in which accounts are visited). The scan of every account is the engine's hot loop: the
// kind of margin (is any requirement per position?) is chosen once per scan, not per account.
template <formulas::PerPositionMargins per_position_margins>
bool collect_orders(const Book& book, const ModelConfig& config, const ScenarioState& state,
                    std::vector<AccountOrders>& accounts, std::vector<Order>& orders,
                    std::vector<std::int64_t>& backstops) {
  const formulas::LiquidationRule rule = formulas::liquidation_rule(config.liquidation);
  accounts.clear();
  orders.clear();
  backstops.clear();
  for (std::int64_t a = 0; a < book.accounts; ++a) {
    if (!below_maintenance<per_position_margins>(book, state, a)) continue;
    const formulas::AccountValuation valuation = value_account(book, state, a);
    if (formulas::is_backstopped(rule, valuation)) {
      backstops.push_back(a);
      continue;
    }
    const double fraction = formulas::liquidation_fraction(rule, valuation);
    const std::size_t first = orders.size();
    const auto account = static_cast<std::size_t>(a);
    const bool liquidated_earlier_in_step = state.last_liquidated_step[account] == state.step;
    for (std::int64_t p = book.position_offset[account]; p < book.position_offset[account + 1]; ++p) {
      const std::int64_t quantity = state.quantity[static_cast<std::size_t>(p)];
      if (quantity == 0) continue;
      const MarketState& market =
          state.markets[static_cast<std::size_t>(book.position_market[static_cast<std::size_t>(p)])];
      const std::int64_t lots = formulas::liquidation_lots(
          rule, quantity, fraction, static_cast<double>(formulas::absolute_lots(quantity)) * market.value_per_lot_usd,
          liquidated_earlier_in_step);
      orders.push_back({p, formulas::closing_trade(quantity, lots)});
    }
    accounts.push_back({a, first, orders.size()});
  }
  return !accounts.empty() || !backstops.empty();
}

// The backstop vault takes over the round's accounts below its threshold (docs/model.md section
// 7): it buys every position at the round's opening mark, off the book, and takes the cash left
// (positive or negative); the account ends flat at zero. Returns the notional taken per market as
// lots, for one product per market.
void back_stop(const Book& book, ScenarioState& state, const std::vector<std::int64_t>& backstops,
               std::vector<std::int64_t>& lots_taken) {
  std::fill(lots_taken.begin(), lots_taken.end(), 0);
  for (const std::int64_t a : backstops) {
    const auto account = static_cast<std::size_t>(a);
    if (state.accounts != nullptr) {
      // The vault's net cash from the takeover is the account's cash before it: it pays the
      // positions' value in and takes every dollar out.
      AccountOutcome& outcome = (*state.accounts)[account];
      outcome.backstopped = true;
      outcome.backstop_vault_pnl_usd += to_usd(state.cash[account]);
    }
    for (std::int64_t p = book.position_offset[account]; p < book.position_offset[account + 1]; ++p) {
      const auto position = static_cast<std::size_t>(p);
      const std::int64_t quantity = state.quantity[position];
      if (quantity == 0) continue;
      if (state.accounts != nullptr) state.backstopped_quantity[position] += quantity;
      const auto m = static_cast<std::size_t>(book.position_market[position]);
      const micro_usd value = to_micro_usd_checked(
          formulas::position_value_usd(quantity, state.markets[m].value_per_lot_usd), "a backstop takeover");
      transfer(state.vault_cash, state.cash[account], value, "a backstop takeover");
      state.vault_inventory[m] += quantity;
      state.quantity[position] = 0;
      lots_taken[m] += formulas::absolute_lots(quantity);
    }
    transfer(state.cash[account], state.vault_cash, state.cash[account], "a backstop takeover");
  }
}

template <formulas::PerPositionMargins per_position_margins>
bool any_below_maintenance(const Book& book, const ScenarioState& state) {
  for (std::int64_t a = 0; a < book.accounts; ++a) {
    if (below_maintenance<per_position_margins>(book, state, a)) return true;
  }
  return false;
}

}  // namespace

void run_cascade(const Book& book, const ModelConfig& config, const ScenarioMarkets& scenario_markets,
                 ScenarioState& state, std::vector<LiquidationFill>& fills, StepRecord& record,
                 ScenarioMetrics& metrics) {
  std::vector<AccountOrders> accounts;
  std::vector<Order> orders;
  std::vector<std::int64_t> flow_lots(state.markets.size());
  std::vector<std::int64_t> traded_lots(state.markets.size());
  std::vector<std::int64_t> backstops;
  std::vector<std::int64_t> backstop_lots(state.markets.size());

  for (std::int32_t round = 1; round <= config.liquidation.max_cascade_rounds; ++round) {
    using formulas::PerPositionMargins;
    const bool liquidating =
        state.has_per_position_margins
            ? collect_orders<PerPositionMargins::present>(book, config, state, accounts, orders, backstops)
            : collect_orders<PerPositionMargins::absent>(book, config, state, accounts, orders, backstops);
    if (!liquidating) return;
    record.rounds = round;
    if (!backstops.empty()) {
      back_stop(book, state, backstops, backstop_lots);
      record.backstopped_accounts += static_cast<std::int64_t>(backstops.size());
      for (std::size_t m = 0; m < state.markets.size(); ++m) {
        record.backstop_notional_usd += static_cast<double>(backstop_lots[m]) * state.markets[m].value_per_lot_usd;
      }
    }
    for (const AccountOrders& account_orders : accounts) {
      state.last_liquidated_step[static_cast<std::size_t>(account_orders.account)] = state.step;
    }

    std::fill(flow_lots.begin(), flow_lots.end(), 0);
    std::fill(traded_lots.begin(), traded_lots.end(), 0);
    for (const Order& order : orders) {
      const auto m = static_cast<std::size_t>(book.position_market[static_cast<std::size_t>(order.position)]);
      flow_lots[m] += order.traded_lots;
      traded_lots[m] += formulas::absolute_lots(order.traded_lots);
      record.liquidations[m] += 1;
    }
    scenario_markets.apply_round_impact(flow_lots, state.markets, metrics);
    for (std::size_t m = 0; m < state.markets.size(); ++m) {
      record.liquidated_notional_usd[m] +=
          static_cast<double>(traded_lots[m]) * book.lot_size[m] * state.markets[m].market_price_usd;
    }

    // Every order fills at its market's moved price against the outside liquidity providers.
    for (const AccountOrders& account_orders : accounts) {
      double fee_rate = config.liquidation.fee_rate;
      if (config.liquidation.fee_depends_on_health) {
        fee_rate = formulas::liquidation_fee_rate(fee_rate, true, value_account(book, state, account_orders.account));
      }
      double liquidated_notional_usd = 0.0;
      for (std::size_t o = account_orders.first_order; o < account_orders.end_order; ++o) {
        const Order& order = orders[o];
        const auto position = static_cast<std::size_t>(order.position);
        const auto m = static_cast<std::size_t>(book.position_market[position]);
        const double price = state.markets[m].market_price_usd;
        const micro_usd cost = to_micro_usd_checked(formulas::fill_cost_usd(order.traded_lots, book.lot_size[m], price),
                                                    "a liquidation fill");
        transfer(state.cash[static_cast<std::size_t>(account_orders.account)], state.lp_cash, cost,
                 "a liquidation fill");
        state.lp_inventory[m] -= order.traded_lots;
        state.quantity[position] += order.traded_lots;
        liquidated_notional_usd += formulas::fill_notional_usd(order.traded_lots, book.lot_size[m], price);
        fills.push_back({account_orders.account, order.position, order.traded_lots, price});
      }
      const double equity_after_fills_usd =
          formulas::account_equity_usd(account_view(book, state, account_orders.account), state.markets.data());
      const micro_usd fee_due = to_micro_usd_checked(fee_rate * liquidated_notional_usd, "a liquidation fee");
      const micro_usd fee =
          formulas::capped_fee(fee_due, to_micro_usd_checked(equity_after_fills_usd, "an account's equity"));
      transfer(state.cash[static_cast<std::size_t>(account_orders.account)], state.insurance_fund, fee,
               "a liquidation fee");
      record.fees = add_checked(record.fees, fee, "the step's liquidation fees");
      if (state.accounts != nullptr) {
        AccountOutcome& outcome = (*state.accounts)[static_cast<std::size_t>(account_orders.account)];
        outcome.liquidated_notional_usd += liquidated_notional_usd;
        outcome.liquidation_fees += fee;
      }
    }
  }
  // The cap was reached with liquidations in its last round: report whether any account is still
  // below maintenance (it will be liquidated in the next step).
  record.round_cap_hit = state.has_per_position_margins
                             ? any_below_maintenance<formulas::PerPositionMargins::present>(book, state)
                             : any_below_maintenance<formulas::PerPositionMargins::absent>(book, state);
}

}  // namespace margin_stress::cpu
