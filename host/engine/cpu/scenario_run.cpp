#include "host/engine/cpu/scenario_run.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "host/engine/cpu/cascade.hpp"
#include "host/engine/cpu/mark_to_market.hpp"
#include "host/engine/cpu/open_interest.hpp"
#include "host/engine/cpu/scenario_markets.hpp"
#include "host/engine/cpu/settlement.hpp"

namespace margin_stress::cpu {
namespace {

// Value of every trader's account, and of the liquidity providers, at the current marks, in
// micro-dollars (docs/model.md, "Ledger"). Positions are summed per market in whole lots first, so
// the valuation is exact up to one rounding per market.
struct Valuations {
  micro_usd traders = 0;
  micro_usd liquidity_providers = 0;
};

Valuations value_everyone(const Book& book, const ScenarioState& state) {
  std::vector<std::int64_t> trader_lots(static_cast<std::size_t>(book.markets), 0);
  for (std::int64_t p = 0; p < book.positions; ++p) {
    trader_lots[static_cast<std::size_t>(book.position_market[static_cast<std::size_t>(p)])] +=
        state.quantity[static_cast<std::size_t>(p)];
  }
  double trader_positions_usd = 0.0;
  double provider_positions_usd = 0.0;
  for (std::size_t m = 0; m < trader_lots.size(); ++m) {
    trader_positions_usd += static_cast<double>(trader_lots[m]) * state.markets[m].value_per_lot_usd;
    provider_positions_usd += static_cast<double>(state.lp_inventory[m]) * state.markets[m].value_per_lot_usd;
  }
  Valuations valuations;
  for (const micro_usd cash : state.cash) valuations.traders = add_checked(valuations.traders, cash, "the traders' cash");
  valuations.traders = add_checked(valuations.traders, to_micro_usd_checked(trader_positions_usd, "the traders' positions"),
                                   "the traders' equity");
  valuations.liquidity_providers =
      add_checked(state.lp_cash, to_micro_usd_checked(provider_positions_usd, "the liquidity providers' positions"),
                  "the liquidity providers' value");
  return valuations;
}

}  // namespace

namespace {

// The body of run_scenario; `step` tells the caller where an overflow happened.
void run_steps(const Book& book, const ModelConfig& config, const ScenarioPaths& paths, std::int64_t scenario,
               ScenarioState& state, ScenarioMetrics& metrics, StepSeries& series, std::int64_t& step) {
  const auto markets = static_cast<std::size_t>(book.markets);
  const micro_usd initial_fund = to_micro_usd(config.insurance_fund.initial_balance_usd);

  metrics = ScenarioMetrics{};
  metrics.insurance_fund_min = max_money;  // the lowest balance after any step's settlement
  metrics.liquidated_notional_usd.assign(markets, 0.0);
  metrics.liquidation_count.assign(markets, 0);
  state.reset(book, initial_fund);
  ScenarioMarkets scenario_markets(config, book);
  scenario_markets.start(paths, scenario, state.markets, metrics);
  state.collateral_value = scenario_markets.collateral_value();
  const Valuations initial = value_everyone(book, state);

  std::vector<LiquidationFill> fills;
  // Open lots change only through a step's liquidation fills and the ADL closes that can follow
  // them (docs/model.md sections 7 and 8), so they are recounted only after such a step.
  std::vector<std::int64_t> open_lots(markets);
  const auto count_open_lots = [&] {
    std::fill(open_lots.begin(), open_lots.end(), 0);
    for (std::int64_t p = 0; p < book.positions; ++p) {
      open_lots[static_cast<std::size_t>(book.position_market[static_cast<std::size_t>(p)])] +=
          std::llabs(state.quantity[static_cast<std::size_t>(p)]);
    }
  };
  count_open_lots();
  std::vector<double> tiered_initial_margin(markets, 0.0);
  std::vector<std::int64_t> long_lots;  // for open-interest-scaled margins, recounted likewise
  if (book.scales_with_open_interest) count_long_lots(book, state, long_lots);

  for (std::int64_t t = 1; t <= paths.steps; ++t) {
    step = t;
    const std::uint8_t regime = paths.regime[paths.regime_index(scenario, t)];

    // 1. New fundamental prices and oracle, decayed temporary impact, this step's margin scale.
    scenario_markets.open_step(paths, scenario, t, long_lots, state.markets, metrics);
    state.collateral_value = scenario_markets.collateral_value();

    // 2. The liquidation cascade, then 3. settlement of bankrupt accounts.
    fills.clear();
    const CascadeOutcome cascade = run_cascade(book, config, scenario_markets, state, fills, metrics);
    const SettlementOutcome settlement = settle_deficits(book, config, state, fills);

    // 4. The platform observes the step's mark returns and updates its estimates.
    scenario_markets.close_step(state.markets);

    // 5. Metrics and the step's series.
    const std::int64_t row = t - 1;
    std::vector<double> step_notional(markets, 0.0);
    for (const LiquidationFill& fill : fills) {
      const auto m = static_cast<std::size_t>(book.position_market[static_cast<std::size_t>(fill.position)]);
      step_notional[m] += static_cast<double>(std::llabs(fill.traded_lots)) * book.lot_size[m] * fill.price_usd;
      metrics.liquidation_count[m] += 1;
    }
    // The positions still open, at the end-of-step marks and the step's scale: integer open lots
    // per market, then one product each for their notional and initial margin (docs/results.md).
    if (!fills.empty()) count_open_lots();
    if (!fills.empty() && book.scales_with_open_interest) count_long_lots(book, state, long_lots);
    if (state.has_margin_tiers) tiered_initial_margin_by_market(book, state, tiered_initial_margin);
    for (std::size_t m = 0; m < markets; ++m) {
      const auto mi = series.market_index(scenario, row, static_cast<std::int64_t>(m));
      series.initial_margin_usd[mi] = state.markets[m].tiered
                                          ? tiered_initial_margin[m]
                                          : static_cast<double>(open_lots[m]) * state.markets[m].initial_per_lot_usd;
      series.open_notional_usd[mi] = static_cast<double>(open_lots[m]) * state.markets[m].value_per_lot_usd;
      series.fundamental_price_usd[mi] = state.markets[m].fundamental_price_usd;
      series.mark_price_usd[mi] = state.markets[m].mark_price_usd;
      series.margin_scale[mi] = state.markets[m].margin_scale;
      series.liquidated_notional_usd[mi] = step_notional[m];
      metrics.liquidated_notional_usd[m] += step_notional[m];
    }
    const auto si = series.step_index(scenario, row);
    series.cascade_rounds[si] = cascade.rounds;
    series.insurance_fund_usd[si] = to_usd(state.insurance_fund);
    series.regime[si] = regime;

    metrics.cascade_rounds_total += cascade.rounds;
    metrics.cascade_rounds_max = std::max(metrics.cascade_rounds_max, cascade.rounds);
    metrics.round_cap_hits += cascade.round_cap_hit ? 1 : 0;
    metrics.fund_exhausted = std::max<std::int32_t>(metrics.fund_exhausted, settlement.fund_exhausted ? 1 : 0);
    metrics.adl_notional_usd += settlement.adl_notional_usd;
    metrics.insurance_fund_min = std::min(metrics.insurance_fund_min, state.insurance_fund);
    ScenarioLedger& ledger = metrics.ledger;
    ledger.liquidation_fees = add_checked(ledger.liquidation_fees, cascade.fees, "the scenario's fees");
    ledger.insurance_payout = add_checked(ledger.insurance_payout, settlement.insurance_payout, "the scenario's payouts");
    ledger.adl_haircut = add_checked(ledger.adl_haircut, settlement.adl_haircut, "the scenario's ADL haircuts");
    ledger.bad_debt = add_checked(ledger.bad_debt, settlement.bad_debt, "the scenario's bad debt");
  }
  step = paths.steps + 1;

  const Valuations final_values = value_everyone(book, state);
  ScenarioLedger& ledger = metrics.ledger;
  metrics.insurance_fund_end = state.insurance_fund;
  ledger.trader_equity_change = final_values.traders - initial.traders;
  ledger.liquidity_provider_pnl = final_values.liquidity_providers - initial.liquidity_providers;
  ledger.insurance_fund_change = state.insurance_fund - initial_fund;
  ledger.conservation_residual =
      ledger.trader_equity_change + ledger.insurance_fund_change + ledger.liquidity_provider_pnl - ledger.bad_debt;
}

}  // namespace

void run_scenario(const Book& book, const ModelConfig& config, const ScenarioPaths& paths, std::int64_t scenario,
                  ScenarioState& state, ScenarioMetrics& metrics, StepSeries& series) {
  std::int64_t step = 0;
  try {
    run_steps(book, config, paths, scenario, state, metrics, series, step);
  } catch (const std::overflow_error& error) {
    const std::string where = step == 0 ? "at the start" : step > paths.steps ? "at the end" : "step " + std::to_string(step);
    throw std::overflow_error("scenario " + std::to_string(paths.first_scenario + scenario) + " " + where + ": " +
                              error.what());
  }
}

}  // namespace margin_stress::cpu
