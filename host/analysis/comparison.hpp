// Comparing margin policies on common random numbers (docs/compare.md): every policy runs the same
// scenarios over the same book, so the scenario-by-scenario differences against a baseline policy
// carry no scenario noise and their standard errors are those of paired samples.
//
// Pure functions over per-scenario vectors; losses are positive, as in the run summary
// (docs/model.md, "Metrics across scenarios").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/analysis/intervals.hpp"
#include "host/analysis/summary.hpp"
#include "host/model/config.hpp"
#include "host/model/results.hpp"

namespace margin_stress {

// Procyclicality windows: the largest rise of the required margin within one hour and one day.
inline constexpr double short_window_seconds = 3600.0;
inline constexpr double long_window_seconds = 86400.0;

// The paired bootstrap of the tail differences: replicates, and the Philox key and stream its
// scenario draws come from (counter {replicate, 0, stream, block}; docs/compare.md).
inline constexpr std::int64_t bootstrap_replicates = 1000;
inline constexpr std::uint64_t bootstrap_seed = 20261201;
inline constexpr std::uint32_t stream_bootstrap = 300;

// A window of `window_seconds` in whole steps: max(1, round(window_seconds / step_seconds)).
// Preconditions: both positive.
std::int64_t window_steps(double window_seconds, double step_seconds);

// The book's required initial margin and open notional at the end of each step 1..T of one
// scenario (the series initial_margin_usd and open_notional_usd), summed over markets in market
// order.
struct BookMarginPath {
  std::vector<double> required_margin_usd;
  std::vector<double> open_notional_usd;
};

// Scenario `scenario` (0-based within the batch) of `series`.
BookMarginPath book_margin_path(const StepSeries& series, std::int64_t scenario);

// The largest rise of `values` from one step to a later one at most `window` steps after it:
// in value, max over t < u <= t + window of (x_u - x_t); as a fraction, max of (x_u / x_t - 1)
// over the same pairs with x_t > 0. Both are 0 when the values never rise (and for fewer than two
// values). Precondition: window >= 1.
struct LargestIncrease {
  double value = 0.0;
  double fraction = 0.0;
};
LargestIncrease largest_increase(const std::vector<double>& values, std::int64_t window);

// One value per scenario of every compared metric of one policy's run, in scenario order.
struct PolicyScenarioMetrics {
  // Who bore the losses (LossBearers, host/analysis/summary.hpp).
  std::vector<double> platform_loss_usd;
  std::vector<double> bad_debt_usd;
  std::vector<double> insurance_fund_draw_usd;
  std::vector<double> adl_haircut_usd;
  std::vector<double> backstop_vault_loss_usd;
  std::vector<double> liquidity_provider_loss_usd;
  std::vector<double> liquidated_notional_usd;  // summed over markets
  std::vector<double> adl_notional_usd;
  std::vector<double> deleveraged_notional_usd;     // sold by traders answering margin calls, summed over markets
  std::vector<double> margin_calls;                 // accounts called, all steps
  std::vector<double> fund_exhausted;               // 1 if some step's deficits exceeded the fund, else 0
  std::vector<double> cascade_rounds_total;         // summed over steps
  std::vector<double> cascade_rounds_max;           // most in one step
  std::vector<double> average_required_margin_usd;  // mean over steps of the book's required margin
  std::vector<double> peak_required_margin_usd;     // its largest value over steps
  std::vector<double> average_allowed_leverage;     // mean over steps with margin > 0 of notional / margin
  std::vector<double> margin_increase_short_usd;    // largest rise within short_window_seconds
  std::vector<double> margin_increase_short_fraction;
  std::vector<double> margin_increase_long_usd;  // largest rise within long_window_seconds
  std::vector<double> margin_increase_long_fraction;
};

// A compared metric: its name (as in the CSV report) and where its values are.
struct ComparisonMetric {
  const char* name;
  std::vector<double> PolicyScenarioMetrics::*values;
};

// Every metric of PolicyScenarioMetrics, in report order.
const std::vector<ComparisonMetric>& comparison_metrics();

// Appends the scenarios of `results` (one batch of a policy's run, in global scenario order) to
// `metrics`; `step_seconds` is run.step_seconds. Throws std::invalid_argument if the series does
// not have one row per scenario of `results`.
void append_policy_scenario_metrics(const BatchResults& results, double step_seconds, PolicyScenarioMetrics& metrics);

// Wilson's 95 % interval of the share of scenarios flagged 1 (`fund_exhausted`).
ProbabilityInterval flagged_share_interval(const std::vector<double>& flags);

// summarize_sample of every compared metric, in comparison_metrics() order.
std::vector<DistributionSummary> summarize_policy(const PolicyScenarioMetrics& metrics);

// The paired difference d_s = policy_s - baseline_s over n scenarios: its mean, its standard error
// sd(d) / sqrt(n) (sd with n - 1), and t = mean / SE. SE is NaN for n = 1 (not estimable); t is NaN
// when SE is 0 or NaN. A policy against itself gives exactly 0, 0 and NaN.
struct PairedDifference {
  std::string metric;
  std::int64_t scenarios = 0;
  double mean_difference = 0.0;
  double standard_error = 0.0;
  double t_statistic = 0.0;
};

// Throws std::invalid_argument if the samples are empty, of different lengths or not finite.
PairedDifference paired_difference(const std::string& metric, const std::vector<double>& policy,
                                   const std::vector<double>& baseline);

// A tail statistic (VaR or ES at 99 % or 99.9 %, the estimators of summarize_sample) of a policy
// less the baseline's, with its paired-bootstrap standard error: `replicates` resamples of n
// scenario indices drawn with replacement, the same indices for both policies, and the sample
// standard deviation of the replicates' differences (NaN when replicates < 2).
struct TailDifference {
  std::string statistic;  // "var_99", "es_99", "var_999", "es_999"
  double policy_value = 0.0;
  double baseline_value = 0.0;
  double difference = 0.0;  // policy_value - baseline_value
  double bootstrap_standard_error = 0.0;
};

// The four tail differences of one metric. Scenario draw j of replicate b is
// min(n - 1, floor(u n)), u the (j mod 2 + 1)-th uniform of Philox block {b, 0, stream_bootstrap,
// j / 2} keyed by `seed`. Throws std::invalid_argument as paired_difference does.
std::vector<TailDifference> tail_differences(const std::vector<double>& policy, const std::vector<double>& baseline,
                                             std::int64_t replicates, std::uint64_t seed);

// Everything the report says about one policy against the baseline.
struct BaselineComparison {
  std::vector<PairedDifference> means;             // comparison_metrics() order
  std::vector<TailDifference> bad_debt_tail;       // var_99, es_99, var_999, es_999 of bad_debt_usd
  std::vector<TailDifference> platform_loss_tail;  // the same of platform_loss_usd
};

BaselineComparison compare_to_baseline(const PolicyScenarioMetrics& policy, const PolicyScenarioMetrics& baseline,
                                       std::int64_t replicates, std::uint64_t seed);

// Scenarios per engine call for commands that keep only per-scenario metrics (compare, optimize):
// paths (three doubles per market, regime and collateral per step) and series (six doubles per
// market, rounds, fund and regime per step) of about 256 MB, so that memory does not grow with the
// number of scenarios.
std::int64_t batch_scenarios(const ModelConfig& config);

}  // namespace margin_stress
