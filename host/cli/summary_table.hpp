// The human-readable summary of a run printed on stdout: sizes, backend, timings, key risk figures
// and the path of the results file.
#pragma once

#include <cstdio>
#include <string>

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

void print_summary_table(std::FILE* out, const ModelConfig& config, const RunProvenance& provenance,
                         const RunSummary& summary, const RunTimings& timings, const std::string& results_path);

}  // namespace margin_stress
