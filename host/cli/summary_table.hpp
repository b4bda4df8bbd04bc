// The summary of a run: printed for people (sizes, backend, timings, key risk figures and the path
// of the results file), and the same figures as JSON for --summary-json (docs/results.md,
// "Summary JSON").
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/analysis/summary.hpp"
#include "host/io/results_file.hpp"
#include "host/model/config.hpp"

namespace margin_stress {

struct RunTimings {
  double book_seconds = 0.0;
  double scenario_seconds = 0.0;
  double engine_seconds = 0.0;
  double write_seconds = 0.0;
  double total_seconds = 0.0;
};

// `run`'s summary JSON: the table's figures, every statistic of /summary (the same doubles) and
// the provenance that says what was run (`config_paths` as given, in layering order).
nlohmann::ordered_json run_summary_json(const ModelConfig& config, const std::vector<std::string>& config_paths,
                                        const RunProvenance& provenance, const RunSummary& summary,
                                        const RunTimings& timings, const std::string& results_path);

void print_summary_table(std::FILE* out, const ModelConfig& config, const RunProvenance& provenance,
                         const RunSummary& summary, const RunTimings& timings, const std::string& results_path);

// The drill-down of run --accounts-out: each captured scenario's loss and its top contributors to bad
// debt and to ADL, and where the accounts file is. `cpu_reference` names the CPU reference when it
// captured in place of the run's engine (the CUDA engine keeps per-account state on the device);
// empty when the run's engine captured.
void print_account_capture(std::FILE* out, const std::vector<CapturedScenario>& captured,
                           const std::string& accounts_path, const std::string& cpu_reference);

}  // namespace margin_stress
