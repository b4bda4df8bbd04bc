#include "host/analysis/comparison.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "scenarios/rng.hpp"

namespace margin_stress {
namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

void check_pair(const std::string& metric, const std::vector<double>& policy, const std::vector<double>& baseline) {
  if (policy.empty() || policy.size() != baseline.size()) {
    throw std::invalid_argument("comparison of " + metric + ": the policy has " + std::to_string(policy.size()) +
                                " scenarios and the baseline " + std::to_string(baseline.size()) +
                                "; both need the same, at least one");
  }
  for (std::size_t s = 0; s < policy.size(); ++s) {
    if (!std::isfinite(policy[s]) || !std::isfinite(baseline[s])) {
      throw std::invalid_argument("comparison of " + metric + ": scenario " + std::to_string(s) +
                                  " has a value that is not finite");
    }
  }
}

// Sample standard deviation with n - 1, in two passes (as summarize_sample).
double sample_stddev(const std::vector<double>& values) {
  const auto n = static_cast<double>(values.size());
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
  double squared_deviations = 0.0;
  for (const double x : values) squared_deviations += (x - mean) * (x - mean);
  return std::sqrt(squared_deviations / (n - 1.0));
}

struct TailStatistic {
  const char* name;
  double DistributionSummary::*value;
};

constexpr TailStatistic tail_statistics[] = {
    {"var_99", &DistributionSummary::var_99},
    {"es_99", &DistributionSummary::es_99},
    {"var_999", &DistributionSummary::var_999},
    {"es_999", &DistributionSummary::es_999},
};

}  // namespace

ProbabilityInterval flagged_share_interval(const std::vector<double>& flags) {
  const auto flagged = static_cast<std::int64_t>(std::count(flags.begin(), flags.end(), 1.0));
  return wilson_interval(flagged, static_cast<std::int64_t>(flags.size()));
}

std::int64_t window_steps(double window_seconds, double step_seconds) {
  return std::max<std::int64_t>(1, std::llround(window_seconds / step_seconds));
}

BookMarginPath book_margin_path(const StepSeries& series, std::int64_t scenario) {
  BookMarginPath path;
  path.required_margin_usd.assign(static_cast<std::size_t>(series.steps), 0.0);
  path.open_notional_usd.assign(static_cast<std::size_t>(series.steps), 0.0);
  for (std::int64_t t = 0; t < series.steps; ++t) {
    const auto row = static_cast<std::size_t>(t);
    for (std::int64_t m = 0; m < series.markets; ++m) {
      const std::size_t at = series.market_index(scenario, t, m);
      path.required_margin_usd[row] += series.initial_margin_usd[at];
      path.open_notional_usd[row] += series.open_notional_usd[at];
    }
  }
  return path;
}

LargestIncrease largest_increase(const std::vector<double>& values, std::int64_t window) {
  LargestIncrease largest;
  const auto n = static_cast<std::int64_t>(values.size());
  for (std::int64_t u = 1; u < n; ++u) {
    // The lowest value of the window before u is the start of both the largest rise in value and
    // the largest as a fraction (x_u / x_t grows as x_t falls, for x_t > 0).
    double lowest = values[static_cast<std::size_t>(u - 1)];
    for (std::int64_t t = std::max<std::int64_t>(0, u - window); t < u - 1; ++t) {
      lowest = std::min(lowest, values[static_cast<std::size_t>(t)]);
    }
    const double x = values[static_cast<std::size_t>(u)];
    largest.value = std::max(largest.value, x - lowest);
    if (lowest > 0.0) largest.fraction = std::max(largest.fraction, x / lowest - 1.0);
  }
  return largest;
}

const std::vector<ComparisonMetric>& comparison_metrics() {
  using M = PolicyScenarioMetrics;
  static const std::vector<ComparisonMetric> metrics = {
      {"platform_loss_usd", &M::platform_loss_usd},
      {"bad_debt_usd", &M::bad_debt_usd},
      {"insurance_fund_draw_usd", &M::insurance_fund_draw_usd},
      {"adl_haircut_usd", &M::adl_haircut_usd},
      {"backstop_vault_loss_usd", &M::backstop_vault_loss_usd},
      {"liquidity_provider_loss_usd", &M::liquidity_provider_loss_usd},
      {"liquidated_notional_usd", &M::liquidated_notional_usd},
      {"adl_notional_usd", &M::adl_notional_usd},
      {"deleveraged_notional_usd", &M::deleveraged_notional_usd},
      {"margin_calls", &M::margin_calls},
      {"fund_exhausted", &M::fund_exhausted},
      {"cascade_rounds_total", &M::cascade_rounds_total},
      {"cascade_rounds_max", &M::cascade_rounds_max},
      {"average_required_margin_usd", &M::average_required_margin_usd},
      {"peak_required_margin_usd", &M::peak_required_margin_usd},
      {"average_allowed_leverage", &M::average_allowed_leverage},
      {"margin_increase_1h_usd", &M::margin_increase_short_usd},
      {"margin_increase_1h_fraction", &M::margin_increase_short_fraction},
      {"margin_increase_24h_usd", &M::margin_increase_long_usd},
      {"margin_increase_24h_fraction", &M::margin_increase_long_fraction},
  };
  return metrics;
}

