// A policy file (docs/compare.md): a TOML layered over a base configuration that may change only
// what a margin policy is, so that every policy compared or optimised runs on the base's scenarios
// and book (common random numbers).
#pragma once

#include <string>

#include "host/model/config.hpp"

namespace margin_stress {

// The configuration a policy file gives: its TOML layered over `base` by the rules of
// docs/config.md, "Layering" ([markets.NAME] into the market of that name, [markets."*"] into the
// others), with the file's path as source_name. InputError on a missing or malformed file, an
// unknown key or a mistyped value (naming the file and line), a [markets.NAME] the base lacks, a
// policy with [markets.NAME] tables that neither names every market of the base nor has
// [markets."*"] (docs/compare.md, "Policy files"), and any difference from `base` that
// require_common_scenarios refuses. The result is not range-checked: call validate_config.
ModelConfig load_policy_config(const ModelConfig& base, const std::string& policy_path);

// InputError, naming policy.source_name and the first differing field with both values, unless
// `policy` equals `base` in every field except the keys declared as a policy's
// (host/model/config_schema.cpp): [margin_policy], [liquidation], [insurance_fund] and the
// markets' margin settings (initial_margin_fraction, maintenance_margin_fraction,
// reference_volatility, margin_tiers, the open-interest caps and the size premium): everything
// else shapes the market, the scenarios or the book, which every policy must share.
void require_common_scenarios(const ModelConfig& base, const ModelConfig& policy);

}  // namespace margin_stress
