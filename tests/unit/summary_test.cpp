// Cross-scenario statistics against hand-computed values (estimators in docs/model.md,
// "Metrics across scenarios").
#include "host/analysis/summary.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/analysis/intervals.hpp"

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
  EXPECT_EQ(s.p50, 5.0);      // ceil(0.5 * 10) = 5: the lower quantile, not the midpoint 5.5
  EXPECT_EQ(s.p90, 9.0);      // ceil(9) = 9
  EXPECT_EQ(s.var_99, 10.0);  // ceil(9.9) = 10
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
  EXPECT_EQ(s.var_99, 990.0);
  EXPECT_EQ(s.var_999, 999.0);
  // alpha n is an integer: ES is the mean of the worst (1 - alpha) n values.
  EXPECT_DOUBLE_EQ(s.es_99, (991.0 + 1000.0) / 2.0);  // mean of 991..1000
  EXPECT_DOUBLE_EQ(s.es_999, 1000.0);
}

// The intervals of docs/model.md, "Uncertainty of the figures", for x_i = i, n = 1000. The ranks
// that bracket a quantile were computed exactly with rational arithmetic (Python's fractions):
// P(Bin(1000, 0.99) <= 982) <= 0.025 < P(Bin <= 983) and P(Bin <= 995) < 0.975 <= P(Bin <= 996)
// give ranks 983 and 997; at 0.999, 997 and none above (P(Bin(1000, 0.999) <= 999) < 0.975).
TEST(SummarizeSample, IntervalsOfAThousandIntegers) {
  const DistributionSummary s = summarize_sample("x", descending_integers(1000));
  EXPECT_DOUBLE_EQ(s.standard_error, std::sqrt(1000.0 * 1001.0 / 12.0) / std::sqrt(1000.0));
  EXPECT_EQ(s.var_99_interval.lower, 983.0);
  EXPECT_EQ(s.var_99_interval.upper, 997.0);
  EXPECT_DOUBLE_EQ(s.es_99_interval.lower, (983.0 + 1000.0) / 2.0);  // mean of 983..1000
  EXPECT_DOUBLE_EQ(s.es_99_interval.upper, (997.0 + 1000.0) / 2.0);  // mean of 997..1000
  EXPECT_EQ(s.tail_99_scenarios, 10);
  EXPECT_EQ(s.var_999_interval.lower, 997.0);
  EXPECT_EQ(s.var_999_interval.upper, std::numeric_limits<double>::infinity()) << "beyond the sample";
  EXPECT_DOUBLE_EQ(s.es_999_interval.lower, (997.0 + 1000.0) / 2.0);
  EXPECT_EQ(s.es_999_interval.upper, std::numeric_limits<double>::infinity());
  EXPECT_EQ(s.tail_999_scenarios, 1) << "VaR99.9 rests on one scenario beyond it: thin";
}

TEST(QuantileRankInterval, ExactBinomialRanks) {
  // The classic table: the median of 20 lies between x_(6) and x_(15) with probability >= 0.95.
  EXPECT_EQ(quantile_rank_interval(20, 0.5).lower, 6);
  EXPECT_EQ(quantile_rank_interval(20, 0.5).upper, 15);
  EXPECT_EQ(quantile_rank_interval(100, 0.5).lower, 40);
  EXPECT_EQ(quantile_rank_interval(100, 0.5).upper, 61);
  EXPECT_EQ(quantile_rank_interval(500, 0.99).lower, 490);
  EXPECT_EQ(quantile_rank_interval(500, 0.99).upper, 500);
  // 0.99^366 = 0.0252 > 0.025: 366 scenarios cannot bound VaR99 from above; 4,000 bound VaR99.9.
  EXPECT_EQ(quantile_rank_interval(366, 0.99).lower, 358);
  EXPECT_EQ(quantile_rank_interval(366, 0.99).upper, 367);
  EXPECT_EQ(quantile_rank_interval(4000, 0.999).lower, 3992);
  EXPECT_EQ(quantile_rank_interval(4000, 0.999).upper, 4000);
}

