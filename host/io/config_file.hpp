// Reading the TOML model configuration (schema, units and ranges in docs/config.md).
//
// A user config is layered on the built-in default (scenarios/presets/default.toml, compiled into
// the library): tables merge key by key, arrays (including the arrays of tables [[markets]] and
// [[regimes.states]]) replace the default's array whole. Every key is checked against the schema
// (host/model/config_schema.hpp; an unknown key is an error, to catch typos) and every value's
// type is checked; errors are InputError naming the file, the key, the value and the line. Ranges
// and cross-field consistency are checked separately, by validate_config
// (scenarios/validate_config.hpp).
#pragma once

#include <string>
#include <string_view>

#include "host/model/config.hpp"

namespace margin_stress {

// source_name of the configuration built from the default alone.
inline constexpr std::string_view built_in_config_name = "built-in default";

// `toml_text` layered on the built-in default. The result's source_name is `source_name` and its
// source_text the full effective configuration as TOML (config_to_toml), so that text alone
// reproduces the run. Throws InputError on malformed TOML, unknown keys and mistyped values.
ModelConfig parse_config(const std::string& toml_text, const std::string& source_name);

// `toml_text` layered on `base` (an effective configuration) instead of on the built-in default,
// by the same rule; used to apply a policy file to a run's configuration.
ModelConfig parse_config_over(const ModelConfig& base, const std::string& toml_text, const std::string& source_name);

// parse_config of the file's contents, with the path as source_name. Throws InputError if the
// file is missing or cannot be read.
ModelConfig load_config_file(const std::string& path);

// The built-in default configuration (source_name built_in_config_name).
ModelConfig default_config();

// The text of scenarios/presets/default.toml as it was when the library was built, comments
// included: a starting point for writing a config.
std::string_view default_config_toml();

}  // namespace margin_stress
