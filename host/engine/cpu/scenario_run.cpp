#include "host/engine/cpu/scenario_run.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

#include "host/engine/cpu/cascade.hpp"
#include "host/engine/cpu/impact.hpp"
#include "host/engine/cpu/margin.hpp"
#include "host/engine/cpu/mark_to_market.hpp"
#include "host/engine/cpu/open_interest.hpp"
#include "host/engine/cpu/regime_filter.hpp"
#include "host/engine/cpu/settlement.hpp"

namespace margin_stress::cpu {
namespace {

constexpr double seconds_per_year = 365.0 * 86400.0;

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
  const double dt_years = config.run.step_seconds / seconds_per_year;
  const double decay = temporary_decay_factor(config.impact.temporary_half_life_seconds, config.run.step_seconds);
  const micro_usd initial_fund = to_micro_usd(config.insurance_fund.initial_balance_usd);

  state.reset(book, initial_fund);
  for (std::size_t m = 0; m < markets; ++m) {
    const MarketSpec& spec = config.markets[m];
    MarketState& market = state.markets[m];
    const std::size_t at = paths.price_index(scenario, 0, static_cast<std::int64_t>(m));
    market.fundamental_price_usd = paths.fundamental_price_usd[at];
    market.oracle_factor = paths.oracle_factor[at];
    market.policy_variance = initial_ewma_variance(spec.reference_volatility, dt_years);
    market.initial_margin_fraction = spec.initial_margin_fraction;
    market.reprice(spec);
  }
  const MarginPolicyParams& policy = config.margin_policy;
  const bool regime_aware = policy.kind == MarginPolicyKind::regime_aware;
  std::optional<RegimeFilter> filter;
  if (regime_aware) {
    filter.emplace(config);
    state.regime_probabilities = filter->prior();
  }
  std::vector<MarginScaleSchedule> schedules(markets, MarginScaleSchedule(policy, config.run.step_seconds));
  std::vector<double> observed_returns(markets);
  state.collateral_value = paths.collateral_value[paths.regime_index(scenario, 0)];
  const Valuations initial = value_everyone(book, state);

  metrics = ScenarioMetrics{};
  metrics.insurance_fund_min = max_money;  // the lowest balance after any step's settlement
  metrics.liquidated_notional_usd.assign(markets, 0.0);
  metrics.liquidation_count.assign(markets, 0);
  metrics.peak_impact.assign(markets, 0.0);
  metrics.max_margin_scale.assign(markets, 0.0);

  StepMarkets step_markets;
  step_markets.effective_depth_usd.resize(markets);
  std::vector<LiquidationFill> fills;
  std::vector<double> previous_mark(markets);
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
    state.collateral_value = paths.collateral_value[paths.regime_index(scenario, t)];

    // 1. New fundamental prices and oracle, decayed temporary impact, this step's margin scale.
    for (std::size_t m = 0; m < markets; ++m) {
      const MarketSpec& spec = config.markets[m];
      MarketState& market = state.markets[m];
      const std::size_t at = paths.price_index(scenario, t, static_cast<std::int64_t>(m));
      previous_mark[m] = market.mark_price_usd;
      market.fundamental_price_usd = paths.fundamental_price_usd[at];
      market.oracle_factor = paths.oracle_factor[at];
      market.temporary_impact *= decay;
      const double target = regime_aware
                                ? regime_margin_scale(policy, state.regime_probabilities)
                                : margin_scale(policy, market.policy_variance, spec.reference_volatility, dt_years);
      market.margin_scale = schedules[m].apply(target);
      market.reprice(spec);
      step_markets.effective_depth_usd[m] = spec.depth_usd * paths.depth_multiplier[at];
      metrics.peak_impact[m] =
          std::max(metrics.peak_impact[m], std::fabs(market.market_price_usd / market.fundamental_price_usd - 1.0));
      metrics.max_margin_scale[m] = std::max(metrics.max_margin_scale[m], market.margin_scale);
    }
    if (book.scales_with_open_interest) scale_initial_margin_by_open_interest(config, long_lots, state);

    // 2. The liquidation cascade, then 3. settlement of bankrupt accounts.
    fills.clear();
    const CascadeOutcome cascade = run_cascade(book, config, step_markets, state, fills, metrics.peak_impact);
    const SettlementOutcome settlement = settle_deficits(book, config, state, fills);

    // 4. The platform observes the step's mark returns and updates its estimates.
    for (std::size_t m = 0; m < markets; ++m) {
      MarketState& market = state.markets[m];
      observed_returns[m] = std::log(market.mark_price_usd / previous_mark[m]);
      market.policy_variance = update_policy_variance(policy, market.policy_variance, observed_returns[m],
                                                      config.markets[m].reference_volatility, dt_years);
    }
    if (regime_aware) filter->update(state.regime_probabilities, observed_returns);

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
