// End-of-step settlement of bankrupt accounts (docs/model.md, "Insurance fund, ADL and bad debt"):
// an account left with no position and negative equity has a deficit; the insurance fund covers
// what it can, auto-deleveraging of profitable opposite positions covers what it can of the rest,
// and what remains is bad debt, written off. Every bankrupt account ends at zero.
#pragma once

#include <vector>

#include "host/engine/book.hpp"
#include "host/engine/cpu/cascade.hpp"
#include "host/engine/cpu/scenario_state.hpp"
#include "host/engine/step_record.hpp"
#include "host/model/config.hpp"

namespace margin_stress::cpu {

// `fills` are the step's liquidation fills (used to attribute deficits to markets and sides).
SettlementOutcome settle_deficits(const Book& book, const ModelConfig& config, ScenarioState& state,
                                  const std::vector<LiquidationFill>& fills);

// Deleverages the opposite side of every pair with a positive target, in market order, long before
// short; returns the haircuts collected, sets `collected_by_pair` to each pair's and adds the notional
// closed to `adl_notional_usd` (the CPU reference's walk; the CUDA engine's is docs/model.md section
// 14's).
micro_usd auto_deleverage(const Book& book, ScenarioState& state, const std::vector<micro_usd>& targets,
                          const std::vector<char>& is_bankrupt, double& adl_notional_usd,
                          std::vector<micro_usd>& collected_by_pair);

}  // namespace margin_stress::cpu
