// A step's outcome, and the scenario's ledger, as both backends count them (docs/model.md
// sections 9 and 11): each engine gathers the same totals its own way, then records them here, so
// that the metrics and series mean the same thing whichever engine ran.
#pragma once

#include <cstdint>
#include <vector>

#include "host/engine/market_state.hpp"
#include "host/model/money.hpp"
#include "host/model/results.hpp"

namespace margin_stress {

// What a step's settlement did (docs/model.md section 8).
struct SettlementOutcome {
  micro_usd deficits = 0;
  micro_usd insurance_payout = 0;
  micro_usd adl_haircut = 0;
  micro_usd bad_debt = 0;
  double adl_notional_usd = 0.0;
  bool fund_exhausted = false;  // the deficits exceeded the fund
};

struct StepRecord {
  std::uint8_t regime = 0;  // the hidden regime, for analysis
  std::int32_t rounds = 0;  // cascade rounds that liquidated at least one account
  bool round_cap_hit = false;
  micro_usd fees = 0;
  SettlementOutcome settlement;
  // Per market: sum over rounds of (lots liquidated in the round) lot X (round's price).
  std::vector<double> liquidated_notional_usd;
  std::vector<std::int64_t> liquidations;  // per market, position liquidations (partial ones too)
  // The traders' response to margin calls at the step's opening (docs/model.md section 7a).
  std::int64_t margin_calls = 0;
  micro_usd deposits = 0;
  std::vector<double> deleveraged_notional_usd;  // per market, one product per market as above
  bool deleveraged = false;                      // some called trader sold (positions changed)
  // Accounts the backstop vault took over in the cascade, and the notional at the takeover marks
  // (one product per market and round).
  std::int64_t backstopped_accounts = 0;
  double backstop_notional_usd = 0.0;
  std::vector<std::int64_t> open_lots;  // per market, sum |q| at the end of the step
  // Per market with notional brackets, the initial margin of its open positions (the others'
  // is open lots times the per-lot initial margin).
  std::vector<double> tiered_initial_margin_usd;

  void clear(std::size_t markets) {
    rounds = 0;
    round_cap_hit = false;
    fees = 0;
    settlement = SettlementOutcome{};
    liquidated_notional_usd.assign(markets, 0.0);
    liquidations.assign(markets, 0);
    margin_calls = 0;
    deposits = 0;
    deleveraged_notional_usd.assign(markets, 0.0);
    deleveraged = false;
    backstopped_accounts = 0;
    backstop_notional_usd = 0.0;
  }
};

// A scenario's metrics before its first step: zero, with the fund's minimum at the top of the range
// (it is the lowest balance after any step's settlement) and per-market vectors of `markets`.
ScenarioMetrics fresh_metrics(std::size_t markets);

// Writes step t's row of `series` (scenario index `scenario` within it) and adds the step to the
// scenario's metrics. `markets` are at the end of the step; `insurance_fund` after settlement.
void record_step(const StepRecord& record, const std::vector<MarketState>& markets, micro_usd insurance_fund,
                 std::int64_t scenario, std::int64_t t, ScenarioMetrics& metrics, StepSeries& series);

// Value of every trader's account, of the liquidity providers and of the backstop vault, at the
// current marks, in micro-dollars (docs/model.md, "Ledger"): cash plus positions summed per market
// in whole lots, rounded once per party; the vault's positions are the complement of the others'.
struct Valuations {
  micro_usd traders = 0;
  micro_usd liquidity_providers = 0;
  micro_usd backstop_vault = 0;
};
Valuations value_everyone(micro_usd trader_cash, const std::vector<std::int64_t>& trader_lots, micro_usd lp_cash,
                          const std::vector<std::int64_t>& lp_inventory, micro_usd vault_cash,
                          const std::vector<std::int64_t>& vault_inventory, const std::vector<MarketState>& markets);

// The scenario's ledger at its end: the changes in value since `initial` and the residual of the
// conservation identity.
void close_ledger(const Valuations& initial, const Valuations& final_values, micro_usd initial_fund,
                  micro_usd insurance_fund, ScenarioMetrics& metrics);

}  // namespace margin_stress
