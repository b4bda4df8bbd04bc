// End-of-step settlement of bankrupt accounts (docs/model.md, "Insurance fund, ADL and bad debt"):
// an account left with no position and negative equity has a deficit; the insurance fund covers
// what it can, auto-deleveraging of profitable opposite positions covers what it can of the rest,
// and what remains is bad debt, written off. Every bankrupt account ends at zero.
#pragma once

#include <vector>

#include "host/engine/cpu/book.hpp"
#include "host/engine/cpu/cascade.hpp"
#include "host/engine/cpu/scenario_state.hpp"
#include "host/model/config.hpp"

namespace margin_stress::cpu {

struct SettlementOutcome {
  micro_usd deficits = 0;
  micro_usd insurance_payout = 0;
  micro_usd adl_haircut = 0;
  micro_usd bad_debt = 0;
  double adl_notional_usd = 0.0;
  bool fund_exhausted = false;  // the deficits exceeded the fund
};

// `fills` are the step's liquidation fills (used to attribute deficits to markets and sides).
SettlementOutcome settle_deficits(const Book& book, const ModelConfig& config, ScenarioState& state,
                                  const std::vector<LiquidationFill>& fills);

}  // namespace margin_stress::cpu
