// Committee shocks layered on a scenario's paths (docs/model.md, section 10.3). The price, depth,
// oracle and collateral shocks act here, on paths already built; the volatility and correlation
// shocks act on the Monte Carlo noise itself (scenarios/price_paths.cpp).
#pragma once

#include <cstdint>

#include "host/model/config.hpp"
#include "host/model/scenario_paths.hpp"

namespace margin_stress {

// The multiplier a gap, crash or v_shape shock applies to the price at step t (1 outside it).
double shock_price_factor(const ShockSpec& shock, std::int64_t step);

// Whether step t lies in the shock's window [start_step, start_step + duration_steps).
bool shock_is_active(const ShockSpec& shock, std::int64_t step);

// Applies every shock of config.scenario.shocks to `paths`, in this order: the price shocks (in
// config order, multiplying F), then the depth, oracle and collateral shocks.
void apply_shocks(const ModelConfig& config, ScenarioPaths& paths);

}  // namespace margin_stress
