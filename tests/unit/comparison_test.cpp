// The statistics of `margin-stress compare` (docs/compare.md) against hand computations: paired
// differences and their standard errors, the procyclicality windows, the book's margin path read
// from the step series, and the tail differences with their paired bootstrap.
#include "host/analysis/comparison.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace margin_stress {
namespace {

TEST(PairedDifference, MatchesAHandComputation) {
  // d = {2, 1, 3, 0}: mean 1.5; squared deviations 0.25 + 0.25 + 2.25 + 2.25 = 5, variance 5 / 3,
  // SE = sqrt(5 / 3) / sqrt(4) = sqrt(5 / 12), t = 1.5 / sqrt(5 / 12).
  const PairedDifference d = paired_difference("x", {3.0, 5.0, 10.0, 2.0}, {1.0, 4.0, 7.0, 2.0});
  EXPECT_EQ(d.metric, "x");
  EXPECT_EQ(d.scenarios, 4);
  EXPECT_DOUBLE_EQ(d.mean_difference, 1.5);
  EXPECT_DOUBLE_EQ(d.standard_error, std::sqrt(5.0 / 12.0));
  EXPECT_DOUBLE_EQ(d.t_statistic, 1.5 / std::sqrt(5.0 / 12.0));
}

TEST(PairedDifference, PairingRemovesTheScenarioNoise) {
  // Both policies swing by thousands between scenarios, but one is always 1 above the other:
  // the paired difference is exactly 1 with no error, whatever the scenarios' spread.
  const std::vector<double> baseline = {1000.0, 5000.0, 250.0, 9000.0};
  const std::vector<double> policy = {1001.0, 5001.0, 251.0, 9001.0};
  const PairedDifference d = paired_difference("x", policy, baseline);
  EXPECT_EQ(d.mean_difference, 1.0);
  EXPECT_EQ(d.standard_error, 0.0);
  EXPECT_TRUE(std::isnan(d.t_statistic));  // t is not defined without an error
}

TEST(PairedDifference, APolicyAgainstItselfIsExactlyZero) {
  const std::vector<double> x = {0.1, 7.3, 1e9, 0.0, 42.0};
  const PairedDifference d = paired_difference("x", x, x);
  EXPECT_EQ(d.mean_difference, 0.0);
  EXPECT_EQ(d.standard_error, 0.0);
  EXPECT_TRUE(std::isnan(d.t_statistic));
}

TEST(PairedDifference, OneScenarioHasNoStandardError) {
  const PairedDifference d = paired_difference("x", {3.0}, {1.0});
  EXPECT_EQ(d.mean_difference, 2.0);
  EXPECT_TRUE(std::isnan(d.standard_error));
  EXPECT_TRUE(std::isnan(d.t_statistic));
}

TEST(PairedDifference, RefusesMismatchedEmptyOrNonFiniteSamples) {
  EXPECT_THROW(paired_difference("x", {1.0, 2.0}, {1.0}), std::invalid_argument);
  EXPECT_THROW(paired_difference("x", {}, {}), std::invalid_argument);
  EXPECT_THROW(paired_difference("x", {1.0, std::numeric_limits<double>::quiet_NaN()}, {1.0, 2.0}),
               std::invalid_argument);
}

TEST(WindowSteps, RoundsTheWindowToWholeStepsAndKeepsAtLeastOne) {
  EXPECT_EQ(window_steps(3600.0, 900.0), 4);
  EXPECT_EQ(window_steps(3600.0, 300.0), 12);
  EXPECT_EQ(window_steps(86400.0, 900.0), 96);
  EXPECT_EQ(window_steps(3600.0, 1000.0), 4);  // 3.6 steps
  EXPECT_EQ(window_steps(3600.0, 7200.0), 1);  // a window shorter than a step: one step
}

TEST(LargestIncrease, LooksBackAtMostTheWindow) {
  const std::vector<double> x = {10.0, 20.0, 5.0, 6.0, 30.0};
  // Within one step: 10 -> 20 (+10, +100 %), 5 -> 6 (+1, +20 %), 6 -> 30 (+24, +400 %).
  const LargestIncrease one = largest_increase(x, 1);
  EXPECT_EQ(one.value, 24.0);
  EXPECT_EQ(one.fraction, 4.0);
  // Within three steps the rise to 30 can start from 5: +25, +500 %.
  const LargestIncrease three = largest_increase(x, 3);
  EXPECT_EQ(three.value, 25.0);
  EXPECT_EQ(three.fraction, 5.0);
}

TEST(LargestIncrease, IsZeroWhenNothingRises) {
  const LargestIncrease falling = largest_increase({5.0, 4.0, 3.0}, 2);
  EXPECT_EQ(falling.value, 0.0);
  EXPECT_EQ(falling.fraction, 0.0);
  const LargestIncrease single = largest_increase({5.0}, 2);
  EXPECT_EQ(single.value, 0.0);
  EXPECT_EQ(single.fraction, 0.0);
}

TEST(LargestIncrease, ARiseFromZeroHasAValueButNoFraction) {
  const LargestIncrease from_zero = largest_increase({0.0, 5.0}, 1);
  EXPECT_EQ(from_zero.value, 5.0);
  EXPECT_EQ(from_zero.fraction, 0.0);
}

// Two markets and two steps of one scenario, filled by hand.
struct HandSeries {
  BatchResults results;
  HandSeries() {
    results.scenarios.resize(1);
    results.series.resize(1, 2, 2);
    StepSeries& s = results.series;
    // Step 1: 100 USD on a notional of 1000 and 80 on 200.
    s.initial_margin_usd[s.market_index(0, 0, 0)] = 100.0;
    s.open_notional_usd[s.market_index(0, 0, 0)] = 1000.0;
    s.initial_margin_usd[s.market_index(0, 0, 1)] = 80.0;
    s.open_notional_usd[s.market_index(0, 0, 1)] = 200.0;
    // Step 2: 300 on 1500, and the second market closed.
    s.initial_margin_usd[s.market_index(0, 1, 0)] = 300.0;
    s.open_notional_usd[s.market_index(0, 1, 0)] = 1500.0;
  }
};

TEST(BookMarginPath, SumsTheMarkets) {
  const HandSeries hand;
  const BookMarginPath path = book_margin_path(hand.results.series, 0);
  EXPECT_EQ(path.required_margin_usd, (std::vector<double>{180.0, 300.0}));
  EXPECT_EQ(path.open_notional_usd, (std::vector<double>{1200.0, 1500.0}));
}

TEST(PolicyScenarioMetrics, ReadsTheEngineOutputOfEachScenario) {
  HandSeries hand;
  ScenarioMetrics& scenario = hand.results.scenarios[0];
  scenario.ledger.bad_debt = 2'500'000;  // 2.5 USD
  scenario.liquidated_notional_usd = {100.0, 50.0};
  scenario.adl_notional_usd = 7.0;
  scenario.fund_exhausted = 1;
  scenario.cascade_rounds_total = 9;
  scenario.cascade_rounds_max = 4;
  PolicyScenarioMetrics metrics;
  // 1800-second steps: the 1-hour window is 2 steps, the 24-hour window 48.
  append_policy_scenario_metrics(hand.results, 1800.0, metrics);
  append_policy_scenario_metrics(hand.results, 1800.0, metrics);  // a second batch appends
  ASSERT_EQ(metrics.bad_debt_usd.size(), 2u);
  EXPECT_EQ(metrics.bad_debt_usd[1], 2.5);
  EXPECT_EQ(metrics.liquidated_notional_usd[1], 150.0);
  EXPECT_EQ(metrics.adl_notional_usd[1], 7.0);
  EXPECT_EQ(metrics.fund_exhausted[1], 1.0);
  EXPECT_EQ(metrics.cascade_rounds_total[1], 9.0);
  EXPECT_EQ(metrics.cascade_rounds_max[1], 4.0);
  EXPECT_DOUBLE_EQ(metrics.average_required_margin_usd[1], (180.0 + 300.0) / 2.0);
  EXPECT_EQ(metrics.peak_required_margin_usd[1], 300.0);
  // Leverage 1200 / 180 at step 1 and 1500 / 300 = 5 at step 2.
  EXPECT_DOUBLE_EQ(metrics.average_allowed_leverage[1], (1200.0 / 180.0 + 5.0) / 2.0);
  EXPECT_EQ(metrics.margin_increase_short_usd[1], 120.0);
  EXPECT_DOUBLE_EQ(metrics.margin_increase_short_fraction[1], 300.0 / 180.0 - 1.0);
  EXPECT_EQ(metrics.margin_increase_long_usd[1], 120.0);
  for (const ComparisonMetric& metric : comparison_metrics()) {
    EXPECT_EQ((metrics.*metric.values).size(), 2u) << metric.name;
  }
}

TEST(PolicyScenarioMetrics, RefusesASeriesOfAnotherShape) {
  HandSeries hand;
  hand.results.scenarios.resize(2);
  PolicyScenarioMetrics metrics;
  EXPECT_THROW(append_policy_scenario_metrics(hand.results, 900.0, metrics), std::invalid_argument);
}

// 200 losses: mostly zero, a tail of positive values, as bad debt looks.
std::vector<double> tail_sample() {
  std::vector<double> x;
  for (int i = 0; i < 200; ++i) x.push_back(i % 7 == 0 ? static_cast<double>((i * 37) % 101) : 0.0);
  return x;
}

TEST(TailDifferences, APolicyAgainstItselfIsExactlyZero) {
  const std::vector<double> x = tail_sample();
  const std::vector<TailDifference> tails = tail_differences(x, x, 200, bootstrap_seed);
  ASSERT_EQ(tails.size(), 4u);
  EXPECT_EQ(tails[0].statistic, "var_99");
  EXPECT_EQ(tails[3].statistic, "es_999");
  for (const TailDifference& tail : tails) {
    EXPECT_EQ(tail.difference, 0.0) << tail.statistic;
    EXPECT_EQ(tail.bootstrap_standard_error, 0.0) << tail.statistic;
  }
}

TEST(TailDifferences, AShiftMovesEveryResampleByTheShift) {
  // policy = baseline + 5 keeps the order, so every resample's VaR differs by exactly 5 (ES by 5
  // up to the rounding of its tail mean): the bootstrap error is 0.
  const std::vector<double> baseline = tail_sample();
  std::vector<double> policy = baseline;
  for (double& x : policy) x += 5.0;
  const std::vector<TailDifference> tails = tail_differences(policy, baseline, 200, bootstrap_seed);
  EXPECT_EQ(tails[0].difference, 5.0);
  EXPECT_EQ(tails[0].bootstrap_standard_error, 0.0);
  EXPECT_EQ(tails[2].difference, 5.0);
  for (const TailDifference& tail : tails) {
    EXPECT_NEAR(tail.difference, 5.0, 1e-12) << tail.statistic;
    EXPECT_NEAR(tail.bootstrap_standard_error, 0.0, 1e-12) << tail.statistic;
  }
}

TEST(TailDifferences, ResamplesTheSameScenariosForBothPoliciesReproducibly) {
  const std::vector<double> baseline = tail_sample();
  std::vector<double> policy(baseline.size());
  for (std::size_t i = 0; i < policy.size(); ++i) policy[i] = baseline[i] * (i % 3 == 0 ? 0.5 : 1.0);
  const std::vector<TailDifference> first = tail_differences(policy, baseline, 300, bootstrap_seed);
  const std::vector<TailDifference> again = tail_differences(policy, baseline, 300, bootstrap_seed);
  const std::vector<TailDifference> other_seed = tail_differences(policy, baseline, 300, bootstrap_seed + 1);
  // VaR 99 %: order statistic 198 of 200.
  EXPECT_EQ(first[0].policy_value, summarize_sample("p", policy).var_99);
  EXPECT_EQ(first[0].baseline_value, summarize_sample("b", baseline).var_99);
  for (std::size_t k = 0; k < first.size(); ++k) {
    EXPECT_EQ(first[k].difference, first[k].policy_value - first[k].baseline_value);
    EXPECT_TRUE(std::isfinite(first[k].bootstrap_standard_error));
    EXPECT_GT(first[k].bootstrap_standard_error, 0.0) << first[k].statistic;
    EXPECT_EQ(first[k].bootstrap_standard_error, again[k].bootstrap_standard_error);
  }
  EXPECT_NE(first[0].bootstrap_standard_error, other_seed[0].bootstrap_standard_error);
}

TEST(TailDifferences, FewerThanTwoReplicatesGiveNoError) {
  const std::vector<double> x = tail_sample();
  EXPECT_TRUE(std::isnan(tail_differences(x, x, 1, bootstrap_seed)[0].bootstrap_standard_error));
}

TEST(CompareToBaseline, CoversEveryMetricInOrder) {
  HandSeries hand;
  PolicyScenarioMetrics metrics;
  for (int i = 0; i < 3; ++i) append_policy_scenario_metrics(hand.results, 900.0, metrics);
  const BaselineComparison comparison = compare_to_baseline(metrics, metrics, 10, bootstrap_seed);
  ASSERT_EQ(comparison.means.size(), comparison_metrics().size());
  for (std::size_t i = 0; i < comparison.means.size(); ++i) {
    EXPECT_EQ(comparison.means[i].metric, comparison_metrics()[i].name);
    EXPECT_EQ(comparison.means[i].mean_difference, 0.0);
    EXPECT_EQ(comparison.means[i].standard_error, 0.0);
  }
  EXPECT_EQ(comparison.bad_debt_tail.size(), 4u);
  EXPECT_EQ(summarize_policy(metrics).size(), comparison_metrics().size());
}

}  // namespace
}  // namespace margin_stress
