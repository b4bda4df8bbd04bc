// The liquidation cascade inside one step (docs/model.md, "Cascade"): liquidate every account
// below maintenance at the round's opening marks, aggregate the traded lots per market, move the
// marks by the impact of that flow, execute every order of the round at the moved mark, charge fees,
// and repeat until a round finds no liquidatable account or the round cap is reached.
#pragma once

#include <cstdint>
#include <vector>

#include "host/engine/book.hpp"
#include "host/engine/cpu/scenario_state.hpp"
#include "host/engine/scenario_markets.hpp"
#include "host/engine/step_record.hpp"
#include "host/model/config.hpp"
#include "host/model/results.hpp"

namespace margin_stress::cpu {

// One position's forced trade in one round; the ledger of the step keeps them for the settlement
// (which attributes an account's deficit to the markets and sides it was liquidated in).
struct LiquidationFill {
  std::int64_t account = 0;
  std::int64_t position = 0;
  std::int64_t traded_lots = 0;  // signed trade of the account: -q direction, closing
  double price_usd = 0.0;        // the round's execution price (the moved mark)
};

// Runs the cascade of the current step on `state`, appending every fill to `fills` and counting
// rounds, fees and liquidations in `record` (cleared by the caller); each round's impact moves
// state.markets through `scenario_markets`, which updates the peak impact in `metrics`.
void run_cascade(const Book& book, const ModelConfig& config, const ScenarioMarkets& scenario_markets,
                 ScenarioState& state, std::vector<LiquidationFill>& fills, StepRecord& record,
                 ScenarioMetrics& metrics);

}  // namespace margin_stress::cpu
