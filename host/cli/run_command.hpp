// `margin-stress run`: one stress test end to end (config, book, scenarios, engine, summary,
// results file).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "host/cli/rank_world.hpp"
#include "host/cli/report_program.hpp"
#include "host/cli/run_overrides.hpp"

namespace margin_stress {

struct RunOptions {
  std::vector<std::string> config_paths;  // layers over the built-in default; empty: the default
  std::string portfolio_path;             // empty: generate the config's synthetic book
  std::string out_path;                   // empty: margin-stress-results-<UTC time>.h5 in the working directory
  std::string summary_json_path;          // empty: none; "-": stdout (the table then goes to stderr)
  RunOverrides run;                       // -n, --steps, -s, -t
  std::string backend = "auto";
  int device = 0;
  bool device_chosen = false;  // --device given (otherwise ranks pick theirs, docs/cluster.md)
  bool quiet = false;
  bool force = false;
  std::string scenario_range;        // --scenario: "I" or "I-J"; empty: every scenario
  bool resume = false;               // continue from <out>.checkpoint
  std::int64_t batch_scenarios = 0;  // 0: default_batch_scenarios
  ReportOptions report;              // --report: the committee report of the output
  std::string accounts_out;          // --accounts-out: per-account CSV of the captured scenarios; empty: none
  std::int64_t accounts_worst = 0;   // --accounts-worst K: capture the K worst by platform loss; 0: all run
};

void setup_run_command(CLI::App& app, RunOptions& options);
// Returns the process exit code; throws InputError on bad input. Over several MPI ranks every
// rank calls it (docs/cluster.md); only rank 0 prints and writes.
int run_command(const RunOptions& options, const std::string& command_line, const RankPlace& place = RankPlace{});

}  // namespace margin_stress
