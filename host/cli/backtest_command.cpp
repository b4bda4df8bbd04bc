#include "host/cli/backtest_command.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>

#include "host/analysis/backtest.hpp"
#include "host/cli/config_option.hpp"
#include "host/cli/policy_description.hpp"
#include "host/cli/price_file_options.hpp"
#include "host/cli/summary_json.hpp"
#include "host/io/atomic_output.hpp"
#include "host/io/config_file.hpp"
#include "host/io/config_writer.hpp"
#include "host/io/csv.hpp"
#include "host/io/policy_file.hpp"
#include "host/model/input_error.hpp"
#include "host/model/text_format.hpp"
#include "scenarios/calibration/price_series.hpp"
#include "scenarios/calibration/utc_time.hpp"
#include "scenarios/validate_config.hpp"

namespace margin_stress {
namespace {

using calibration::format_utc_time;

const CLI::Validator confidence_level_validator(
    [](std::string& text) {
      char* end = nullptr;
      const double value = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end != '\0' || !(value > 0.0 && value < 1.0)) {
        return "'" + text + "' is not a confidence level in (0, 1), e.g. 0.99";
      }
      return std::string();
    },
    "LEVEL", "confidence level in (0, 1)");

struct PolicyBacktest {
  ModelConfig config;
  CoverageBacktest result;
};

std::string percent(double fraction) { return printf_string("%.3f %%", 100.0 * fraction); }

std::size_t market_index_of(const ModelConfig& config, const std::string& market, const std::string& prices_path) {
  std::string names;
  for (std::size_t m = 0; m < config.market_count(); ++m) {
    if (config.markets[m].name == market) return m;
    names += (m == 0 ? "" : ", ") + config.markets[m].name;
  }
  throw InputError(config.source_name + ": no [[markets]] entry named '" + market + "' for the price file " +
                   prices_path + " (the config has " + names + "; name the file's market with --market)");
}

std::int64_t horizon_bars_of(const BacktestOptions& options, std::int64_t bar_seconds) {
  if (!options.horizon_seconds) return (default_horizon_seconds + bar_seconds - 1) / bar_seconds;
  if (*options.horizon_seconds % bar_seconds != 0) {
    throw InputError(options.prices_path + ": --horizon-seconds " + std::to_string(*options.horizon_seconds) +
                     " is not a whole number of the file's " + std::to_string(bar_seconds) + " s bars");
  }
  return *options.horizon_seconds / bar_seconds;
}

// The per-step parameters of every kind but static (ewma_lambda, GARCH, the regime chain) were
// chosen for run.step_seconds; here they apply per bar, which changes their meaning in hours.
void warn_if_step_differs(const ModelConfig& config, std::int64_t bar_seconds, const std::string& prices_path) {
  if (config.margin_policy.kind == MarginPolicyKind::static_margin) return;
  if (config.run.step_seconds == static_cast<double>(bar_seconds)) return;
  std::fprintf(stderr,
               "margin-stress: warning: %s: the policy's per-step parameters were set for run.step_seconds = %g s; "
               "here they apply per %lld s bar of %s (docs/backtest.md, \"The step\")\n",
               config.source_name.c_str(), config.run.step_seconds, static_cast<long long>(bar_seconds),
               prices_path.c_str());
}

void print_counts(std::FILE* out, const char* label, const CoverageCounts& counts) {
  std::fprintf(out, "  %-21s %lld windows; exceedances long %lld, short %lld, either %lld (%s)\n", label,
               static_cast<long long>(counts.windows), static_cast<long long>(counts.long_exceedances),
               static_cast<long long>(counts.short_exceedances), static_cast<long long>(counts.either_exceedances),
               percent(static_cast<double>(counts.either_exceedances) / static_cast<double>(counts.windows)).c_str());
}

const char* verdict(double p_value) { return p_value < 0.05 ? "reject" : "accept"; }

// A p-value below the smallest double prints as a bound, not as a misleading 0.
std::string p_value_text(double p_value) { return p_value > 0.0 ? printf_string("%.3g", p_value) : "<1e-300"; }

void print_policy(std::FILE* out, std::size_t number, const PolicyBacktest& backtest) {
  const CoverageBacktest& r = backtest.result;
  std::fprintf(out, "\npolicy %zu: %s: %s\n", number, backtest.config.source_name.c_str(),
               describe_policy(backtest.config.margin_policy).c_str());
  std::fprintf(out, "  maintenance margin    %s x scale (scale mean %.3f, max %.3f)\n",
               percent(r.maintenance_margin_fraction).c_str(), r.mean_scale, r.max_scale);
  print_counts(out, "non-overlapping", r.non_overlapping);
  print_counts(out, "overlapping", r.overlapping);
  const TransitionCounts& c = r.transitions;
  std::fprintf(out, "  transitions           n00 %lld, n01 %lld, n10 %lld, n11 %lld\n", static_cast<long long>(c.n00),
               static_cast<long long>(c.n01), static_cast<long long>(c.n10), static_cast<long long>(c.n11));

  std::map<std::string, std::int64_t> by_year;
  for (const CoverageExceedance& e : r.exceedances) ++by_year[format_utc_time(e.start_time_seconds).substr(0, 4)];
  std::string years;
  for (const auto& [year, count] : by_year) years += "  " + year + ": " + std::to_string(count);
  std::fprintf(out, "  exceedances by year  %s\n", years.empty() ? "  none" : years.c_str());

  std::vector<CoverageExceedance> largest = r.exceedances;
  std::sort(largest.begin(), largest.end(), [](const CoverageExceedance& a, const CoverageExceedance& b) {
    return std::fabs(a.price_ratio - 1.0) > std::fabs(b.price_ratio - 1.0);
  });
  largest.resize(std::min<std::size_t>(largest.size(), 3));
  for (std::size_t i = 0; i < largest.size(); ++i) {
    std::fprintf(out, "  %-21s %s move %+.2f %% against a margin of %.2f %%\n", i == 0 ? "largest exceedances" : "",
                 format_utc_time(largest[i].start_time_seconds).c_str(), 100.0 * (largest[i].price_ratio - 1.0),
                 100.0 * largest[i].maintenance_fraction);
  }

  std::fprintf(out, "  %-8s %9s %9s %10s %9s %9s %-10s %10s %9s %10s %9s  %-32s %10s\n", "level", "expected",
               "observed", "LR_pof", "p_pof", "p_exact", "POF test", "LR_ind", "p_ind", "LR_cc", "p_cc", "at 5 %",
               "multiplier");
  const double observed =
      static_cast<double>(r.non_overlapping.either_exceedances) / static_cast<double>(r.non_overlapping.windows);
  for (const CoverageLevelTest& level : r.levels) {
    const std::string verdicts = std::string("POF ") + verdict(level.pof_test_p_value()) + ", IND " +
                                 verdict(level.independence.p_value) + ", CC " + verdict(level.conditional.p_value);
    std::fprintf(out, "  %-8s %9s %9s %10.3f %9s %9s %-10s %10.3f %9s %10.3f %9s  %-32s %10.2f\n",
                 printf_string("%.4g %%", 100.0 * level.confidence_level).c_str(), percent(level.expected_rate).c_str(),
                 percent(observed).c_str(), level.pof.statistic, p_value_text(level.pof.p_value).c_str(),
                 p_value_text(level.exact_pof_p_value).c_str(), proportion_test_label(level.pof_test),
                 level.independence.statistic, p_value_text(level.independence.p_value).c_str(),
                 level.conditional.statistic, p_value_text(level.conditional.p_value).c_str(), verdicts.c_str(),
                 level.in_sample_multiplier);
  }
}

void print_report(std::FILE* out, const calibration::PriceSeries& prices,
                  const std::vector<PolicyBacktest>& backtests) {
  const CoverageBacktest& first = backtests.front().result;
  std::fprintf(out, "backtest of %s\n", prices.source.c_str());
  std::fprintf(out, "  market %s, %lld bars of %lld s, %s to %s, %lld bars missing\n", prices.market.c_str(),
               static_cast<long long>(first.bars), static_cast<long long>(first.bar_seconds),
               format_utc_time(prices.time_seconds.front()).c_str(),
               format_utc_time(prices.time_seconds.back()).c_str(), static_cast<long long>(first.missing_bars));
  std::fprintf(out, "  horizon %lld s (%lld bar%s)\n", static_cast<long long>(first.horizon_bars * first.bar_seconds),
               static_cast<long long>(first.horizon_bars), first.horizon_bars == 1 ? "" : "s");
  std::fprintf(
      out,
      "  exceedance: over the horizon a long loses more than its maintenance margin m (P(end)/P(start) < 1 - m)\n"
      "              or a short does (P(end)/P(start) > 1 + m); the tests use the non-overlapping windows\n"
      "  multiplier: the factor on the maintenance fraction that would have met the level in this sample\n");
  for (std::size_t i = 0; i < backtests.size(); ++i) print_policy(out, i + 1, backtests[i]);
}

std::string report_csv(const calibration::PriceSeries& prices, const std::vector<PolicyBacktest>& backtests) {
  std::string csv =
      "config,policy,market,prices_file,bars,bar_seconds,missing_bars,horizon_seconds,horizon_bars,"
      "maintenance_margin_fraction,mean_scale,max_scale,observations,long_exceedances,short_exceedances,"
      "either_exceedances,overlapping_observations,overlapping_long_exceedances,overlapping_short_exceedances,"
      "overlapping_either_exceedances,n00,n01,n10,n11,confidence_level,expected_rate,exceedance_rate,lr_pof,"
      "p_value_pof,lr_ind,p_value_ind,lr_cc,p_value_cc,pof_rejected_at_5pct,ind_rejected_at_5pct,"
      "cc_rejected_at_5pct,in_sample_multiplier,p_value_pof_exact,pof_test,pof_test_rejected_at_5pct\n";
  for (const PolicyBacktest& backtest : backtests) {
    const CoverageBacktest& r = backtest.result;
    const auto n = [](std::int64_t value) { return std::to_string(value); };
    const std::string common =
        csv_field(backtest.config.source_name) + "," + std::string(toml_name(backtest.config.margin_policy.kind)) +
        "," + csv_field(prices.market) + "," + csv_field(prices.source) + "," + n(r.bars) + "," + n(r.bar_seconds) +
        "," + n(r.missing_bars) + "," + n(r.horizon_bars * r.bar_seconds) + "," + n(r.horizon_bars) + "," +
        csv_number(r.maintenance_margin_fraction) + "," + csv_number(r.mean_scale) + "," + csv_number(r.max_scale) +
        "," + n(r.non_overlapping.windows) + "," + n(r.non_overlapping.long_exceedances) + "," +
        n(r.non_overlapping.short_exceedances) + "," + n(r.non_overlapping.either_exceedances) + "," +
        n(r.overlapping.windows) + "," + n(r.overlapping.long_exceedances) + "," + n(r.overlapping.short_exceedances) +
        "," + n(r.overlapping.either_exceedances) + "," + n(r.transitions.n00) + "," + n(r.transitions.n01) + "," +
        n(r.transitions.n10) + "," + n(r.transitions.n11);
    const double rate =
        static_cast<double>(r.non_overlapping.either_exceedances) / static_cast<double>(r.non_overlapping.windows);
    for (const CoverageLevelTest& level : r.levels) {
      csv += common + "," + csv_number(level.confidence_level) + "," + csv_number(level.expected_rate) + "," +
             csv_number(rate) + "," + csv_number(level.pof.statistic) + "," + csv_number(level.pof.p_value) + "," +
             csv_number(level.independence.statistic) + "," + csv_number(level.independence.p_value) + "," +
             csv_number(level.conditional.statistic) + "," + csv_number(level.conditional.p_value) + "," +
             (level.pof.p_value < 0.05 ? "1" : "0") + "," + (level.independence.p_value < 0.05 ? "1" : "0") + "," +
             (level.conditional.p_value < 0.05 ? "1" : "0") + "," + csv_number(level.in_sample_multiplier) + "," +
             csv_number(level.exact_pof_p_value) + "," + proportion_test_name(level.pof_test) + "," +
             (level.pof_test_p_value() < 0.05 ? "1" : "0") + "\n";
    }
  }
  return csv;
}

// The report as JSON (docs/results.md, "Summary JSON").
nlohmann::ordered_json report_json(const calibration::PriceSeries& prices, const std::vector<std::string>& config_paths,
                                   const std::vector<PolicyBacktest>& backtests) {
  const CoverageBacktest& first = backtests.front().result;
  nlohmann::ordered_json json = summary_json_header("backtest");
  json["prices_file"] = prices.source;
  json["market"] = prices.market;
  json["config_layers"] = config_paths;
  json["bars"] = first.bars;
  json["bar_seconds"] = first.bar_seconds;
  json["missing_bars"] = first.missing_bars;
  json["first_time_utc"] = format_utc_time(prices.time_seconds.front());
  json["last_time_utc"] = format_utc_time(prices.time_seconds.back());
  json["horizon_bars"] = first.horizon_bars;
  json["horizon_seconds"] = first.horizon_bars * first.bar_seconds;
  const auto counts = [](const CoverageCounts& c) {
    return nlohmann::ordered_json{{"windows", c.windows},
                                  {"long_exceedances", c.long_exceedances},
                                  {"short_exceedances", c.short_exceedances},
                                  {"either_exceedances", c.either_exceedances}};
  };
  const auto test = [](const LikelihoodRatioTest& t) {
    return nlohmann::ordered_json{{"statistic", t.statistic},
                                  {"degrees_of_freedom", t.degrees_of_freedom},
                                  {"p_value", t.p_value},
                                  {"rejected_at_5_percent", t.p_value < 0.05}};
  };
  nlohmann::ordered_json policies = nlohmann::ordered_json::array();
  for (const PolicyBacktest& backtest : backtests) {
    const CoverageBacktest& r = backtest.result;
    nlohmann::ordered_json entry;
    entry["config"] = backtest.config.source_name;
    entry["margin_policy"] = std::string(toml_name(backtest.config.margin_policy.kind));
    entry["description"] = describe_policy(backtest.config.margin_policy);
    entry["maintenance_margin_fraction"] = r.maintenance_margin_fraction;
    entry["mean_scale"] = r.mean_scale;
    entry["max_scale"] = r.max_scale;
    entry["non_overlapping"] = counts(r.non_overlapping);
    entry["overlapping"] = counts(r.overlapping);
    entry["transitions"] = {
        {"n00", r.transitions.n00}, {"n01", r.transitions.n01}, {"n10", r.transitions.n10}, {"n11", r.transitions.n11}};
    nlohmann::ordered_json exceedances = nlohmann::ordered_json::array();
    for (const CoverageExceedance& e : r.exceedances) {
      exceedances.push_back({{"start_time_utc", format_utc_time(e.start_time_seconds)},
                             {"price_ratio", e.price_ratio},
                             {"maintenance_fraction", e.maintenance_fraction}});
    }
    entry["exceedances"] = exceedances;
    const double observed =
        static_cast<double>(r.non_overlapping.either_exceedances) / static_cast<double>(r.non_overlapping.windows);
    nlohmann::ordered_json levels = nlohmann::ordered_json::array();
    for (const CoverageLevelTest& level : r.levels) {
      levels.push_back(
          {{"confidence_level", level.confidence_level},
           {"expected_rate", level.expected_rate},
           {"observed_rate", observed},
           {"pof", test(level.pof)},
           {"independence", test(level.independence)},
           {"conditional_coverage", test(level.conditional)},
           {"in_sample_multiplier", level.in_sample_multiplier},
           {"exact_binomial",
            {{"p_value", level.exact_pof_p_value}, {"rejected_at_5_percent", level.exact_pof_p_value < 0.05}}},
           {"pof_test", proportion_test_name(level.pof_test)},
           {"pof_test_p_value", level.pof_test_p_value()},
           {"pof_test_rejected_at_5_percent", level.pof_test_p_value() < 0.05}});
    }
    entry["levels"] = levels;
    policies.push_back(entry);
  }
  json["policies"] = policies;
  return json;
}

}  // namespace

