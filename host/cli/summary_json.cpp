#include "host/cli/summary_json.hpp"

#include <cmath>

#include "host/cli/progress.hpp"
#include "host/io/atomic_output.hpp"
#include "host/model/version.hpp"

namespace margin_stress {

void add_summary_json_option(CLI::App* command, std::string& path) {
  command->add_option("--summary-json", path,
                      "also write the summary's figures as JSON (docs/results.md, 'Summary JSON'); '-' writes it to "
                      "stdout and the table to stderr");
}

std::FILE* table_stream(const std::string& summary_json_path) {
  return summary_json_path == summary_json_stdout ? stderr : stdout;
}

void check_summary_json_path(const std::string& path, bool overwrite) {
  if (!path.empty() && path != summary_json_stdout) check_output_path(path, overwrite);
}

nlohmann::ordered_json summary_json_header(const std::string& command) {
  nlohmann::ordered_json header;
  header["schema"] = "margin-stress summary";
  header["schema_version"] = summary_json_schema_version;
  header["command"] = command;
  header["program_version"] = std::string(program_version());
  header["git_commit"] = git_commit();
  header["written_utc"] = utc_now("%Y-%m-%dT%H:%M:%SZ");
  return header;
}

nlohmann::ordered_json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json distribution_json(const DistributionSummary& d) {
  nlohmann::ordered_json json;
  json["mean"] = number_or_null(d.mean);
  json["standard_error"] = number_or_null(d.standard_error);
  json["stddev"] = number_or_null(d.stddev);
  json["min"] = number_or_null(d.min);
  json["p50"] = number_or_null(d.p50);
  json["p90"] = number_or_null(d.p90);
  json["max"] = number_or_null(d.max);
  const auto tail = [&](const std::string& level, double var, const Interval& var_interval, double es,
                        const Interval& es_interval, std::int64_t beyond) {
    json["var_" + level] = number_or_null(var);
    json["var_" + level + "_lower"] = number_or_null(var_interval.lower);
    json["var_" + level + "_upper"] = number_or_null(var_interval.upper);
    json["es_" + level] = number_or_null(es);
    json["es_" + level + "_lower"] = number_or_null(es_interval.lower);
    json["es_" + level + "_upper"] = number_or_null(es_interval.upper);
    json["tail_" + level + "_scenarios"] = beyond;
  };
  tail("99", d.var_99, d.var_99_interval, d.es_99, d.es_99_interval, d.tail_99_scenarios);
  tail("999", d.var_999, d.var_999_interval, d.es_999, d.es_999_interval, d.tail_999_scenarios);
  return json;
}

void write_summary_json(const std::string& path, bool overwrite, const nlohmann::ordered_json& summary) {
  if (path.empty()) return;
  const std::string text = summary.dump(2) + "\n";
  if (path == summary_json_stdout) {
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
    return;
  }
  write_text_atomically(path, overwrite, text);
}

}  // namespace margin_stress
