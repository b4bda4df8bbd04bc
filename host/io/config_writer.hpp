// The model configuration written back as TOML, in the schema of docs/config.md.
#pragma once

#include <string>

#include "host/model/config.hpp"
#include "host/model/config_schema.hpp"  // toml_name, the spelling of each enum value

namespace margin_stress {

// Every key of `config` declared in host/model/config_schema.hpp (not source_text or source_name)
// as a complete TOML document, table by table and key by key in the schema's order. Floats are
// written in their shortest exact form, so parse_config of the text gives back the same doubles
// bit for bit. Matrices are written with the dimension their size
// implies, not the market or regime count, so an inconsistent config is written as it was read.
// Preconditions, true of every config parse_config returns: seeds below 2^63 (TOML integers are
// signed; validate_config checks it) and square matrices (else std::invalid_argument).
std::string config_to_toml(const ModelConfig& config);

}  // namespace margin_stress
