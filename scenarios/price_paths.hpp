// Regime-switching jump-diffusion price paths (docs/model.md, section 10).
// The hidden regime k(t) follows a Markov chain; within a regime each market's log fundamental
// price moves by a correlated diffusive step plus market-wide Poisson jumps. A regime may give its
// diffusive shocks a GARCH(1,1) variance (Markov-switching GARCH: every regime's variance moves
// every step) and Student-t innovations. Every draw is keyed by (run seed, global scenario index,
// step, stream), so a scenario's path does not depend on the batch it is generated in or on the
// number of threads.
#pragma once

#include <cstdint>

#include "host/model/config.hpp"
#include "host/model/scenario_paths.hpp"

namespace margin_stress {

// Paths of global scenarios [first_scenario, first_scenario + scenarios), each with
// config.run.steps steps after step 0 and config.market_count() markets, prices in USD.
// Preconditions: validate_config passed on `config` (in particular validate_regime_model, and a
// per-step Poisson mean jump_intensity_per_day * dt_days <= 50). Throws std::invalid_argument when
// first_scenario < 0, scenarios < 0, the last global index exceeds 2^32 - 1 (it is one Philox
// counter word) or steps >= 2^32. Runs on config.run.threads threads (0: all hardware threads).
ScenarioPaths generate_regime_paths(const ModelConfig& config, std::int64_t first_scenario, std::int64_t scenarios);

}  // namespace margin_stress
