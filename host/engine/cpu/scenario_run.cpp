#include "host/engine/cpu/scenario_run.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "host/engine/cpu/account.hpp"
#include "host/engine/cpu/cascade.hpp"
#include "host/engine/cpu/open_interest.hpp"
#include "host/engine/cpu/settlement.hpp"
#include "host/engine/cpu/trader_response.hpp"
#include "host/engine/scenario_markets.hpp"
#include "host/engine/step_record.hpp"

namespace margin_stress::cpu {
namespace {

// Totals the traders' cash and lots for value_everyone (docs/model.md, "Ledger").
Valuations value_everyone(const Book& book, const ScenarioState& state) {
  std::vector<std::int64_t> trader_lots(static_cast<std::size_t>(book.markets), 0);
  for (std::int64_t p = 0; p < book.positions; ++p) {
    trader_lots[static_cast<std::size_t>(book.position_market[static_cast<std::size_t>(p)])] +=
        state.quantity[static_cast<std::size_t>(p)];
  }
  micro_usd trader_cash = 0;
  for (const micro_usd cash : state.cash) trader_cash = add_checked(trader_cash, cash, "the traders' cash");
  return value_everyone(trader_cash, trader_lots, state.lp_cash, state.lp_inventory, state.vault_cash,
                        state.vault_inventory, state.markets);
}

// Every account's equity at the current marks.
void record_equity(const Book& book, const ScenarioState& state, double AccountOutcome::*equity_usd) {
  for (std::int64_t a = 0; a < book.accounts; ++a) {
    (*state.accounts)[static_cast<std::size_t>(a)].*equity_usd =
        formulas::account_equity_usd(account_view(book, state, a), state.markets.data());
  }
}

// The vault's per-account gain at the end: the cash it took over (recorded at the takeover) plus
// the lots it took, at the final marks.
void value_backstopped_lots(const Book& book, ScenarioState& state) {
  for (std::int64_t p = 0; p < book.positions; ++p) {
    const auto position = static_cast<std::size_t>(p);
    const std::int64_t lots = state.backstopped_quantity[position];
    if (lots == 0) continue;
    const MarketState& market = state.markets[static_cast<std::size_t>(book.position_market[position])];
    (*state.accounts)[static_cast<std::size_t>(book.position_account[position])].backstop_vault_pnl_usd +=
        formulas::position_value_usd(lots, market.value_per_lot_usd);
  }
}

// The body of run_scenario; `step` tells the caller where an overflow happened.
void run_steps(const Book& book, const ModelConfig& config, const ScenarioPaths& paths, std::int64_t scenario,
               ScenarioState& state, ScenarioMetrics& metrics, StepSeries& series,
               std::vector<AccountOutcome>* accounts, std::int64_t& step) {
  const auto markets = static_cast<std::size_t>(book.markets);
  const micro_usd initial_fund = to_micro_usd(config.insurance_fund.initial_balance_usd);

  metrics = fresh_metrics(markets);
  state.reset(book, initial_fund);
  ScenarioMarkets scenario_markets(config, book);
  scenario_markets.start(paths, scenario, state.markets, metrics);
  state.collateral_value = scenario_markets.collateral_value();
  const Valuations initial = value_everyone(book, state);
  state.accounts = accounts;
  if (accounts != nullptr) {
    accounts->assign(static_cast<std::size_t>(book.accounts), AccountOutcome{});
    state.backstopped_quantity.assign(static_cast<std::size_t>(book.positions), 0);
    record_equity(book, state, &AccountOutcome::initial_equity_usd);
  }

  std::vector<LiquidationFill> fills;
  StepRecord record;
  // Open lots change only through a step's liquidation fills and the ADL closes that can follow
  // them (docs/model.md sections 7 and 8), so they are recounted only after such a step.
  const auto count_open_lots = [&] {
    record.open_lots.assign(markets, 0);
    for (std::int64_t p = 0; p < book.positions; ++p) {
      record.open_lots[static_cast<std::size_t>(book.position_market[static_cast<std::size_t>(p)])] +=
          formulas::absolute_lots(state.quantity[static_cast<std::size_t>(p)]);
    }
  };
  count_open_lots();
  std::vector<std::int64_t> long_lots;  // for open-interest-scaled margins, recounted likewise
  if (book.scales_with_open_interest) count_long_lots(book, state, long_lots);

  for (std::int64_t t = 1; t <= paths.steps; ++t) {
    step = t;
    state.step = t;

    // 1. New fundamental prices and oracle, decayed temporary impact, this step's margin scale.
    scenario_markets.open_step(paths, scenario, t, long_lots, state.markets, metrics);
    state.collateral_value = scenario_markets.collateral_value();

    // 2. Margin calls and the traders' answer (section 7a), 3. the liquidation cascade and
    // 4. settlement of bankrupt accounts.
    fills.clear();
    record.clear(markets);
    record.regime = paths.regime[paths.regime_index(scenario, t)];
    respond_to_margin_calls(book, config, scenario_markets, paths.first_scenario + scenario, t, state, record, metrics);
    run_cascade(book, config, scenario_markets, state, fills, record, metrics);
    record.settlement = settle_deficits(book, config, state, fills);

    // 5. The platform observes the step's returns (mark or index) and updates its estimates.
    scenario_markets.close_step(state.markets);

    // 6. Metrics and the step's series, with the positions still open at the end-of-step marks.
    const bool positions_changed = !fills.empty() || record.deleveraged || record.backstopped_accounts > 0;
    if (positions_changed) count_open_lots();
    if (positions_changed && book.scales_with_open_interest) count_long_lots(book, state, long_lots);
    if (state.has_per_position_margins) tiered_initial_margin_by_market(book, state, record.tiered_initial_margin_usd);
    record_step(record, state.markets, state.insurance_fund, scenario, t, metrics, series);
  }
  step = paths.steps + 1;

  close_ledger(initial, value_everyone(book, state), initial_fund, state.insurance_fund, metrics);
  if (accounts != nullptr) {
    record_equity(book, state, &AccountOutcome::final_equity_usd);
    value_backstopped_lots(book, state);
  }
}

}  // namespace

void run_scenario(const Book& book, const ModelConfig& config, const ScenarioPaths& paths, std::int64_t scenario,
                  ScenarioState& state, ScenarioMetrics& metrics, StepSeries& series,
                  std::vector<AccountOutcome>* accounts) {
  std::int64_t step = 0;
  try {
    run_steps(book, config, paths, scenario, state, metrics, series, accounts, step);
  } catch (const std::overflow_error& error) {
    const std::string where = step == 0            ? "at the start"
                              : step > paths.steps ? "at the end"
                                                   : "step " + std::to_string(step);
    throw std::overflow_error("scenario " + std::to_string(paths.first_scenario + scenario) + " " + where + ": " +
                              error.what());
  }
}

}  // namespace margin_stress::cpu
