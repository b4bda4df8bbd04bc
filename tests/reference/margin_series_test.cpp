// The per-step series /series/open_notional_usd and /series/initial_margin_usd (docs/results.md):
// the notional of the positions still open at the end of each step, (sum of |q|) lot M per market,
// and the initial margin the policy requires on them, (sum of |q|) lot M imf s, worked out by hand
// on books of one and two accounts.
//
// Common ground (engine_fixture.hpp): markets at 100 USD, lot 1, imf 10 %, mmf 5 %, fee 0.5 %.
// "No impact" is depth 1e300: a sale moves the log price by ~1e-297, so marks equal the path.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/reference/engine_fixture.hpp"

namespace margin_stress::testing {
namespace {

constexpr double no_impact_depth_usd = 1e300;

double initial_margin(const StepSeries& series, std::int64_t scenario, std::int64_t step, std::int64_t market) {
  return series.initial_margin_usd[series.market_index(scenario, step - 1, market)];
}

double open_notional(const StepSeries& series, std::int64_t scenario, std::int64_t step, std::int64_t market) {
  return series.open_notional_usd[series.market_index(scenario, step - 1, market)];
}

// Two markets, static margins, three steps.
//   account 0: long 10 of M0 and short 5 of M1 at 100, collateral 10000: never liquidated.
//   account 1: long 20 of M0 at 100, collateral 150 (K = -1850).
// Step 1, M0 at 101: account 1 has E = -1850 + 2020 = 170 >= MM = 20 * 101 * 0.05 = 101.
//   notional (10 + 20) * 101 = 3030 and 5 * 100 = 500 (a short counts by |q|);
//   IM(M0) = 3030 * 0.1 = 303; IM(M1) = 500 * 0.1 = 50.
// Step 2, M0 at 95, M1 at 120: account 1 has E = 50 < MM = 95 and sells its 20 lots.
//   notional 10 * 95 = 950 and 5 * 120 = 600; IM(M0) = 95; IM(M1) = 60.
// Step 3, prices unchanged: the same.
TEST(MarginSeries, IsTheInitialMarginOfThePositionsLeftOpen) {
  const ModelConfig config = hand_config(2, no_impact_depth_usd);
  const Portfolio book =
      hand_portfolio(config, {{10000.0, {{0, 10, 100.0}, {1, -5, 100.0}}}, {150.0, {{0, 20, 100.0}}}});
  const ScenarioRun run =
      run_cpu_scenario(config, book, hand_paths({{{100.0, 100.0}, {101.0, 100.0}, {95.0, 120.0}, {95.0, 120.0}}}));
  ASSERT_EQ(run.metrics.liquidation_count[0], 1);  // account 1, at step 2
  ASSERT_EQ(run.series.liquidated_notional_usd[run.series.market_index(0, 1, 0)], 20.0 * 95.0);

  EXPECT_EQ(open_notional(run.series, 0, 1, 0), 3030.0);
  EXPECT_EQ(open_notional(run.series, 0, 1, 1), 500.0);
  EXPECT_EQ(open_notional(run.series, 0, 2, 0), 950.0);
  EXPECT_EQ(open_notional(run.series, 0, 3, 1), 600.0);
  EXPECT_DOUBLE_EQ(initial_margin(run.series, 0, 1, 0), 303.0);
  EXPECT_DOUBLE_EQ(initial_margin(run.series, 0, 1, 1), 50.0);
  EXPECT_DOUBLE_EQ(initial_margin(run.series, 0, 2, 0), 95.0);
  EXPECT_DOUBLE_EQ(initial_margin(run.series, 0, 2, 1), 60.0);
  EXPECT_DOUBLE_EQ(initial_margin(run.series, 0, 3, 0), 95.0);
  EXPECT_DOUBLE_EQ(initial_margin(run.series, 0, 3, 1), 60.0);
}

// Auto-deleveraging closes positions too (the example of mechanics_test.cpp, "ADL ranking"): at
// 92 the long of 10 (collateral 50) is liquidated with a deficit of 30, the fund is empty, and the
// short with the highest score closes 4 of its 10 lots. Left open: shorts of 10, 6 and 10 lots,
// notional 26 * 92 = 2392 and IM 239.2, at step 1 and at the quiet step 2 alike.
TEST(MarginSeries, CountsTheLotsClosedByAutoDeleveraging) {
  ModelConfig config = hand_config(1, no_impact_depth_usd);
  config.insurance_fund.initial_balance_usd = 0.0;
  config.insurance_fund.auto_deleveraging = true;
  const Portfolio book = hand_portfolio(
      config,
      {{50.0, {{0, 10, 100.0}}}, {1000.0, {{0, -10, 100.0}}}, {200.0, {{0, -10, 100.0}}}, {200.0, {{0, -10, 96.0}}}});
  const ScenarioRun run = run_cpu_scenario(config, book, hand_paths({{{100.0}, {92.0}, {92.0}}}));
  ASSERT_GT(run.metrics.adl_notional_usd, 0.0);
  ASSERT_EQ(run.state.quantity[2], -6);
  for (std::int64_t t = 1; t <= 2; ++t) {
    EXPECT_EQ(open_notional(run.series, 0, t, 0), 26.0 * 92.0) << "step " << t;
    EXPECT_DOUBLE_EQ(initial_margin(run.series, 0, t, 0), 239.2) << "step " << t;
  }
}

// A volatility-scaled policy on a market swinging 0.6 % a 5-minute step (about 1.5 times the
// reference volatility of 50 % a year): the scale rises above 1 from step 2 (the estimate sees
// step 1's return) and again at step 3, below the cap, and each step's margin uses that step's
// scale and its end-of-step mark: 14 open lots (a long of 10 and a short of 4) times
// 1 * M(t) * 0.1 * s(t).
TEST(MarginSeries, UsesTheStepsScaleAndEndOfStepMark) {
  ModelConfig config = hand_config(1, no_impact_depth_usd);
  config.margin_policy.kind = MarginPolicyKind::volatility_scaled;
  config.margin_policy.volatility_estimator = VolatilityEstimator::ewma;
  config.margin_policy.ewma_lambda = 0.9;
  config.margin_policy.scale_floor = 1.0;
  config.margin_policy.scale_cap = 3.0;
  const Portfolio book = hand_portfolio(config, {{1.0e6, {{0, 10, 100.0}}}, {1.0e6, {{0, -4, 100.0}}}});
  const ScenarioRun run = run_cpu_scenario(config, book, hand_paths({{{100.0}, {100.6}, {100.0}, {100.6}}}));
  const StepSeries& series = run.series;
  ASSERT_EQ(run.metrics.liquidation_count[0], 0);
  const auto scale = [&](std::int64_t step) { return series.margin_scale[series.market_index(0, step - 1, 0)]; };
  ASSERT_EQ(scale(1), 1.0);
  ASSERT_GT(scale(2), 1.0);
  ASSERT_GT(scale(3), scale(2));
  ASSERT_LT(scale(3), 3.0);
  for (std::int64_t t = 1; t <= 3; ++t) {
    const double mark = series.mark_price_usd[series.market_index(0, t - 1, 0)];
    // The engine's order of operations: the per-lot requirement lot M imf s, times the lots.
    EXPECT_EQ(initial_margin(series, 0, t, 0), 14.0 * (((1.0 * mark) * 0.1) * scale(t))) << "step " << t;
  }
  EXPECT_DOUBLE_EQ(initial_margin(series, 0, 2, 0), 14.0 * 100.0 * 0.1 * scale(2));
}

// Through the engine's run() on two threads: each scenario's margins land in its own rows.
//   scenario 0: the price stays at 100: IM = 10 * 100 * 0.1 = 100 at both steps.
//   scenario 1: it falls to 80 and the account (collateral 150, K = -850; at 80 E = -50 < MM 40)
//   is closed at step 1: IM = 0 from then on.
TEST(MarginSeries, FillsEveryScenarioOfABatch) {
  const ModelConfig config = hand_config(1, no_impact_depth_usd);
  const Portfolio book = hand_portfolio(config, {{150.0, {{0, 10, 100.0}}}});
  const BatchResults results =
      run_cpu(config, book, hand_paths({{{100.0}, {100.0}, {100.0}}, {{100.0}, {80.0}, {80.0}}}), 2);
  ASSERT_EQ(results.scenarios[1].liquidation_count[0], 1);
  EXPECT_DOUBLE_EQ(initial_margin(results.series, 0, 1, 0), 100.0);
  EXPECT_DOUBLE_EQ(initial_margin(results.series, 0, 2, 0), 100.0);
  EXPECT_EQ(initial_margin(results.series, 1, 1, 0), 0.0);
  EXPECT_EQ(initial_margin(results.series, 1, 2, 0), 0.0);
  EXPECT_EQ(open_notional(results.series, 0, 2, 0), 1000.0);
  EXPECT_EQ(open_notional(results.series, 1, 2, 0), 0.0);
}

}  // namespace
}  // namespace margin_stress::testing