TEST(WilsonInterval, HandComputedValues) {
  // The example: 3 exhaustions in 500 scenarios, 0.0020 to 0.0175.
  const ProbabilityInterval three = wilson_interval(3, 500);
  EXPECT_NEAR(three.lower, 0.0020425962719602371, 1e-15);
  EXPECT_NEAR(three.upper, 0.017490252104053378, 1e-15);
  const ProbabilityInterval none = wilson_interval(0, 100);
  EXPECT_EQ(none.lower, 0.0);
  EXPECT_NEAR(none.upper, 1.959963984540054 * 1.959963984540054 / (100.0 + 1.959963984540054 * 1.959963984540054),
              1e-15);  // z^2 / (n + z^2) with no success
  EXPECT_EQ(wilson_interval(7, 7).upper, 1.0);
  EXPECT_THROW(wilson_interval(1, 0), std::invalid_argument);
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
  for (const double value : {s.min, s.p50, s.p90, s.max, s.var_99, s.es_99, s.var_999, s.es_999}) {
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
    EXPECT_LE(s.p90, s.var_99);
    EXPECT_LE(s.var_99, s.var_999);
    EXPECT_LE(s.var_999, s.max);
    // Every interval holds its estimate.
    EXPECT_LE(s.var_99_interval.lower, s.var_99);
    EXPECT_GE(s.var_99_interval.upper, s.var_99);
    EXPECT_LE(s.es_99_interval.lower, s.es_99);
    EXPECT_GE(s.es_99_interval.upper, s.es_99);
    EXPECT_LE(s.var_999_interval.lower, s.var_999);
    EXPECT_GE(s.var_999_interval.upper, s.var_999);
    EXPECT_LE(s.es_999_interval.lower, s.es_999);
    EXPECT_GE(s.es_999_interval.upper, s.es_999);
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

const DistributionSummary& named(const RunSummary& run, const std::string& metric) {
  for (const DistributionSummary& distribution : run.distributions) {
    if (distribution.metric == metric) return distribution;
  }
  throw std::invalid_argument("no summary of " + metric);
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
  const char* names[] = {"platform_loss_usd",       "bad_debt_usd",
                         "insurance_fund_draw_usd", "adl_haircut_usd",
                         "backstop_vault_loss_usd", "liquidity_provider_loss_usd",
                         "insurance_fund_loss_usd", "liquidated_notional_usd",
                         "adl_notional_usd",        "deleveraged_notional_usd",
                         "cascade_rounds_max",      "peak_margin_scale"};
  ASSERT_EQ(run.distributions.size(), std::size(names));
  for (std::size_t i = 0; i < std::size(names); ++i) EXPECT_EQ(run.distributions[i].metric, names[i]);
  // Summed over markets: 3/4 of the ADL figures 0, 3e6, 0 and 1e6.
  EXPECT_DOUBLE_EQ(named(run, "deleveraged_notional_usd").mean, 0.75 * (3.0e6 + 1.0e6) / 4.0);
  EXPECT_DOUBLE_EQ(named(run, "deleveraged_notional_usd").max, 0.75 * 3.0e6);

  const DistributionSummary& bad_debt = named(run, "bad_debt_usd");
  EXPECT_DOUBLE_EQ(bad_debt.mean, (2.5e5 + 1.0e5) / 4.0);
  EXPECT_EQ(bad_debt.max, 2.5e5);

  // Loss is positive: 3e6 - 3.1e6 = -1e5 (the fund grew), 3e6, 5e5, 3e6.
  const DistributionSummary& fund_loss = named(run, "insurance_fund_loss_usd");
  EXPECT_DOUBLE_EQ(fund_loss.min, -1.0e5);
  EXPECT_DOUBLE_EQ(fund_loss.max, 3.0e6);
  EXPECT_DOUBLE_EQ(fund_loss.mean, (-1.0e5 + 3.0e6 + 5.0e5 + 3.0e6) / 4.0);

  const DistributionSummary& liquidated = named(run, "liquidated_notional_usd");  // summed: 3e6, 5e7, 0, 5e6
  EXPECT_DOUBLE_EQ(liquidated.max, 5.0e7);
  EXPECT_DOUBLE_EQ(liquidated.mean, (3.0e6 + 5.0e7 + 0.0 + 5.0e6) / 4.0);
  EXPECT_EQ(liquidated.p50, 3.0e6);  // sorted 0, 3e6, 5e6, 5e7; ceil(2) = 2

  EXPECT_DOUBLE_EQ(named(run, "adl_notional_usd").mean, 1.0e6);
  EXPECT_EQ(named(run, "cascade_rounds_max").max, 64.0);
  EXPECT_EQ(named(run, "cascade_rounds_max").min, 0.0);
  const DistributionSummary& peak_scale = named(run, "peak_margin_scale");  // max over markets: 1.5, 3.0, 1.2, 2.0
  EXPECT_EQ(peak_scale.min, 1.2);
  EXPECT_EQ(peak_scale.max, 3.0);
  EXPECT_DOUBLE_EQ(peak_scale.mean, (1.5 + 3.0 + 1.2 + 2.0) / 4.0);

  EXPECT_EQ(run.fund_exhausted_scenarios, 2);
  EXPECT_DOUBLE_EQ(run.fund_exhaustion_probability, 0.5);
  // Wilson's interval for 2 of 4, by hand: centre (0.5 + z^2/8) / (1 + z^2/4) = 0.5, half-width
  // z / (1 + z^2/4) sqrt(0.25/4 + z^2/64) = 0.34996...
  EXPECT_NEAR(run.fund_exhaustion_interval.lower, 0.15003898915214953, 1e-15);
  EXPECT_NEAR(run.fund_exhaustion_interval.upper, 0.84996101084785047, 1e-15);
  EXPECT_EQ(run.round_cap_hits, 3);
  EXPECT_DOUBLE_EQ(run.max_abs_conservation_residual_usd, 7.0e-6);  // |-7| micro-dollars
}

TEST(SummarizeRun, NoExhaustionNoResidual) {
  const std::vector<ScenarioMetrics> scenarios(3, scenario(0, to_micro_usd(10.0), {0.0}, 0.0, 1, {1.0}, 0, 0, 0));
  const RunSummary run = summarize_run(scenarios, to_micro_usd(10.0));
  EXPECT_EQ(run.fund_exhausted_scenarios, 0);
  EXPECT_EQ(run.fund_exhaustion_probability, 0.0);
  EXPECT_EQ(run.max_abs_conservation_residual_usd, 0.0);
  EXPECT_EQ(named(run, "insurance_fund_loss_usd").max, 0.0);
}

// Every loss bearer of the ledger, and the platform's loss as their total: bad debt written off,
// the fund's payouts, ADL haircuts and the backstop vault's loss; the outside liquidity providers'
// loss beside it (negative: they gained).
TEST(SummarizeRun, LossBearersAndTheirTotal) {
  ScenarioMetrics metrics = scenario(to_micro_usd(100.0), to_micro_usd(0.0), {0.0}, 0.0, 0, {1.0}, 1, 0, 0);
  metrics.ledger.insurance_payout = to_micro_usd(1000.0);
  metrics.ledger.adl_haircut = to_micro_usd(250.0);
  metrics.ledger.vault_pnl = to_micro_usd(-40.5);
  metrics.ledger.liquidity_provider_pnl = to_micro_usd(75.0);
  const RunSummary run = summarize_run({metrics}, to_micro_usd(1000.0));
  EXPECT_DOUBLE_EQ(named(run, "bad_debt_usd").mean, 100.0);
  EXPECT_DOUBLE_EQ(named(run, "insurance_fund_draw_usd").mean, 1000.0);
  EXPECT_DOUBLE_EQ(named(run, "adl_haircut_usd").mean, 250.0);
  EXPECT_DOUBLE_EQ(named(run, "backstop_vault_loss_usd").mean, 40.5);
  EXPECT_DOUBLE_EQ(named(run, "platform_loss_usd").mean, 100.0 + 1000.0 + 250.0 + 40.5);
  EXPECT_DOUBLE_EQ(named(run, "liquidity_provider_loss_usd").mean, -75.0);
}

TEST(SummarizeRun, RejectsAnEmptyRun) { EXPECT_THROW(summarize_run({}, 0), std::invalid_argument); }

}  // namespace
}  // namespace margin_stress
