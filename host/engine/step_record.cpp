#include "host/engine/step_record.hpp"

#include <algorithm>

namespace margin_stress {

ScenarioMetrics fresh_metrics(std::size_t markets) {
  ScenarioMetrics metrics;
  metrics.insurance_fund_min = max_money;
  metrics.liquidated_notional_usd.assign(markets, 0.0);
  metrics.liquidation_count.assign(markets, 0);
  metrics.deleveraged_notional_usd.assign(markets, 0.0);
  return metrics;
}

void record_step(const StepRecord& record, const std::vector<MarketState>& markets, micro_usd insurance_fund,
                 std::int64_t scenario, std::int64_t t, ScenarioMetrics& metrics, StepSeries& series) {
  const std::int64_t row = t - 1;
  for (std::size_t m = 0; m < markets.size(); ++m) {
    const MarketState& market = markets[m];
    const auto mi = series.market_index(scenario, row, static_cast<std::int64_t>(m));
    series.initial_margin_usd[mi] = market.per_position
                                        ? record.tiered_initial_margin_usd[m]
                                        : static_cast<double>(record.open_lots[m]) * market.initial_per_lot_usd;
    series.open_notional_usd[mi] = static_cast<double>(record.open_lots[m]) * market.value_per_lot_usd;
    series.fundamental_price_usd[mi] = market.fundamental_price_usd;
    series.mark_price_usd[mi] = market.mark_price_usd;
    series.margin_scale[mi] = market.margin_scale;
    series.liquidated_notional_usd[mi] = record.liquidated_notional_usd[m];
    metrics.liquidated_notional_usd[m] += record.liquidated_notional_usd[m];
    metrics.liquidation_count[m] += record.liquidations[m];
    series.deleveraged_notional_usd[mi] = record.deleveraged_notional_usd[m];
    metrics.deleveraged_notional_usd[m] += record.deleveraged_notional_usd[m];
  }
  const auto si = series.step_index(scenario, row);
  series.cascade_rounds[si] = record.rounds;
  series.insurance_fund_usd[si] = usd_figure(insurance_fund);
  series.regime[si] = record.regime;

  const SettlementOutcome& settlement = record.settlement;
  metrics.cascade_rounds_total += record.rounds;
  metrics.cascade_rounds_max = std::max(metrics.cascade_rounds_max, record.rounds);
  metrics.round_cap_hits += record.round_cap_hit ? 1 : 0;
  metrics.fund_exhausted = std::max<std::int32_t>(metrics.fund_exhausted, settlement.fund_exhausted ? 1 : 0);
  metrics.adl_notional_usd += settlement.adl_notional_usd;
  metrics.insurance_fund_min = std::min(metrics.insurance_fund_min, insurance_fund);
  metrics.margin_calls += record.margin_calls;
  metrics.backstopped_accounts += record.backstopped_accounts;
  metrics.backstop_notional_usd += record.backstop_notional_usd;
  ScenarioLedger& ledger = metrics.ledger;
  ledger.liquidation_fees = add_checked(ledger.liquidation_fees, record.fees, "the scenario's fees");
  ledger.insurance_payout = add_checked(ledger.insurance_payout, settlement.insurance_payout, "the scenario's payouts");
  ledger.adl_haircut = add_checked(ledger.adl_haircut, settlement.adl_haircut, "the scenario's ADL haircuts");
  ledger.bad_debt = add_checked(ledger.bad_debt, settlement.bad_debt, "the scenario's bad debt");
  ledger.deposits = add_checked(ledger.deposits, record.deposits, "the scenario's deposits");
}

Valuations value_everyone(micro_usd trader_cash, const std::vector<std::int64_t>& trader_lots, micro_usd lp_cash,
                          const std::vector<std::int64_t>& lp_inventory, micro_usd vault_cash,
                          const std::vector<std::int64_t>& vault_inventory, const std::vector<MarketState>& markets) {
  double trader_positions_usd = 0.0;
  double provider_positions_usd = 0.0;
  for (std::size_t m = 0; m < markets.size(); ++m) {
    trader_positions_usd += static_cast<double>(trader_lots[m]) * markets[m].value_per_lot_usd;
    provider_positions_usd += static_cast<double>(lp_inventory[m]) * markets[m].value_per_lot_usd;
  }
  Valuations valuations;
  valuations.traders = add_checked(trader_cash, to_micro_usd_checked(trader_positions_usd, "the traders' positions"),
                                   "the traders' equity");
  valuations.liquidity_providers =
      add_checked(lp_cash, to_micro_usd_checked(provider_positions_usd, "the liquidity providers' positions"),
                  "the liquidity providers' value");
  // The traders', the LP's and the vault's lots cancel in every market, so the vault's positions
  // are worth minus the others' (rounded once each): the ledger stays exact in integers.
  micro_usd vault_positions = 0;
  for (const std::int64_t lots : vault_inventory) {
    if (lots == 0) continue;
    vault_positions = -add_checked(to_micro_usd_checked(trader_positions_usd, "the traders' positions"),
                                   to_micro_usd_checked(provider_positions_usd, "the liquidity providers' positions"),
                                   "the backstop vault's positions");
    break;
  }
  valuations.backstop_vault = add_checked(vault_cash, vault_positions, "the backstop vault's value");
  return valuations;
}

void close_ledger(const Valuations& initial, const Valuations& final_values, micro_usd initial_fund,
                  micro_usd insurance_fund, ScenarioMetrics& metrics) {
  ScenarioLedger& ledger = metrics.ledger;
  metrics.insurance_fund_end = insurance_fund;
  ledger.trader_equity_change = final_values.traders - initial.traders;
  ledger.liquidity_provider_pnl = final_values.liquidity_providers - initial.liquidity_providers;
  ledger.vault_pnl = final_values.backstop_vault - initial.backstop_vault;
  ledger.insurance_fund_change = insurance_fund - initial_fund;
  ledger.conservation_residual = ledger.trader_equity_change + ledger.insurance_fund_change +
                                 ledger.liquidity_provider_pnl + ledger.vault_pnl - ledger.bad_debt - ledger.deposits;
}

}  // namespace margin_stress