void setup_backtest_command(CLI::App& app, BacktestOptions& options) {
  CLI::App* backtest = app.add_subcommand(
      "backtest",
      "Backtest margin policies on a real price history: how often the maintenance margin fails to cover the move "
      "over the liquidation horizon, with Kupiec's (or the exact binomial) and Christoffersen's tests "
      "(docs/backtest.md)");
  backtest
      ->add_option("--prices", options.prices_path,
                   "CSV price history of one market (header row; timestamp_utc or date; close)")
      ->required()
      ->check(CLI::ExistingFile);
  backtest->add_option("--market", options.market,
                       "the market of the file, a [[markets]] name of every config; default: the file name's first "
                       "token before '_', upper-cased (btc_usdt_1h.csv -> BTC)");
  add_price_file_options(*backtest, options.price_format);
  add_config_option(backtest, options.config_paths,
                    "the base whose [margin_policy] and market fractions are tested when no --policy is given");
  backtest
      ->add_option("--policy", options.policy_paths,
                   "policy file layered over the base (docs/compare.md, 'Policy files'); repeat to compare policies "
                   "on the same windows; default: the base's own policy")
      ->check(CLI::ExistingFile);
  backtest
      ->add_option("--horizon-seconds", options.horizon_seconds,
                   "liquidation horizon, a whole number of the file's bars; default: one hour rounded up to whole bars")
      ->check(CLI::PositiveNumber);
  backtest->add_option("--levels", options.levels, "confidence levels alpha, comma-separated")
      ->delimiter(',')
      ->check(confidence_level_validator)
      ->capture_default_str();
  backtest->add_option("-o,--out", options.out_path, "also write the table as CSV, one row per policy and level");
  add_summary_json_option(backtest, options.summary_json_path);
  backtest->add_flag("-f,--force", options.force, "overwrite the CSV and JSON files if they exist");
}

