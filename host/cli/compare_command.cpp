#include "host/cli/compare_command.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <utility>

#include "host/analysis/comparison.hpp"
#include "host/analysis/intervals.hpp"
#include "host/cli/common_scenarios.hpp"
#include "host/cli/config_option.hpp"
#include "host/cli/policy_description.hpp"
#include "host/cli/progress.hpp"
#include "host/cli/summary_json.hpp"
#include "host/engine/engine.hpp"
#include "host/io/atomic_output.hpp"
#include "host/io/config_file.hpp"
#include "host/io/csv.hpp"
#include "host/io/policy_file.hpp"
#include "host/model/config_schema.hpp"
#include "host/model/input_error.hpp"
#include "host/model/text_format.hpp"
#include "scenarios/scenario_builder.hpp"
#include "scenarios/validate_config.hpp"

namespace margin_stress {
namespace {

// An empty CSV field and "n/a" in the table.
constexpr double not_applicable = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------------------------------------
// Formatting

// Dollars with thousands separators from 1,000 on, cents below; `sign` writes + before a positive value.
std::string usd_text(double value, bool sign = false) {
  if (!std::isfinite(value)) return "n/a";
  const std::string prefix = value < 0.0 ? "-" : (sign && value > 0.0 ? "+" : "");
  if (std::fabs(value) < 1000.0) return prefix + printf_string("%.2f", std::fabs(value));
  const std::string digits = printf_string("%.0f", std::fabs(value));
  std::string grouped;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return prefix + grouped;
}

enum class Unit { usd, fraction, probability, count, leverage };

std::string value_text(Unit unit, double value, bool sign = false) {
  if (!std::isfinite(value)) return "n/a";
  switch (unit) {
    case Unit::usd:
      return usd_text(value, sign);
    case Unit::fraction:
      return printf_string(sign ? "%+.2f %%" : "%.2f %%", 100.0 * value);
    case Unit::probability:
      return printf_string(sign ? "%+.4f" : "%.4f", value);
    case Unit::count:
      return printf_string(sign ? "%+.2f" : "%.2f", value);
    case Unit::leverage:
      return printf_string(sign ? "%+.2fx" : "%.2fx", value);
  }
  return "?";
}

std::string t_text(double t) { return std::isfinite(t) ? printf_string("%.2f", t) : "n/a"; }

struct MetricLabel {
  const char* label;
  Unit unit;
};

// The table's name and unit of every compared metric (host/analysis/comparison.hpp).
MetricLabel label_of(const std::string& metric) {
  static const std::map<std::string, MetricLabel> labels = {
      {"platform_loss_usd", {"platform loss, USD", Unit::usd}},
      {"bad_debt_usd", {"bad debt written off, USD", Unit::usd}},
      {"insurance_fund_draw_usd", {"insurance fund draw, USD", Unit::usd}},
      {"adl_haircut_usd", {"ADL haircuts on traders, USD", Unit::usd}},
      {"backstop_vault_loss_usd", {"backstop vault loss, USD", Unit::usd}},
      {"liquidity_provider_loss_usd", {"outside LPs' loss (-: gain), USD", Unit::usd}},
      {"liquidated_notional_usd", {"liquidated notional, USD", Unit::usd}},
      {"adl_notional_usd", {"ADL volume, USD", Unit::usd}},
      {"deleveraged_notional_usd", {"deleveraging by traders answering margin calls, USD", Unit::usd}},
      {"margin_calls", {"margin calls (accounts)", Unit::count}},
      {"fund_exhausted", {"insurance fund exhausted (probability)", Unit::probability}},
      {"cascade_rounds_total", {"cascade rounds per scenario", Unit::count}},
      {"cascade_rounds_max", {"most cascade rounds in one step", Unit::count}},
      {"average_required_margin_usd", {"required margin, mean over steps, USD", Unit::usd}},
      {"peak_required_margin_usd", {"required margin, peak over steps, USD", Unit::usd}},
      {"average_allowed_leverage", {"allowed leverage, mean over steps", Unit::leverage}},
      {"margin_increase_1h_usd", {"largest rise within 1 h, USD", Unit::usd}},
      {"margin_increase_1h_fraction", {"largest rise within 1 h", Unit::fraction}},
      {"margin_increase_24h_usd", {"largest rise within 24 h, USD", Unit::usd}},
      {"margin_increase_24h_fraction", {"largest rise within 24 h", Unit::fraction}},
  };
  return labels.at(metric);
}

std::string tail_label(const std::string& statistic) {
  if (statistic == "var_99") return "VaR 99 %";
  if (statistic == "es_99") return "ES 99 %";
  if (statistic == "var_999") return "VaR 99.9 %";
  return "ES 99.9 %";
}

// ---------------------------------------------------------------------------------------------
// The comparison

struct ComparedPolicy {
  std::string name;  // the file name's stem, made unique
  std::string path;
  ModelConfig config;
  PolicyScenarioMetrics metrics;
  std::int64_t round_cap_hits = 0;
  double max_abs_conservation_residual_usd = 0.0;
  std::vector<DistributionSummary> summary;  // comparison_metrics() order
  BaselineComparison against_baseline;       // empty for the baseline
};

std::string unique_name(const std::string& path, const std::vector<ComparedPolicy>& earlier) {
  const std::string stem = std::filesystem::path(path).stem().string();
  std::string name = stem;
  for (int copy = 2;
       std::any_of(earlier.begin(), earlier.end(), [&](const ComparedPolicy& p) { return p.name == name; }); ++copy) {
    name = stem + "#" + std::to_string(copy);
  }
  return name;
}

const DistributionSummary& summary_of(const ComparedPolicy& policy, const std::string& metric) {
  for (const DistributionSummary& summary : policy.summary) {
    if (summary.metric == metric) return summary;
  }
  throw std::logic_error("no summary of " + metric);
}

struct TableRow {
  std::string label;
  std::vector<std::string> cells;  // empty: a section heading
};

void print_rows(std::FILE* out, const std::vector<std::string>& columns, const std::vector<TableRow>& rows) {
  std::size_t label_width = 0;
  for (const TableRow& row : rows) {
    if (!row.cells.empty()) label_width = std::max(label_width, row.label.size());
  }
  std::vector<std::size_t> widths;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    std::size_t width = columns[c].size();
    for (const TableRow& row : rows) {
      if (c < row.cells.size()) width = std::max(width, row.cells[c].size());
    }
    widths.push_back(width + 2);
  }
  std::fprintf(out, "  %-*s", static_cast<int>(label_width), "");
  for (std::size_t c = 0; c < columns.size(); ++c)
    std::fprintf(out, "%*s", static_cast<int>(widths[c]), columns[c].c_str());
  std::fprintf(out, "\n");
  for (const TableRow& row : rows) {
    if (row.cells.empty()) {
      std::fprintf(out, "  %s\n", row.label.c_str());
      continue;
    }
    std::fprintf(out, "  %-*s", static_cast<int>(label_width), row.label.c_str());
    for (std::size_t c = 0; c < row.cells.size(); ++c) {
      std::fprintf(out, "%*s", static_cast<int>(widths[c]), row.cells[c].c_str());
    }
    std::fprintf(out, "\n");
  }
}

struct ReportContext {
  const ModelConfig& base;
  std::string book_source;
  std::int64_t accounts = 0;
  std::int64_t positions = 0;
  std::string backend;
  double wall_seconds = 0.0;
};

void print_report(std::FILE* out, const ReportContext& context, const std::vector<ComparedPolicy>& policies) {
  const ModelConfig& base = context.base;
  const std::int64_t short_steps = window_steps(short_window_seconds, base.run.step_seconds);
  const std::int64_t long_steps = window_steps(long_window_seconds, base.run.step_seconds);
  std::fprintf(
      out, "margin policy comparison: %zu policies on the same %lld scenarios x %lld steps of %g s and the same book\n",
      policies.size(), static_cast<long long>(base.run.scenarios), static_cast<long long>(base.run.steps),
      base.run.step_seconds);
  std::fprintf(out, "  base config  %s (seed %llu)\n", base.source_name.c_str(),
               static_cast<unsigned long long>(base.run.seed));
  std::fprintf(out, "  scenarios    %s\n", describe_scenarios(base).c_str());
  std::fprintf(out, "  book         %lld accounts, %lld positions: %s\n", static_cast<long long>(context.accounts),
               static_cast<long long>(context.positions), context.book_source.c_str());
  std::fprintf(out, "  engine       %s; wall time %.1f s\n", context.backend.c_str(), context.wall_seconds);
  for (std::size_t p = 0; p < policies.size(); ++p) {
    std::fprintf(out, "  policy %zu     %s: %s: %s%s%s\n", p + 1, policies[p].name.c_str(), policies[p].path.c_str(),
                 describe_policy(policies[p].config.margin_policy).c_str(),
                 other_changes(base, policies[p].config).c_str(), p == 0 ? " (baseline)" : "");
  }

  std::vector<std::string> columns;
  for (const ComparedPolicy& policy : policies) columns.push_back(policy.name);
  std::vector<TableRow> rows;
  const auto section = [&](const std::string& label) { rows.push_back({label, {}}); };
  // One row of a statistic of a compared metric in every policy's column.
  const auto row = [&](const std::string& label, const std::string& metric, double DistributionSummary::*statistic,
                       Unit unit) {
    TableRow r{"  " + label, {}};
    for (const ComparedPolicy& policy : policies)
      r.cells.push_back(value_text(unit, summary_of(policy, metric).*statistic));
    rows.push_back(std::move(r));
  };
  const auto mean_row = [&](const std::string& metric) {
    const MetricLabel label = label_of(metric);
    row(label.label, metric, &DistributionSummary::mean, label.unit);
  };
  // The mean and its standard error, "mean ± s.e." (docs/model.md, "Uncertainty of the figures").
  const auto mean_error_row = [&](const std::string& metric, const std::string& indent = "") {
    const MetricLabel label = label_of(metric);
    TableRow r{"  " + indent + label.label, {}};
    for (const ComparedPolicy& policy : policies) {
      const DistributionSummary& summary = summary_of(policy, metric);
      r.cells.push_back(value_text(label.unit, summary.mean) + " ± " + value_text(label.unit, summary.standard_error));
    }
    rows.push_back(std::move(r));
  };
  // A tail figure with its 95 % interval, starred when it rests on fewer than 10 scenarios.
  const auto tail_row = [&](const std::string& label, const std::string& metric, double DistributionSummary::*value,
                            Interval DistributionSummary::*bounds, std::int64_t DistributionSummary::*beyond) {
    TableRow r{"  " + label, {}};
    for (const ComparedPolicy& policy : policies) {
      const DistributionSummary& summary = summary_of(policy, metric);
      const auto end = [](double x) {
        return std::isinf(x) ? std::string(x > 0 ? "inf" : "-inf") : usd_text(x, false);
      };
      r.cells.push_back(usd_text(summary.*value, false) + (summary.*beyond < thin_tail_scenarios ? "*" : "") + " [" +
                        end((summary.*bounds).lower) + ", " + end((summary.*bounds).upper) + "]");
    }
    rows.push_back(std::move(r));
  };
  const auto tail_rows = [&](const std::string& name, const std::string& metric) {
    using D = DistributionSummary;
    tail_row(name + " VaR 99 %, USD", metric, &D::var_99, &D::var_99_interval, &D::tail_99_scenarios);
    tail_row(name + " ES 99 %, USD", metric, &D::es_99, &D::es_99_interval, &D::tail_99_scenarios);
    tail_row(name + " VaR 99.9 %, USD", metric, &D::var_999, &D::var_999_interval, &D::tail_999_scenarios);
    tail_row(name + " ES 99.9 %, USD", metric, &D::es_999, &D::es_999_interval, &D::tail_999_scenarios);
  };
  const auto worst_row = [&](const std::string& metric) {
    const MetricLabel label = label_of(metric);
    row(std::string(label.label) + ", worst scenario", metric, &DistributionSummary::max, label.unit);
  };
  const std::string short_label = " (" + std::to_string(short_steps) + " steps)";
  const std::string long_label = " (" + std::to_string(long_steps) + " steps)";

  section("capital efficiency: initial margin required on the open book (mean over scenarios)");
  mean_row("average_required_margin_usd");
  mean_row("peak_required_margin_usd");
  worst_row("peak_required_margin_usd");
  mean_row("average_allowed_leverage");
  section("who bore the losses (mean ± standard error over scenarios)");
  mean_error_row("platform_loss_usd");
  for (const char* part : {"bad_debt_usd", "insurance_fund_draw_usd", "adl_haircut_usd", "backstop_vault_loss_usd"}) {
    mean_error_row(part, "  ");
  }
  mean_error_row("liquidity_provider_loss_usd");
  section("tail losses [95 % interval; inf: too few scenarios to bound it; *: fewer than 10 beyond the VaR]");
  tail_rows("platform loss", "platform_loss_usd");
  tail_rows("bad debt", "bad_debt_usd");
  TableRow exhausted{"  insurance fund exhausted (probability) [95 % interval]", {}};
  for (const ComparedPolicy& policy : policies) {
    const ProbabilityInterval interval = flagged_share_interval(policy.metrics.fund_exhausted);
    exhausted.cells.push_back(printf_string("%.4f", summary_of(policy, "fund_exhausted").mean) +
                              printf_string(" [%.4f", interval.lower) + printf_string(", %.4f]", interval.upper));
  }
  rows.push_back(std::move(exhausted));
  section("liquidations (mean over scenarios unless marked)");
  mean_row("liquidated_notional_usd");
  mean_row("cascade_rounds_total");
  worst_row("cascade_rounds_max");
  mean_row("adl_notional_usd");
  section("procyclical selling: traders answering margin calls (mean over scenarios; 0 unless [trader_response])");
  mean_row("margin_calls");
  mean_row("deleveraged_notional_usd");
  section("procyclicality: largest rise of the required margin (mean over scenarios unless marked)");
  row("within 1 h" + short_label + ", USD", "margin_increase_1h_usd", &DistributionSummary::mean, Unit::usd);
  row("within 1 h" + short_label, "margin_increase_1h_fraction", &DistributionSummary::mean, Unit::fraction);
  row("within 1 h" + short_label + ", worst scenario", "margin_increase_1h_fraction", &DistributionSummary::max,
      Unit::fraction);
  row("within 24 h" + long_label + ", USD", "margin_increase_24h_usd", &DistributionSummary::mean, Unit::usd);
  row("within 24 h" + long_label, "margin_increase_24h_fraction", &DistributionSummary::mean, Unit::fraction);
  row("within 24 h" + long_label + ", worst scenario", "margin_increase_24h_fraction", &DistributionSummary::max,
      Unit::fraction);
  section("checks");
  TableRow cap_hits{"  round-cap hits (steps, all scenarios)", {}};
  TableRow residual{"  largest ledger residual, USD", {}};
  for (const ComparedPolicy& policy : policies) {
    cap_hits.cells.push_back(std::to_string(policy.round_cap_hits));
    residual.cells.push_back(printf_string("%.2f", policy.max_abs_conservation_residual_usd));
  }
  rows.push_back(std::move(cap_hits));
  rows.push_back(std::move(residual));
  std::fprintf(out, "\n");
  print_rows(out, columns, rows);

  for (std::size_t p = 1; p < policies.size(); ++p) {
    const BaselineComparison& against = policies[p].against_baseline;
    std::fprintf(out, "\n%s - %s, paired over the %lld scenarios: mean difference, standard error, t\n",
                 policies[p].name.c_str(), policies[0].name.c_str(), static_cast<long long>(base.run.scenarios));
    std::vector<TableRow> differences;
    for (const PairedDifference& d : against.means) {
      const MetricLabel label = label_of(d.metric);
      const bool windowed = d.metric.find("increase") != std::string::npos;
      const std::string window = !windowed ? "" : d.metric.find("_1h_") != std::string::npos ? short_label : long_label;
      differences.push_back({"  " + std::string(label.label) + window,
                             {value_text(label.unit, d.mean_difference, true), value_text(label.unit, d.standard_error),
                              t_text(d.t_statistic), "paired"}});
    }
    const std::pair<const char*, const std::vector<TailDifference>*> tails[] = {
        {"platform loss ", &against.platform_loss_tail}, {"bad debt ", &against.bad_debt_tail}};
    for (const auto& [name, tail_differences] : tails) {
      for (const TailDifference& tail : *tail_differences) {
        const double t =
            tail.bootstrap_standard_error > 0.0 ? tail.difference / tail.bootstrap_standard_error : not_applicable;
        differences.push_back(
            {"  " + std::string(name) + tail_label(tail.statistic) + ", USD",
             {usd_text(tail.difference, true), usd_text(tail.bootstrap_standard_error), t_text(t), "bootstrap"}});
      }
    }
    print_rows(out, {"difference", "std error", "t", "method"}, differences);
  }
  std::fprintf(
      out,
      "\nstandard errors: paired, sd(d)/sqrt(n) of the per-scenario differences d; tail statistics: sd of %lld "
      "paired bootstrap resamples (fixed seed)\n",
      static_cast<long long>(bootstrap_replicates));
}

std::string report_csv(const ModelConfig& base, const std::vector<ComparedPolicy>& policies) {
  std::string csv =
      "policy,policy_file,scenarios,metric,statistic,value,difference,standard_error,t_statistic,standard_error_"
      "method,value_standard_error,value_lower,value_upper\n";
  const std::string scenarios = std::to_string(base.run.scenarios);
  for (std::size_t p = 0; p < policies.size(); ++p) {
    const ComparedPolicy& policy = policies[p];
    const std::string prefix = csv_field(policy.name) + "," + csv_field(policy.path) + "," + scenarios + ",";
    // The value's own Monte Carlo error: the standard error of a mean, or a 95 % interval.
    struct Uncertainty {
      double standard_error = not_applicable;
      Interval interval{not_applicable, not_applicable};
    };
    const auto line = [&](const std::string& metric, const std::string& statistic, double value, double difference,
                          double standard_error, double t, const std::string& method, const Uncertainty& own) {
      csv += prefix + metric + "," + statistic + "," + csv_number(value) + "," + csv_number(difference) + "," +
             csv_number(standard_error) + "," + csv_number(t) + "," + method + "," + csv_number(own.standard_error) +
             "," + csv_number(own.interval.lower) + "," + csv_number(own.interval.upper) + "\n";
    };
    const bool baseline = p == 0;
    for (std::size_t i = 0; i < comparison_metrics().size(); ++i) {
      const DistributionSummary& summary = policy.summary[i];
      Uncertainty own;
      own.standard_error = summary.standard_error;
      if (summary.metric == "fund_exhausted") {
        const ProbabilityInterval wilson = flagged_share_interval(policy.metrics.fund_exhausted);
        own.interval = {wilson.lower, wilson.upper};
      }
      if (baseline) {
        line(summary.metric, "mean", summary.mean, not_applicable, not_applicable, not_applicable, "", own);
      } else {
        const PairedDifference& d = policy.against_baseline.means[i];
        line(summary.metric, "mean", summary.mean, d.mean_difference, d.standard_error, d.t_statistic, "paired", own);
      }
      const double max_difference = baseline ? not_applicable : summary.max - policies[0].summary[i].max;
      line(summary.metric, "max", summary.max, max_difference, not_applicable, not_applicable, "", {});
    }
    using D = DistributionSummary;
    struct TailColumn {
      const char* name;
      double D::*value;
      Interval D::*interval;
    };
    constexpr TailColumn tail_columns[] = {{"var_99", &D::var_99, &D::var_99_interval},
                                           {"es_99", &D::es_99, &D::es_99_interval},
                                           {"var_999", &D::var_999, &D::var_999_interval},
                                           {"es_999", &D::es_999, &D::es_999_interval}};
    for (const char* metric : {"platform_loss_usd", "bad_debt_usd"}) {
      const DistributionSummary& summary = summary_of(policy, metric);
      const std::vector<TailDifference>& differences = std::string(metric) == "bad_debt_usd"
                                                           ? policy.against_baseline.bad_debt_tail
                                                           : policy.against_baseline.platform_loss_tail;
      for (std::size_t k = 0; k < std::size(tail_columns); ++k) {
        Uncertainty own;
        own.interval = summary.*tail_columns[k].interval;
        const double value = summary.*tail_columns[k].value;
        if (baseline) {
          line(metric, tail_columns[k].name, value, not_applicable, not_applicable, not_applicable, "", own);
        } else {
          const TailDifference& tail = differences[k];
          const double t =
              tail.bootstrap_standard_error > 0.0 ? tail.difference / tail.bootstrap_standard_error : not_applicable;
          line(metric, tail_columns[k].name, value, tail.difference, tail.bootstrap_standard_error, t,
               "paired_bootstrap", own);
        }
      }
    }
    line("round_cap_hits", "sum", static_cast<double>(policy.round_cap_hits), not_applicable, not_applicable,
         not_applicable, "", {});
    line("conservation_residual_usd", "max_abs", policy.max_abs_conservation_residual_usd, not_applicable,
         not_applicable, not_applicable, "", {});
  }
  return csv;
}

// The report as JSON (docs/results.md, "Summary JSON"): per policy every statistic of every compared
// metric, and against the baseline the paired differences and the tail differences.
nlohmann::ordered_json report_json(const ReportContext& context, const std::vector<std::string>& config_paths,
                                   const std::vector<ComparedPolicy>& policies) {
  const ModelConfig& base = context.base;
  nlohmann::ordered_json json = summary_json_header("compare");
  json["config_source"] = base.source_name;
  json["config_layers"] = config_paths;
  json["backend"] = context.backend;
  json["seed"] = base.run.seed;
  json["scenarios"] = base.run.scenarios;
  json["steps"] = base.run.steps;
  json["step_seconds"] = base.run.step_seconds;
  json["scenario_source"] = describe_scenarios(base);
  json["book"] = {{"accounts", context.accounts}, {"positions", context.positions}, {"source", context.book_source}};
  json["window_steps"] = {{"short", window_steps(short_window_seconds, base.run.step_seconds)},
                          {"long", window_steps(long_window_seconds, base.run.step_seconds)}};
  json["wall_seconds"] = context.wall_seconds;
  nlohmann::ordered_json compared = nlohmann::ordered_json::array();
  for (std::size_t p = 0; p < policies.size(); ++p) {
    const ComparedPolicy& policy = policies[p];
    nlohmann::ordered_json entry;
    entry["name"] = policy.name;
    entry["file"] = policy.path;
    entry["baseline"] = p == 0;
    entry["description"] = describe_policy(policy.config.margin_policy) + other_changes(base, policy.config);
    nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
    for (const DistributionSummary& summary : policy.summary) metrics[summary.metric] = distribution_json(summary);
    entry["metrics"] = metrics;
    const ProbabilityInterval wilson = flagged_share_interval(policy.metrics.fund_exhausted);
    entry["fund_exhaustion_probability_lower"] = wilson.lower;
    entry["fund_exhaustion_probability_upper"] = wilson.upper;
    entry["round_cap_hits"] = policy.round_cap_hits;
    entry["max_abs_conservation_residual_usd"] = policy.max_abs_conservation_residual_usd;
    nlohmann::ordered_json against = nullptr;
    if (p > 0) {
      against = nlohmann::ordered_json::object();
      for (std::size_t i = 0; i < policy.against_baseline.means.size(); ++i) {
        const PairedDifference& d = policy.against_baseline.means[i];
        against[d.metric] = {{"mean_difference", number_or_null(d.mean_difference)},
                             {"standard_error", number_or_null(d.standard_error)},
                             {"t_statistic", number_or_null(d.t_statistic)},
                             {"max_difference", policy.summary[i].max - policies[0].summary[i].max}};
      }
      const auto tails = [&](const std::string& metric, const std::vector<TailDifference>& differences) {
        for (const TailDifference& tail : differences) {
          const double t =
              tail.bootstrap_standard_error > 0.0 ? tail.difference / tail.bootstrap_standard_error : std::nan("");
          against[metric][tail.statistic + "_difference"] = {
              {"difference", number_or_null(tail.difference)},
              {"standard_error", number_or_null(tail.bootstrap_standard_error)},
              {"t_statistic", number_or_null(t)}};
        }
      };
      tails("platform_loss_usd", policy.against_baseline.platform_loss_tail);
      tails("bad_debt_usd", policy.against_baseline.bad_debt_tail);
    }
    entry["against_baseline"] = against;
    compared.push_back(entry);
  }
  json["policies"] = compared;
  return json;
}

}  // namespace

