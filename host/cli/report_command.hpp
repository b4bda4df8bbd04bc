// `margin-stress report RESULTS -o REPORT.html`: the committee report of a results file, or of the
// CSV of compare --out or optimize --out (docs/report.md; the drawing is host/cli/report_program).
#pragma once

#include <CLI/CLI.hpp>

#include "host/cli/report_program.hpp"

namespace margin_stress {

void setup_report_command(CLI::App& app, ReportOptions& options);
// Returns the process exit code (draw_report's).
int report_command(const ReportOptions& options);

}  // namespace margin_stress
