// Range and consistency checks of a ModelConfig (allowed ranges in docs/config.md).
#pragma once

#include "host/model/config.hpp"

namespace margin_stress {

// Throws InputError on the first field out of its allowed range, naming config.source_name, the
// field (as its TOML key path, e.g. "markets[1].depth_usd"), the value and the range. Checks every
// key's declared range (host/model/config_schema.hpp) and the conditions across keys here (markets,
// margin policy, the per-step jump count), then the regime model (validate_regime_model) and the
// portfolio generator parameters (validate_generator_params), and last that the largest generated
// position fits in int64 lots, and the scenario's names and windows. Everything downstream trusts a
// config that passed.
void validate_config(const ModelConfig& config);

}  // namespace margin_stress
