// The model configuration written back as TOML, in the schema of docs/config.md.
#pragma once

#include <string>
#include <string_view>

#include "host/model/config.hpp"

namespace margin_stress {

// The spelling of each enum value in a config file ("square_root", "partial", "static", ...).
std::string_view toml_name(ImpactLaw law);
std::string_view toml_name(LiquidationMode mode);
std::string_view toml_name(MarginPolicyKind kind);
std::string_view toml_name(VolatilityEstimator estimator);
std::string_view toml_name(ScenarioBase base);
std::string_view toml_name(ShockKind kind);
std::string_view toml_name(ShockShape shape);

// Every field of `config` (not source_text or source_name) as a complete TOML document, in the
// order of docs/config.md. Floats are written in their shortest exact form, so parse_config of the
// text gives back the same doubles bit for bit. Matrices are written with the dimension their size
// implies, not the market or regime count, so an inconsistent config is written as it was read.
// Preconditions, true of every config parse_config returns: seeds below 2^63 (TOML integers are
// signed; validate_config checks it) and square matrices (else std::invalid_argument).
std::string config_to_toml(const ModelConfig& config);

}  // namespace margin_stress