int backtest_command(const BacktestOptions& options) {
  const std::string market =
      options.market.empty() ? calibration::market_name_from_path(options.prices_path) : options.market;
  const calibration::PriceSeries prices =
      calibration::read_price_csv(options.prices_path, market, options.price_format);
  const std::int64_t bar_seconds = calibration::most_common_spacing(prices.time_seconds);
  const std::int64_t horizon_bars = horizon_bars_of(options, bar_seconds);
  if (!options.out_path.empty()) check_output_path(options.out_path, options.force);
  check_summary_json_path(options.summary_json_path, options.force);

  std::vector<PolicyBacktest> backtests;
  const ModelConfig base = load_config_files(options.config_paths);
  validate_config(base);
  std::vector<ModelConfig> policies;
  for (const std::string& path : options.policy_paths) policies.push_back(load_policy_config(base, path));
  if (policies.empty()) policies.push_back(base);
  for (ModelConfig& config : policies) {
    validate_config(config);
    const std::size_t market_index = market_index_of(config, market, options.prices_path);
    warn_if_step_differs(config, bar_seconds, options.prices_path);
    CoverageBacktest result = run_coverage_backtest(prices, config, market_index, horizon_bars, options.levels);
    backtests.push_back({std::move(config), std::move(result)});
  }

  std::FILE* table = table_stream(options.summary_json_path);
  print_report(table, prices, backtests);
  if (!options.out_path.empty()) {
    write_text_atomically(options.out_path, options.force, report_csv(prices, backtests));
    std::fprintf(table, "\nreport: %s\n", options.out_path.c_str());
  }
  write_summary_json(options.summary_json_path, options.force, report_json(prices, options.config_paths, backtests));
  return 0;
}

}  // namespace margin_stress
