// Margin calls and the traders' answer in the CPU reference (docs/model.md section 7a), at the
// opening of a step, before the cascade: promised deposits arrive; every account a raise of the
// scale has left above maintenance but below initial margin is called, and either promises a
// deposit or sells down to its initial margin into the market, as one round of orders with impact
// and no fee.
#pragma once

#include <cstdint>

#include "host/engine/book.hpp"
#include "host/engine/cpu/scenario_state.hpp"
#include "host/engine/scenario_markets.hpp"
#include "host/engine/step_record.hpp"
#include "host/model/config.hpp"
#include "host/model/results.hpp"

namespace margin_stress::cpu {

// `global_scenario` is the scenario's index in the whole run (its random draws' counter); `t` the
// step. Counts calls, deposits and deleveraged notional in `record`; the impact of the selling moves
// state.markets through `scenario_markets` (peak impact in `metrics`). Does nothing when
// config.trader_response.enabled is false.
void respond_to_margin_calls(const Book& book, const ModelConfig& config, const ScenarioMarkets& scenario_markets,
                             std::int64_t global_scenario, std::int64_t t, ScenarioState& state, StepRecord& record,
                             ScenarioMetrics& metrics);

}  // namespace margin_stress::cpu
