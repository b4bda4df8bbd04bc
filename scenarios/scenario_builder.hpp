// The one entry point that turns a configuration's scenario description into the ScenarioPaths
// every backend reads (docs/model.md, section 10): the base (Monte Carlo regime paths, or flat
// prices), each step's depth multiplier from its regime, an honest oracle and collateral at par,
// and then the committee shocks.
#pragma once

#include <cstdint>
#include <string>

#include "host/model/config.hpp"
#include "host/model/scenario_paths.hpp"

namespace margin_stress {

// Global scenarios [first_scenario, first_scenario + scenarios) of `config` (validated).
ScenarioPaths build_scenarios(const ModelConfig& config, std::int64_t first_scenario, std::int64_t scenarios);

// One line for reports and the results file: the base, each replay (market, file, start) and
// each shock (kind and name), e.g. "monte_carlo regimes (4 states); replay BTC from btc.csv at
// 2020-03-12T00:00:00Z; shocks: crash \"BTC -30 %\", depth".
std::string describe_scenarios(const ModelConfig& config);

// Fills depth_multiplier from the regime path and sets oracle_factor and collateral_value to 1,
// for paths whose prices and regimes are already set.
void set_regime_market_conditions(const ModelConfig& config, ScenarioPaths& paths);

}  // namespace margin_stress
