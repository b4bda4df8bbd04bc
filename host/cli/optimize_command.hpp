// `margin-stress optimize`: the least margin that meets a tail-loss target, for a policy family
// (a policy file and a knob), on common random numbers; the frontier it traced (docs/compare.md,
// "The least-margin frontier").
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/cli/report_program.hpp"
#include "host/cli/run_overrides.hpp"

namespace margin_stress {

struct OptimizeOptions {
  std::string policy_path;
  std::string knob = "margin_multiplier";
  double low = 0.5;
  double high = 3.0;
  int grid_points = 9;
  double tolerance = 0.02;
  double max_exhaustion_probability = 0.001;
  std::optional<double> max_es999_bad_debt_usd;
  std::optional<double> max_var99_bad_debt_usd;
  std::optional<double> max_es999_platform_loss_usd;
  std::optional<double> max_var99_platform_loss_usd;
  std::vector<std::string> config_paths;  // layers over the built-in default; empty: the default
  std::string portfolio_path;
  std::string out_path;
  std::string summary_json_path;  // empty: none; "-": stdout (the table then goes to stderr)
  RunOverrides run;               // -n, --steps, -s, -t
  std::string backend = "auto";
  int device = 0;
  bool quiet = false;
  bool force = false;
  ReportOptions report;  // --report: the committee report of the output
};

// Exit code when no knob value in [low, high] meets the target.
inline constexpr int optimize_target_missed_exit_code = 5;

void setup_optimize_command(CLI::App& app, OptimizeOptions& options);
int optimize_command(const OptimizeOptions& options);

}  // namespace margin_stress
