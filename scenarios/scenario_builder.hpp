// The one entry point that turns a configuration's scenario description into the ScenarioPaths
// every backend reads (docs/model.md, section 10): the Monte Carlo regime paths, with each
// step's depth multiplier taken from its regime, an honest oracle and collateral at par.
#pragma once

#include <cstdint>

#include "host/model/config.hpp"
#include "host/model/scenario_paths.hpp"

namespace margin_stress {

// Global scenarios [first_scenario, first_scenario + scenarios) of `config` (validated).
ScenarioPaths build_scenarios(const ModelConfig& config, std::int64_t first_scenario, std::int64_t scenarios);

// Fills depth_multiplier from the regime path and sets oracle_factor and collateral_value to 1,
// for paths whose prices and regimes are already set.
void set_regime_market_conditions(const ModelConfig& config, ScenarioPaths& paths);

}  // namespace margin_stress