void append_policy_scenario_metrics(const BatchResults& results, double step_seconds, PolicyScenarioMetrics& metrics) {
  const StepSeries& series = results.series;
  const auto points = static_cast<std::size_t>(series.scenarios * series.steps * series.markets);
  if (series.scenarios != static_cast<std::int64_t>(results.scenarios.size()) ||
      series.initial_margin_usd.size() != points || series.open_notional_usd.size() != points) {
    throw std::invalid_argument("policy comparison: the step series are [" + std::to_string(series.scenarios) + "][" +
                                std::to_string(series.steps) + "][" + std::to_string(series.markets) + "] for " +
                                std::to_string(results.scenarios.size()) + " scenarios");
  }
  const std::int64_t short_window = window_steps(short_window_seconds, step_seconds);
  const std::int64_t long_window = window_steps(long_window_seconds, step_seconds);
  for (std::size_t s = 0; s < results.scenarios.size(); ++s) {
    const ScenarioMetrics& scenario = results.scenarios[s];
    const LossBearers bearers = loss_bearers(scenario.ledger);
    metrics.platform_loss_usd.push_back(bearers.platform_loss_usd);
    metrics.bad_debt_usd.push_back(bearers.bad_debt_usd);
    metrics.insurance_fund_draw_usd.push_back(bearers.insurance_fund_draw_usd);
    metrics.adl_haircut_usd.push_back(bearers.adl_haircut_usd);
    metrics.backstop_vault_loss_usd.push_back(bearers.backstop_vault_loss_usd);
    metrics.liquidity_provider_loss_usd.push_back(bearers.liquidity_provider_loss_usd);
    metrics.liquidated_notional_usd.push_back(
        std::accumulate(scenario.liquidated_notional_usd.begin(), scenario.liquidated_notional_usd.end(), 0.0));
    metrics.adl_notional_usd.push_back(scenario.adl_notional_usd);
    metrics.deleveraged_notional_usd.push_back(
        std::accumulate(scenario.deleveraged_notional_usd.begin(), scenario.deleveraged_notional_usd.end(), 0.0));
    metrics.margin_calls.push_back(static_cast<double>(scenario.margin_calls));
    metrics.fund_exhausted.push_back(scenario.fund_exhausted != 0 ? 1.0 : 0.0);
    metrics.cascade_rounds_total.push_back(static_cast<double>(scenario.cascade_rounds_total));
    metrics.cascade_rounds_max.push_back(static_cast<double>(scenario.cascade_rounds_max));

    const BookMarginPath path = book_margin_path(series, static_cast<std::int64_t>(s));
    const std::vector<double>& margin = path.required_margin_usd;
    double leverage_sum = 0.0;
    std::int64_t margined_steps = 0;
    for (std::size_t t = 0; t < margin.size(); ++t) {
      if (margin[t] > 0.0) {
        leverage_sum += path.open_notional_usd[t] / margin[t];
        ++margined_steps;
      }
    }
    metrics.average_required_margin_usd.push_back(
        margin.empty() ? 0.0 : std::accumulate(margin.begin(), margin.end(), 0.0) / static_cast<double>(margin.size()));
    metrics.peak_required_margin_usd.push_back(margin.empty() ? 0.0 : *std::max_element(margin.begin(), margin.end()));
    metrics.average_allowed_leverage.push_back(
        margined_steps == 0 ? 0.0 : leverage_sum / static_cast<double>(margined_steps));
    const LargestIncrease within_short = largest_increase(margin, short_window);
    const LargestIncrease within_long = largest_increase(margin, long_window);
    metrics.margin_increase_short_usd.push_back(within_short.value);
    metrics.margin_increase_short_fraction.push_back(within_short.fraction);
    metrics.margin_increase_long_usd.push_back(within_long.value);
    metrics.margin_increase_long_fraction.push_back(within_long.fraction);
  }
}