bool table_differs(const ConfigTable& table, const ModelConfig& a, const ModelConfig& b) {
  if (table.size(a) != table.size(b)) return true;
  for (std::size_t element = 0; element < table.size(a); ++element) {
    for (const ConfigKey& key : table.keys) {
      if (key.get(a, element) != key.get(b, element)) return true;
    }
  }
  return false;
}

std::string other_changes(const ModelConfig& base, const ModelConfig& policy) {
  std::string text;
  for (const ConfigTable& table : config_tables()) {
    if (table.path == "margin_policy" || !table_differs(table, base, policy)) continue;
    // A policy may change only the markets' margin settings (require_common_scenarios).
    const std::string item = table.path == "markets" ? "market margins"
                             : table.array           ? "[[" + std::string(table.path) + "]]"
                                                     : "[" + std::string(table.path) + "]";
    text += (text.empty() ? "; also " : ", ") + item;
  }
  return text;
}

void setup_compare_command(CLI::App& app, CompareOptions& options) {
  CLI::App* compare = app.add_subcommand(
      "compare",
      "Compare margin policies on the same scenarios and book: capital efficiency, liquidations, bad debt and its "
      "tail, fund exhaustion, ADL, procyclicality, and paired differences against the first policy (docs/compare.md)");
  compare
      ->add_option("--policy", options.policy_paths,
                   "TOML layered over the base config that sets [margin_policy], [liquidation], [insurance_fund] or "
                   "the markets' margin settings; repeat for each policy, the first is the baseline")
      ->required()
      ->check(CLI::ExistingFile);
  add_config_option(compare, options.config_paths,
                    "the base: the scenarios, markets and book every policy shares; default: the built-in default");
  compare
      ->add_option("-p,--portfolio", options.portfolio_path,
                   "portfolio HDF5 file (docs/results.md); default: the base config's synthetic book")
      ->check(CLI::ExistingFile);
  add_run_override_options(compare, options.run);
  compare
      ->add_option(
          "-b,--backend", options.backend,
          "engine: auto (CUDA when this build has it and a device is visible, else the CPU reference), cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  compare->add_option("--device", options.device, "CUDA device ordinal")->check(device_validator());
  CLI::Option* out = compare->add_option("-o,--out", options.out_path,
                                         "also write the report as CSV, one row per policy, metric and statistic");
  add_report_option(*compare, options.report)->needs(out);
  add_summary_json_option(compare, options.summary_json_path);
  compare->add_flag("-f,--force", options.force, "overwrite the CSV, JSON and report files if they exist");
  compare->add_flag("-q,--quiet", options.quiet,
                    "no progress bar; with --out, print only the CSV path instead of the table");
}

int compare_command(const CompareOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  ModelConfig base = load_config_files(options.config_paths);
  options.run.apply(base);
  validate_config(base);
  if (!options.out_path.empty()) check_output_path(options.out_path, options.force);  // before the runs
  check_report_request(options.report, options.force);
  check_summary_json_path(options.summary_json_path, options.force);

  std::vector<ComparedPolicy> policies;
  for (const std::string& path : options.policy_paths) {
    ComparedPolicy policy;
    policy.name = unique_name(path, policies);
    policy.path = path;
    policy.config = load_policy_config(base, path);
    validate_config(policy.config);
    policies.push_back(std::move(policy));
  }

  const BaseBook book = load_base_book(base, options.portfolio_path);
  const Portfolio& portfolio = book.portfolio;
  const std::string& book_source = book.source;
  const std::unique_ptr<Engine> engine = make_command_engine(options.backend, base.run.threads, options.device);

  // Batch-major: each batch of scenario paths is built once and run under every policy, so every
  // policy sees exactly the same paths without keeping them all in memory.
  const std::int64_t batch = batch_scenarios(base);
  const auto policy_count = static_cast<std::int64_t>(policies.size());
  {
    ProgressBar progress("scenarios x policies", base.run.scenarios * policy_count, options.quiet);
    std::int64_t done = 0;
    for (std::int64_t first = 0; first < base.run.scenarios; first += batch) {
      const std::int64_t count = std::min(batch, base.run.scenarios - first);
      const ScenarioPaths paths = build_scenarios(base, first, count);
      for (ComparedPolicy& policy : policies) {
        const BatchResults results = engine->run(policy.config, portfolio, paths,
                                                 [&](std::int64_t finished) { progress.update(done + finished); });
        done += count;
        append_policy_scenario_metrics(results, policy.config.run.step_seconds, policy.metrics);
        for (const ScenarioMetrics& scenario : results.scenarios) {
          policy.round_cap_hits += scenario.round_cap_hits;
          policy.max_abs_conservation_residual_usd = std::max(
              policy.max_abs_conservation_residual_usd, std::fabs(usd_figure(scenario.ledger.conservation_residual)));
        }
      }
    }
  }
  for (ComparedPolicy& policy : policies) {
    policy.summary = summarize_policy(policy.metrics);
    if (&policy != &policies.front()) {
      policy.against_baseline =
          compare_to_baseline(policy.metrics, policies.front().metrics, bootstrap_replicates, bootstrap_seed);
    }
  }

  ReportContext context{base,
                        book_source,
                        static_cast<std::int64_t>(portfolio.account_count()),
                        static_cast<std::int64_t>(portfolio.position_count()),
                        engine->name(),
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
  std::FILE* table = table_stream(options.summary_json_path);
  if (!options.quiet || options.out_path.empty()) print_report(table, context, policies);
  if (!options.out_path.empty()) {
    write_text_atomically(options.out_path, options.force, report_csv(base, policies));
    std::fprintf(table, options.quiet ? "%s\n" : "\nreport: %s\n", options.out_path.c_str());
  }
  const nlohmann::ordered_json summary = report_json(context, options.config_paths, policies);
  write_summary_json(options.summary_json_path, options.force, summary);
  const int report_outcome =
      draw_requested_report(options.report, options.out_path, options.force, options.summary_json_path, &summary);
  if (report_outcome != 0) return report_outcome;
  const bool balanced = std::all_of(policies.begin(), policies.end(), [](const ComparedPolicy& policy) {
    return policy.max_abs_conservation_residual_usd <= 0.01;
  });
  return balanced ? 0 : 1;
}

}  // namespace margin_stress
