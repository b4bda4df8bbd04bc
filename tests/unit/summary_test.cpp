// Cross-scenario statistics against hand-computed values (estimators in docs/model.md,
// "Metrics across scenarios").
#include "host/analysis/summary.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace margin_stress {
namespace {

// 1, 2, ..., n, given in descending order so that the summary has to sort.
std::vector<double> descending_integers(int n) {
  std::vector<double> sample;
  for (int i = n; i >= 1; --i) sample.push_back(static_cast<double>(i));
  return sample;
}

TEST(SummarizeSample, TenIntegers) {
  const DistributionSummary s = summarize_sample("x", descending_integers(10));
  EXPECT_EQ(s.metric, "x");
  EXPECT_DOUBLE_EQ(s.mean, 5.5);
  EXPECT_DOUBLE_EQ(s.stddev, std::sqrt(82.5 / 9.0));  // sum (i - 5.5)^2 = 82.5, n - 1 = 9
  EXPECT_EQ(s.min, 1.0);
  EXPECT_EQ(s.max, 10.0);
  EXPECT_EQ(s.p50, 5.0);   // ceil(0.5 * 10) = 5: the lower quantile, not the midpoint 5.5
  EXPECT_EQ(s.p90, 9.0);   // ceil(9) = 9
  EXPECT_EQ(s.p99, 10.0);  // ceil(9.9) = 10
  EXPECT_EQ(s.p999, 10.0);
  EXPECT_EQ(s.var_99, 10.0);
  // k = 10, alpha n = 9.9: [0 + (10 - 9.9) * 10] / (0.01 * 10) = 10.
  EXPECT_DOUBLE_EQ(s.es_99, 10.0);
  EXPECT_EQ(s.var_999, 10.0);
  EXPECT_DOUBLE_EQ(s.es_999, 10.0);
}

TEST(SummarizeSample, ThousandIntegers) {
  const DistributionSummary s = summarize_sample("x", descending_integers(1000));
  EXPECT_DOUBLE_EQ(s.mean, 500.5);
  EXPECT_DOUBLE_EQ(s.stddev, std::sqrt(1000.0 * 1001.0 / 12.0));  // n(n+1)/12 for 1..n with n - 1
  EXPECT_EQ(s.p50, 500.0);
  EXPECT_EQ(s.p90, 900.0);
  EXPECT_EQ(s.p99, 990.0);
  EXPECT_EQ(s.p999, 999.0);
  EXPECT_EQ(s.var_99, 990.0);
  EXPECT_EQ(s.var_999, 999.0);
  // alpha n is an integer: ES is the mean of the worst (1 - alpha) n values.
  EXPECT_DOUBLE_EQ(s.es_99, (991.0 + 1000.0) / 2.0);  // mean of 991..1000
  EXPECT_DOUBLE_EQ(s.es_999, 1000.0);
}

TEST(SummarizeSample, NonIntegerTailCountWeightsTheBoundaryValue) {
  // n = 150, alpha = 0.99: alpha n = 148.5, k = 149; ES = [150 + (149 - 148.5) * 149] / 1.5.
  const DistributionSummary s = summarize_sample("x", descending_integers(150));
  EXPECT_EQ(s.var_99, 149.0);
  EXPECT_DOUBLE_EQ(s.es_99, (150.0 + 0.5 * 149.0) / 1.5);
  // alpha = 0.999: alpha n = 149.85, k = 150; ES = (150 - 149.85) * 150 / 0.15 = 150.
  EXPECT_EQ(s.var_999, 150.0);
  EXPECT_DOUBLE_EQ(s.es_999, 150.0);
}

TEST(SummarizeSample, SingleValue) {
  const DistributionSummary s = summarize_sample("x", {-7.25});
  EXPECT_EQ(s.mean, -7.25);
  EXPECT_EQ(s.stddev, 0.0);
  for (const double value : {s.min, s.p50, s.p90, s.p99, s.p999, s.max, s.var_99, s.es_99, s.var_999, s.es_999}) {
    EXPECT_EQ(value, -7.25);
  }
}

TEST(SummarizeSample, TwoValuesTakeTheLowerQuantile) {
  const DistributionSummary s = summarize_sample("x", {3.0, 1.0});
  EXPECT_EQ(s.p50, 1.0);  // ceil(0.5 * 2) = 1
  EXPECT_EQ(s.p90, 3.0);  // ceil(1.8) = 2
  EXPECT_DOUBLE_EQ(s.stddev, std::sqrt(2.0));
  // k = 2, alpha n = 1.98: (2 - 1.98) * 3 / 0.02 = 3.
  EXPECT_DOUBLE_EQ(s.es_99, 3.0);
}

TEST(SummarizeSample, ExpectedShortfallIsAtLeastValueAtRisk) {
  std::mt19937_64 generator(20261126);
  std::lognormal_distribution<double> loss(0.0, 1.5);
  for (const int n : {1, 2, 99, 100, 101, 999, 1000, 1001, 4321}) {
    std::vector<double> sample(static_cast<std::size_t>(n));
    for (double& x : sample) x = loss(generator) - 1.0;  // some negative values (gains)
    const DistributionSummary s = summarize_sample("x", sample);
    SCOPED_TRACE("n = " + std::to_string(n));
    EXPECT_GE(s.es_99, s.var_99);
    EXPECT_GE(s.es_999, s.var_999);
    EXPECT_LE(s.es_99, s.max);
    EXPECT_LE(s.es_999, s.max);
    EXPECT_LE(s.min, s.p50);
    EXPECT_LE(s.p50, s.p90);
    EXPECT_LE(s.p90, s.p99);
    EXPECT_LE(s.p99, s.p999);
    EXPECT_LE(s.p999, s.max);
  }
}

TEST(SummarizeSample, RejectsEmptyAndNonFiniteSamples) {
  EXPECT_THROW(summarize_sample("x", {}), std::invalid_argument);
  EXPECT_THROW(summarize_sample("x", {1.0, std::numeric_limits<double>::quiet_NaN()}), std::invalid_argument);
  EXPECT_THROW(summarize_sample("x", {std::numeric_limits<double>::infinity()}), std::invalid_argument);
}

ScenarioMetrics scenario(micro_usd bad_debt, micro_usd fund_end, std::vector<double> liquidated, double adl,
                         std::int32_t rounds_max, std::vector<double> margin_scale, std::int32_t exhausted,
                         std::int32_t cap_hits, micro_usd residual) {
  ScenarioMetrics metrics;
  metrics.ledger.bad_debt = bad_debt;
  metrics.ledger.conservation_residual = residual;
  metrics.insurance_fund_end = fund_end;
  metrics.liquidated_notional_usd = std::move(liquidated);
  metrics.adl_notional_usd = adl;
  metrics.deleveraged_notional_usd = {adl / 2.0, adl / 4.0};
  metrics.cascade_rounds_max = rounds_max;
  metrics.max_margin_scale = std::move(margin_scale);
  metrics.fund_exhausted = exhausted;
  metrics.round_cap_hits = cap_hits;
  return metrics;
}

TEST(SummarizeRun, CraftedScenarios) {
  const micro_usd initial_fund = to_micro_usd(3.0e6);
  const std::vector<ScenarioMetrics> scenarios = {
      scenario(0, to_micro_usd(3.1e6), {1.0e6, 2.0e6}, 0.0, 1, {1.0, 1.5}, 0, 0, 3),     // the fund grew
      scenario(to_micro_usd(2.5e5), 0, {4.0e7, 1.0e7}, 3.0e6, 7, {2.9, 3.0}, 1, 2, -7),  // exhausted
      scenario(0, to_micro_usd(2.5e6), {0.0, 0.0}, 0.0, 0, {1.2, 1.1}, 0, 0, 0),
      scenario(to_micro_usd(1.0e5), 0, {5.0e6, 0.0}, 1.0e6, 64, {2.0, 1.0}, 1, 1, 2),  // exhausted
  };
  const RunSummary run = summarize_run(scenarios, initial_fund);
  ASSERT_EQ(run.scenarios, 4);
  ASSERT_EQ(run.distributions.size(), 7u);
  const char* names[] = {"bad_debt_usd",     "insurance_fund_loss_usd",  "liquidated_notional_usd",
                         "adl_notional_usd", "deleveraged_notional_usd", "cascade_rounds_max",
                         "peak_margin_scale"};
  for (std::size_t i = 0; i < 7; ++i) EXPECT_EQ(run.distributions[i].metric, names[i]);
  // Summed over markets: 3/4 of the ADL figures 0, 3e6, 0 and 1e6.
  EXPECT_DOUBLE_EQ(run.distributions[4].mean, 0.75 * (3.0e6 + 1.0e6) / 4.0);
  EXPECT_DOUBLE_EQ(run.distributions[4].max, 0.75 * 3.0e6);

  const DistributionSummary& bad_debt = run.distributions[0];
  EXPECT_DOUBLE_EQ(bad_debt.mean, (2.5e5 + 1.0e5) / 4.0);
  EXPECT_EQ(bad_debt.max, 2.5e5);

  // Loss is positive: 3e6 - 3.1e6 = -1e5 (the fund grew), 3e6, 5e5, 3e6.
  const DistributionSummary& fund_loss = run.distributions[1];
  EXPECT_DOUBLE_EQ(fund_loss.min, -1.0e5);
  EXPECT_DOUBLE_EQ(fund_loss.max, 3.0e6);
  EXPECT_DOUBLE_EQ(fund_loss.mean, (-1.0e5 + 3.0e6 + 5.0e5 + 3.0e6) / 4.0);

  const DistributionSummary& liquidated = run.distributions[2];  // summed over markets: 3e6, 5e7, 0, 5e6
  EXPECT_DOUBLE_EQ(liquidated.max, 5.0e7);
  EXPECT_DOUBLE_EQ(liquidated.mean, (3.0e6 + 5.0e7 + 0.0 + 5.0e6) / 4.0);
  EXPECT_EQ(liquidated.p50, 3.0e6);  // sorted 0, 3e6, 5e6, 5e7; ceil(2) = 2

  EXPECT_DOUBLE_EQ(run.distributions[3].mean, 1.0e6);
  EXPECT_EQ(run.distributions[5].max, 64.0);
  EXPECT_EQ(run.distributions[5].min, 0.0);
  const DistributionSummary& peak_scale = run.distributions[6];  // max over markets: 1.5, 3.0, 1.2, 2.0
  EXPECT_EQ(peak_scale.min, 1.2);
  EXPECT_EQ(peak_scale.max, 3.0);
  EXPECT_DOUBLE_EQ(peak_scale.mean, (1.5 + 3.0 + 1.2 + 2.0) / 4.0);

  EXPECT_EQ(run.fund_exhausted_scenarios, 2);
  EXPECT_DOUBLE_EQ(run.fund_exhaustion_probability, 0.5);
  EXPECT_EQ(run.round_cap_hits, 3);
  EXPECT_DOUBLE_EQ(run.max_abs_conservation_residual_usd, 7.0e-6);  // |-7| micro-dollars
}

TEST(SummarizeRun, NoExhaustionNoResidual) {
  const std::vector<ScenarioMetrics> scenarios(3, scenario(0, to_micro_usd(10.0), {0.0}, 0.0, 1, {1.0}, 0, 0, 0));
  const RunSummary run = summarize_run(scenarios, to_micro_usd(10.0));
  EXPECT_EQ(run.fund_exhausted_scenarios, 0);
  EXPECT_EQ(run.fund_exhaustion_probability, 0.0);
  EXPECT_EQ(run.max_abs_conservation_residual_usd, 0.0);
  EXPECT_EQ(run.distributions[1].max, 0.0);
}

TEST(SummarizeRun, RejectsAnEmptyRun) { EXPECT_THROW(summarize_run({}, 0), std::invalid_argument); }

}  // namespace
}  // namespace margin_stress
