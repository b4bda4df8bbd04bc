// What an engine produces for a batch of scenarios (docs/model.md, "Metrics"; file layout in
// docs/results.md). Sign convention: a loss is positive (bad debt, insurance fund loss); P&L and
// changes are signed gains.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "host/model/money.hpp"

namespace margin_stress {

// Per scenario, one value each (money in micro-dollars, exact).
struct ScenarioLedger {
  micro_usd trader_equity_change = 0;    // sum over accounts of final minus initial equity, at marks
  micro_usd insurance_fund_change = 0;   // final minus initial balance
  micro_usd liquidity_provider_pnl = 0;  // outside counterparty: final minus initial value, at marks
  micro_usd bad_debt = 0;                // deficits neither the fund nor ADL covered (written off)
  micro_usd adl_haircut = 0;             // profit taken from auto-deleveraged accounts
  micro_usd insurance_payout = 0;        // deficits the fund covered
  micro_usd liquidation_fees = 0;        // fees paid into the fund
  micro_usd deposits = 0;                // collateral traders added in answer to margin calls (new money)
  micro_usd vault_pnl = 0;               // the backstop vault: final value at marks (it starts empty)
  // trader_equity_change + insurance_fund_change + liquidity_provider_pnl + vault_pnl - bad_debt
  // - deposits, to the micro-dollar; zero up to the rounding of marks (docs/model.md, "Ledger").
  micro_usd conservation_residual = 0;
};

// Every field equal: the same ledger to the micro-dollar.
inline bool operator==(const ScenarioLedger& x, const ScenarioLedger& y) {
  return x.trader_equity_change == y.trader_equity_change && x.insurance_fund_change == y.insurance_fund_change &&
         x.liquidity_provider_pnl == y.liquidity_provider_pnl && x.bad_debt == y.bad_debt &&
         x.adl_haircut == y.adl_haircut && x.insurance_payout == y.insurance_payout &&
         x.liquidation_fees == y.liquidation_fees && x.deposits == y.deposits && x.vault_pnl == y.vault_pnl &&
         x.conservation_residual == y.conservation_residual;
}

struct ScenarioMetrics {
  ScenarioLedger ledger;
  micro_usd insurance_fund_min = 0;
  micro_usd insurance_fund_end = 0;
  double adl_notional_usd = 0.0;
  std::int64_t cascade_rounds_total = 0;        // summed over steps
  std::int32_t cascade_rounds_max = 0;          // most rounds in one step
  std::int32_t round_cap_hits = 0;              // steps whose cascade stopped at the cap
  std::int32_t fund_exhausted = 0;              // 1 if a step's deficits exceeded the fund
  std::vector<double> liquidated_notional_usd;  // per market
  std::vector<std::int64_t> liquidation_count;  // per market, position liquidations (partial ones too)
  std::vector<double> peak_impact;              // per market, max |mark/fundamental - 1|
  std::vector<double> max_margin_scale;         // per market
  // The traders' response to margin calls (docs/model.md section 7a), apart from liquidations.
  std::int64_t margin_calls = 0;                 // accounts called, all steps
  std::int64_t backstopped_accounts = 0;         // accounts the backstop vault took over
  double backstop_notional_usd = 0.0;            // notional it took, at the marks of takeover
  std::vector<double> deleveraged_notional_usd;  // per market, sold down by called traders
};

// Per scenario, per step (1..steps, stored at index step-1), per market where marked [m].
struct StepSeries {
  std::int64_t scenarios = 0, steps = 0, markets = 0;
  std::vector<double> fundamental_price_usd;     // [s][t][m]
  std::vector<double> mark_price_usd;            // [s][t][m]
  std::vector<double> margin_scale;              // [s][t][m]
  std::vector<double> liquidated_notional_usd;   // [s][t][m]
  std::vector<double> deleveraged_notional_usd;  // [s][t][m], sold down by traders answering margin calls
  // The positions open at the end of the step, at its end mark M: their notional sum |q| lot M,
  // and the initial margin they require at the step's scale s (sum |q| lot M imf s with the imf in
  // force, or the brackets' requirement where the market has them).
  std::vector<double> open_notional_usd;     // [s][t][m]
  std::vector<double> initial_margin_usd;    // [s][t][m]
  std::vector<std::int32_t> cascade_rounds;  // [s][t]
  std::vector<double> insurance_fund_usd;    // [s][t], after the step's settlement
  std::vector<std::uint8_t> regime;          // [s][t], the hidden regime (for analysis only)

  // Calls visit(&StepSeries::list) for every list above, in order: the one place that names them
  // all, for code that treats them alike (copying batches, checkpoints).
  template <class Visitor>
  static void for_each_list(Visitor&& visit) {
    visit(&StepSeries::fundamental_price_usd);
    visit(&StepSeries::mark_price_usd);
    visit(&StepSeries::margin_scale);
    visit(&StepSeries::liquidated_notional_usd);
    visit(&StepSeries::deleveraged_notional_usd);
    visit(&StepSeries::open_notional_usd);
    visit(&StepSeries::initial_margin_usd);
    visit(&StepSeries::cascade_rounds);
    visit(&StepSeries::insurance_fund_usd);
    visit(&StepSeries::regime);
  }

