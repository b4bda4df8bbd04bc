// `margin-stress compare`: several margin policies run on the same scenarios and the same book
// (common random numbers), their risk and cost side by side, and each one's paired differences
// against the first policy (docs/compare.md).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "host/cli/report_program.hpp"
#include "host/cli/run_overrides.hpp"
#include "host/model/config.hpp"

namespace margin_stress {

struct CompareOptions {
  std::vector<std::string> policy_paths;  // the first is the baseline
  std::vector<std::string> config_paths;  // the base: layers over the built-in default
  std::string portfolio_path;             // empty: generate the base config's synthetic book
  std::string out_path;                   // empty: no CSV report
  std::string summary_json_path;          // empty: none; "-": stdout (the table then goes to stderr)
  RunOverrides run;                       // -n, --steps, -s, -t
  std::string backend = "auto";
  int device = 0;
  bool quiet = false;
  bool force = false;
  ReportOptions report;  // --report: the committee report of the output
};

void setup_compare_command(CLI::App& app, CompareOptions& options);
// Returns the process exit code (1 if a ledger did not balance); throws InputError on bad input.
int compare_command(const CompareOptions& options);

// What else than [margin_policy] `policy` changes, for the report: "; also market margins,
// [liquidation]", naming each table in which a declared key differs from `base`; "" if none.
std::string other_changes(const ModelConfig& base, const ModelConfig& policy);

}  // namespace margin_stress
