// Reading the TOML model configuration (schema, units and ranges in docs/config.md).
//
// Config files are layers over the built-in default (scenarios/presets/default.toml, compiled into
// the library), applied left to right (docs/config.md, "Layering"): tables merge key by key;
// [[scenario.shocks]] are appended and [[scenario.replays]] merged by market; a [markets.NAME]
// table merges into the market of that name ([markets."*"] into every market the layer does not
// name); every other value, arrays of tables such as [[markets]] and [[regimes.states]] included,
// replaces the one below it. Every key is checked against the schema
// (host/model/config_schema.hpp; an unknown key is an error, to catch typos) and every value's
// type is checked; errors are InputError naming the layer's file, the key, the value and the line.
// Ranges and cross-field consistency are checked separately, by validate_config
// (scenarios/validate_config.hpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "host/model/config.hpp"

namespace margin_stress {

// source_name of the configuration built from the default alone.
inline constexpr std::string_view built_in_config_name = "built-in default";

// The name of the [markets.NAME] table that applies to every market its layer does not name.
inline constexpr std::string_view every_market_key = "*";

// `toml_text` layered on the built-in default. The result's source_name is `source_name` and its
// source_text the full effective configuration as TOML (config_to_toml), so that text alone
// reproduces the run. Throws InputError on malformed TOML, unknown keys and mistyped values.
ModelConfig parse_config(const std::string& toml_text, const std::string& source_name);

// `toml_text` layered on `base` (an effective configuration) instead of on the built-in default,
// by the same rule; used to apply a policy file to a run's configuration.
ModelConfig parse_config_over(const ModelConfig& base, const std::string& toml_text, const std::string& source_name);

// The files at `paths` layered left to right over the built-in default (the default alone when
// `paths` is empty). The result's source_name is the paths joined by " + ". Throws InputError if a
// file is missing or cannot be read, and on any error parse_config reports, naming the layer; a
// [markets.NAME] or a shock's or replay's market that the layers below do not have is an error
// naming the market, the layer and the markets there are.
ModelConfig load_config_files(const std::vector<std::string>& paths);

// load_config_files({path}).
ModelConfig load_config_file(const std::string& path);

// The built-in default configuration (source_name built_in_config_name).
ModelConfig default_config();

// The text of scenarios/presets/default.toml as it was when the library was built, comments
// included: a starting point for writing a config.
std::string_view default_config_toml();

}  // namespace margin_stress
