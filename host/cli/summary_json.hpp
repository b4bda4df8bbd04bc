// --summary-json FILE: a command's figures as JSON (schema in docs/results.md, "Summary JSON"),
// the same figures its printed table shows, for scripts and notebooks.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "host/model/results.hpp"

namespace margin_stress {

// Bumped whenever a field is removed or changes meaning; new fields keep the version.
inline constexpr int summary_json_schema_version = 1;
// Where --summary-json writes to standard output.
inline constexpr const char* summary_json_stdout = "-";

// --summary-json FILE on `command`.
void add_summary_json_option(CLI::App* command, std::string& path);

// The table's stream: stderr when the JSON goes to stdout ("-"), so that stdout is JSON alone.
std::FILE* table_stream(const std::string& summary_json_path);

// Checks before a run that the JSON file can be written (check_output_path); nothing for "" or "-".
void check_summary_json_path(const std::string& path, bool overwrite);

// The fields every summary starts with: schema, schema_version, command, program_version,
// git_commit.
nlohmann::ordered_json summary_json_header(const std::string& command);

// Every statistic of a DistributionSummary under its /summary name (mean, standard_error, ...,
// var_99, var_99_lower, var_99_upper, ..., tail_999_scenarios); an end no sample can bound is null.
nlohmann::ordered_json distribution_json(const DistributionSummary& distribution);

// A number, null where it is not finite (JSON has no infinity or NaN: an unbounded interval end,
// a standard error of one scenario).
nlohmann::ordered_json number_or_null(double value);

// Writes `summary` (indented, ending in a newline) to `path`, atomically (host/io/atomic_output),
// or to stdout for "-"; nothing for "".
void write_summary_json(const std::string& path, bool overwrite, const nlohmann::ordered_json& summary);

}  // namespace margin_stress