std::vector<DistributionSummary> summarize_policy(const PolicyScenarioMetrics& metrics) {
  std::vector<DistributionSummary> summaries;
  for (const ComparisonMetric& metric : comparison_metrics()) {
    summaries.push_back(summarize_sample(metric.name, metrics.*metric.values));
  }
  return summaries;
}

PairedDifference paired_difference(const std::string& metric, const std::vector<double>& policy,
                                   const std::vector<double>& baseline) {
  check_pair(metric, policy, baseline);
  std::vector<double> differences(policy.size());
  for (std::size_t s = 0; s < policy.size(); ++s) differences[s] = policy[s] - baseline[s];
  PairedDifference paired;
  paired.metric = metric;
  paired.scenarios = static_cast<std::int64_t>(differences.size());
  const auto n = static_cast<double>(differences.size());
  paired.mean_difference = std::accumulate(differences.begin(), differences.end(), 0.0) / n;
  paired.standard_error = differences.size() > 1 ? sample_stddev(differences) / std::sqrt(n) : not_a_number;
  paired.t_statistic = paired.standard_error > 0.0 ? paired.mean_difference / paired.standard_error : not_a_number;
  return paired;
}

std::vector<TailDifference> tail_differences(const std::vector<double>& policy, const std::vector<double>& baseline,
                                             std::int64_t replicates, std::uint64_t seed) {
  check_pair("a tail statistic", policy, baseline);
  const DistributionSummary policy_summary = summarize_sample("policy", policy);
  const DistributionSummary baseline_summary = summarize_sample("baseline", baseline);
  std::vector<TailDifference> tails;
  for (const TailStatistic& statistic : tail_statistics) {
    TailDifference tail;
    tail.statistic = statistic.name;
    tail.policy_value = policy_summary.*statistic.value;
    tail.baseline_value = baseline_summary.*statistic.value;
    tail.difference = tail.policy_value - tail.baseline_value;
    tails.push_back(tail);
  }

  const std::size_t n = policy.size();
  const rng::philox_key key = rng::make_key(seed);
  std::vector<std::vector<double>> replicate_differences(tails.size());
  std::vector<double> policy_resample(n), baseline_resample(n);
  for (std::int64_t b = 0; b < replicates; ++b) {
    for (std::size_t j = 0; j < n; j += 2) {
      const rng::philox_block block =
          rng::draw_block(key, rng::scenario_counter(b, 0, stream_bootstrap, static_cast<std::uint32_t>(j / 2)));
      for (std::size_t k = j; k < std::min(j + 2, n); ++k) {
        const double u = k == j ? rng::first_uniform(block) : rng::second_uniform(block);
        // u < 1, so floor(u n) <= n - 1 except where u n rounds up to n; min() keeps that in range.
        const auto index = std::min(n - 1, static_cast<std::size_t>(u * static_cast<double>(n)));
        policy_resample[k] = policy[index];
        baseline_resample[k] = baseline[index];
      }
    }
    const DistributionSummary p = summarize_sample("policy", policy_resample);
    const DistributionSummary q = summarize_sample("baseline", baseline_resample);
    for (std::size_t i = 0; i < tails.size(); ++i) {
      replicate_differences[i].push_back(p.*tail_statistics[i].value - q.*tail_statistics[i].value);
    }
  }
  for (std::size_t i = 0; i < tails.size(); ++i) {
    tails[i].bootstrap_standard_error = replicates >= 2 ? sample_stddev(replicate_differences[i]) : not_a_number;
  }
  return tails;
}

BaselineComparison compare_to_baseline(const PolicyScenarioMetrics& policy, const PolicyScenarioMetrics& baseline,
                                       std::int64_t replicates, std::uint64_t seed) {
  BaselineComparison comparison;
  for (const ComparisonMetric& metric : comparison_metrics()) {
    comparison.means.push_back(paired_difference(metric.name, policy.*metric.values, baseline.*metric.values));
  }
  comparison.bad_debt_tail = tail_differences(policy.bad_debt_usd, baseline.bad_debt_usd, replicates, seed);
  comparison.platform_loss_tail =
      tail_differences(policy.platform_loss_usd, baseline.platform_loss_usd, replicates, seed);
  return comparison;
}

std::int64_t batch_scenarios(const ModelConfig& config) {
  const double steps = static_cast<double>(config.run.steps);
  const double markets = static_cast<double>(config.market_count());
  const double bytes_per_scenario = (steps + 1.0) * (markets * 3 * 8 + 9) + steps * (markets * 6 * 8 + 13);
  const auto batch = static_cast<std::int64_t>(256.0e6 / bytes_per_scenario);
  return std::clamp<std::int64_t>(batch, 1, config.run.scenarios);
}

}  // namespace margin_stress