  // Copies every scenario of `batch` into this series, the batch's first at scenario `first`.
  void place(const StepSeries& batch, std::int64_t first) {
    for_each_list([&](auto list) {
      const auto& from = batch.*list;
      auto& to = this->*list;
      const auto per_scenario = batch.scenarios > 0 ? from.size() / static_cast<std::size_t>(batch.scenarios) : 0;
      std::copy(from.begin(), from.end(), to.begin() + static_cast<std::ptrdiff_t>(per_scenario * first));
    });
  }

  void resize(std::int64_t scenario_count, std::int64_t step_count, std::int64_t market_count) {
    scenarios = scenario_count;
    steps = step_count;
    markets = market_count;
    const auto per_market = static_cast<std::size_t>(scenario_count * step_count * market_count);
    const auto per_step = static_cast<std::size_t>(scenario_count * step_count);
    fundamental_price_usd.assign(per_market, 0.0);
    mark_price_usd.assign(per_market, 0.0);
    margin_scale.assign(per_market, 0.0);
    liquidated_notional_usd.assign(per_market, 0.0);
    deleveraged_notional_usd.assign(per_market, 0.0);
    open_notional_usd.assign(per_market, 0.0);
    initial_margin_usd.assign(per_market, 0.0);
    cascade_rounds.assign(per_step, 0);
    insurance_fund_usd.assign(per_step, 0.0);
    regime.assign(per_step, 0);
  }
  std::size_t market_index(std::int64_t s, std::int64_t t, std::int64_t m) const {
    return static_cast<std::size_t>((s * steps + t) * markets + m);
  }
  std::size_t step_index(std::int64_t s, std::int64_t t) const { return static_cast<std::size_t>(s * steps + t); }
};

struct BatchResults {
  std::int64_t first_scenario = 0;
  std::vector<ScenarioMetrics> scenarios;
  StepSeries series;
};

// Cross-scenario statistics of a run (docs/model.md, "Metrics across scenarios"; computed by
// host/analysis/summary). Losses are positive.

// A 95 % interval; an end the sample cannot bound is -infinity or +infinity.
struct Interval {
  double lower = 0.0;
  double upper = 0.0;
};

struct DistributionSummary {
  std::string metric;  // e.g. "bad_debt_usd"
  double mean = 0.0;
  double standard_error = 0.0;  // of the mean: stddev / sqrt(n)
  double stddev = 0.0;
  double min = 0.0;
  double p50 = 0.0, p90 = 0.0;
  double max = 0.0;
  // Value at risk (the lower empirical quantile) and expected shortfall at 99 % and 99.9 %, each
  // with its distribution-free interval, and the number of scenarios beyond the VaR (n - k): a
  // tail figure that rests on fewer than 10 is flagged wherever it is shown.
  double var_99 = 0.0, es_99 = 0.0, var_999 = 0.0, es_999 = 0.0;
  Interval var_99_interval, es_99_interval, var_999_interval, es_999_interval;
  std::int64_t tail_99_scenarios = 0, tail_999_scenarios = 0;
};

// A tail figure resting on fewer scenarios than this beyond its VaR is flagged as thin.
inline constexpr std::int64_t thin_tail_scenarios = 10;

// An account's part in a captured scenario's bad debt, ADL or backstop-vault loss (docs/model.md
// section 11, "Per account"): its amount in USD and its share of the scenario's total (NaN where
// that total is not positive).
struct AccountContribution {
  std::int64_t account = 0;  // index in the book (the portfolio file's account row)
  double amount_usd = 0.0;
  double share = 0.0;
};

// How many contributors to each a captured scenario lists.
inline constexpr std::size_t top_contributor_count = 5;

// A scenario whose accounts were captured (run --accounts-out), with the accounts that bore its
// bad debt, paid its ADL haircuts and made its backstop vault's loss, largest first (at most
// top_contributor_count of each).
struct CapturedScenario {
  std::int64_t scenario = 0;  // the global scenario number
  double platform_loss_usd = 0.0;
  double bad_debt_usd = 0.0;
  double adl_haircut_usd = 0.0;
  double backstop_vault_loss_usd = 0.0;
  std::vector<AccountContribution> bad_debt_contributors;
  std::vector<AccountContribution> adl_contributors;
  std::vector<AccountContribution> vault_contributors;
};

struct RunSummary {
  std::int64_t scenarios = 0;
  // In this order (docs/model.md, "Metrics across scenarios"): platform_loss_usd and its parts
  // bad_debt_usd, insurance_fund_draw_usd, adl_haircut_usd, backstop_vault_loss_usd; then
  // liquidity_provider_loss_usd, insurance_fund_loss_usd, liquidated_notional_usd,
  // adl_notional_usd, deleveraged_notional_usd, cascade_rounds_max, peak_margin_scale.
  std::vector<DistributionSummary> distributions;
  std::int64_t fund_exhausted_scenarios = 0;
  double fund_exhaustion_probability = 0.0;
  Interval fund_exhaustion_interval;  // Wilson's, 95 %
  std::int64_t round_cap_hits = 0;
  double max_abs_conservation_residual_usd = 0.0;
  // The drill-down's captured scenarios, in the order they were chosen (worst first for
  // --accounts-worst); empty without --accounts-out.
  std::vector<CapturedScenario> captured;
};

}  // namespace margin_stress
