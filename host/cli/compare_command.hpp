// `margin-stress compare`: several margin policies run on the same scenarios and the same book
// (common random numbers), their risk and cost side by side, and each one's paired differences
// against the first policy (docs/compare.md).
#pragma once

#include <CLI/CLI.hpp>

#include "host/cli/run_overrides.hpp"
#include <cstdint>
#include <string>
#include <vector>

#include "host/model/config.hpp"

namespace margin_stress {

struct CompareOptions {
  std::vector<std::string> policy_paths;  // the first is the baseline
  std::string config_path;                // empty: the built-in default
  std::string portfolio_path;             // empty: generate the base config's synthetic book
  std::string out_path;                   // empty: no CSV report
  RunOverrides run;  // -n, --steps, -s, -t
  std::string backend = "auto";
  int device = 0;
  bool quiet = false;
  bool force = false;
};

void setup_compare_command(CLI::App& app, CompareOptions& options);
// Returns the process exit code (1 if a ledger did not balance); throws InputError on bad input.
int compare_command(const CompareOptions& options);

// The configuration a policy file gives: its TOML layered over `base` (tables merge key by key,
// arrays, [[markets]] included, replace whole: docs/config.md), with the file's path as
// source_name. InputError on a missing or malformed file, an unknown key or a mistyped value
// (naming the file and line), and on any difference from `base` that require_common_scenarios
// refuses. The result is not range-checked: call validate_config.
ModelConfig load_policy_config(const ModelConfig& base, const std::string& policy_path);

// InputError, naming policy.source_name and the first differing field with both values, unless
// `policy` equals `base` in every field except the keys declared as a policy's
// (host/model/config_schema.cpp): [margin_policy], [liquidation], [insurance_fund] and the
// markets' margin settings (initial_margin_fraction, maintenance_margin_fraction,
// reference_volatility, margin_tiers, the open-interest caps and the size premium): everything
// else shapes the market, the scenarios or the book, which every policy must share.
void require_common_scenarios(const ModelConfig& base, const ModelConfig& policy);

// What else than [margin_policy] `policy` changes, for the report: "; also market margins,
// [liquidation]", naming each table in which a declared key differs from `base`; "" if none.
std::string other_changes(const ModelConfig& base, const ModelConfig& policy);

// Scenarios per engine call for commands that keep only per-scenario metrics (compare, optimize):
// paths (three doubles per market, regime and collateral per step) and series (six doubles per
// market, rounds, fund and regime per step) of about 256 MB, so that memory does not grow with the
// number of scenarios.
std::int64_t batch_scenarios(const ModelConfig& config);

}  // namespace margin_stress
