// The risk committee's report (HTML or PDF) of a results file or of the CSV of `compare` or
// `optimize`, for `margin-stress report` and the --report of run, compare and optimize. The report
// itself is host/report/margin_stress_report.py, a small matplotlib program over the documented
// files (docs/report.md); this layer finds a Python that can run it, runs it, and maps its outcome
// to the CLI's exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace margin_stress {

struct ReportOptions {
  std::string input_path;  // a results file, or the CSV of compare --out or optimize --out
  // The --summary-json of the compare or optimize that wrote input_path: the run's identity, which
  // a CSV does not carry. Empty: none (the report then says the identity is not known).
  std::string summary_path;
  std::string out_path;
  std::string format;  // "html", "pdf", or empty: from out_path's extension (.pdf), else html
  bool force = false;
};

// Draws the report of options.input_path into options.out_path. Returns the process exit code: 0 written; 2 the output
// exists; 3 the input is not a complete results file or compare/optimize CSV of this version; 1 the report cannot be
// drawn here (no Python, or a package missing: the message names it).
int draw_report(const ReportOptions& options);

// Before a long run whose report was asked for: throws std::runtime_error, naming what to
// install, if the report could not be drawn here, so that the run does not end without it.
void check_report_tools();

// Adds --report to a command whose output the report reads; options.out_path receives it.
CLI::Option* add_report_option(CLI::App& command, ReportOptions& options);

// For --report: before the command computes anything, checks that `options.out_path` may be
// written (InputError) and that the report can be drawn here (check_report_tools); nothing when no
// report was asked for.
void check_report_request(const ReportOptions& options, bool force);
// For --report, once the command has written `input`: draws the report; the exit code, with a
// message saying that `input` is complete when the report failed. compare and optimize pass their
// summary JSON, the identity their CSV lacks: the report reads it from `summary_json_path` when
// --summary-json wrote it to a file, else from a temporary file removed afterwards.
int draw_requested_report(const ReportOptions& options, const std::string& input, bool force,
                          const std::string& summary_json_path = "", const nlohmann::ordered_json* summary = nullptr);

}  // namespace margin_stress
