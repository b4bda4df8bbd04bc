// `margin-stress reverse`: the reverse stress test. The least severity of a committee shock that
// breaks the platform (exhausts the insurance fund with a given probability, or pushes a loss
// statistic above a threshold), by a coarse grid and bisection on common random numbers, with the
// outcome's monotonicity in the severity checked over the grid (docs/reverse.md).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "host/cli/run_overrides.hpp"

namespace margin_stress {

struct ReverseOptions {
  std::string severity = "crash_depth";
  std::string shock_name;  // empty: the base's only shock of the severity's kind
  double low = 0.05;
  double high = 0.9;
  int grid_points = 9;
  double tolerance = 0.01;
  std::string breaking;                   // --break: fund-exhausted, bad-debt, platform-loss, adl
  std::optional<double> probability;      // fund-exhausted: breaks at this probability or more
  std::optional<double> above_usd;        // the others: breaks when the statistic is above this
  std::optional<std::string> statistic;   // the others: mean (default), var_99, es_999
  std::vector<std::string> config_paths;  // layers over the built-in default; empty: the default
  std::string portfolio_path;
  std::string out_path;
  std::string summary_json_path;  // empty: none; "-": stdout (the table then goes to stderr)
  RunOverrides run;               // -n, --steps, -s, -t
  std::string backend = "auto";
  int device = 0;
  bool quiet = false;
  bool force = false;
};

// Exit code when no severity in [low, high] breaks the platform (as optimize's missed target).
inline constexpr int reverse_not_broken_exit_code = 5;

void setup_reverse_command(CLI::App& app, ReverseOptions& options);
int reverse_command(const ReverseOptions& options);

}  // namespace margin_stress
