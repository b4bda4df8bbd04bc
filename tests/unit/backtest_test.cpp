// The coverage backtest (host/analysis/backtest.hpp, docs/backtest.md) on synthetic price series
// whose exceedances are known by construction, and the policy's scale over a file against the
// EWMA worked out by hand.
#include "host/analysis/backtest.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <vector>

#include "host/engine/margin_policy.hpp"
#include "host/io/config_file.hpp"
#include "host/model/input_error.hpp"

namespace margin_stress {
namespace {

using calibration::PriceSeries;

constexpr std::int64_t hour = 3600;
constexpr std::int64_t start_time = 1609459200;  // 2021-01-01T00:00:00Z
constexpr double seconds_per_year = 365.0 * 86400.0;

PriceSeries hourly_series(const std::vector<double>& prices) {
  PriceSeries series;
  series.source = "synthetic.csv";
  series.market = "BTC";
  for (std::size_t t = 0; t < prices.size(); ++t) {
    series.time_seconds.push_back(start_time + static_cast<std::int64_t>(t) * hour);
    series.price_usd.push_back(prices[t]);
  }
  return series;
}

// 100 hourly rows starting at 100: return k (row k-1 to row k) is x1.001 for odd k and /1.001 for
// even k, far inside a 0.5 % margin over 1 or 3 bars, except the planted returns.
PriceSeries planted_series(const std::map<std::size_t, double>& planted) {
  std::vector<double> prices{100.0};
  for (std::size_t k = 1; k < 100; ++k) {
    const auto found = planted.find(k);
    const double factor = found != planted.end() ? found->second : (k % 2 == 1 ? 1.001 : 1.0 / 1.001);
    prices.push_back(prices.back() * factor);
  }
  return hourly_series(prices);
}

// BTC of the built-in default (mmf 0.005, sigma_ref 0.5) under `policy`.
ModelConfig config_with(const MarginPolicyParams& policy) {
  ModelConfig config = default_config();
  config.margin_policy = policy;
  return config;
}

MarginPolicyParams static_policy() {
  MarginPolicyParams policy;
  policy.kind = MarginPolicyKind::static_margin;
  return policy;
}

MarginPolicyParams ewma_policy(double lambda) {
  MarginPolicyParams policy;
  policy.kind = MarginPolicyKind::volatility_scaled;
  policy.volatility_estimator = VolatilityEstimator::ewma;
  policy.ewma_lambda = lambda;
  policy.scale_floor = 1.0;
  policy.scale_cap = 3.0;
  return policy;
}

// Long moves at returns 20, 21 (-1 % each) and 80 (-1.5 %), a short one at 50 (+1.1 %): with one-bar
// windows those are the windows starting at rows 19, 20, 79 (long) and 49 (short).
const std::map<std::size_t, double> planted{{20, 0.99}, {21, 0.99}, {50, 1.011}, {80, 0.985}};

TEST(CoverageBacktest, CountsExactlyThePlantedExceedancesOverOneBar) {
  const PriceSeries series = planted_series(planted);
  const CoverageBacktest r = run_coverage_backtest(series, config_with(static_policy()), 0, 1, {0.99, 0.95});
  EXPECT_EQ(r.bars, 100);
  EXPECT_EQ(r.bar_seconds, hour);
  EXPECT_EQ(r.missing_bars, 0);
  EXPECT_EQ(r.maintenance_margin_fraction, 0.005);
  EXPECT_EQ(r.non_overlapping.windows, 99);
  EXPECT_EQ(r.non_overlapping.long_exceedances, 3);
  EXPECT_EQ(r.non_overlapping.short_exceedances, 1);
  EXPECT_EQ(r.non_overlapping.either_exceedances, 4);
  EXPECT_EQ(r.overlapping.windows, 99);  // one-bar windows never overlap
  EXPECT_EQ(r.overlapping.either_exceedances, 4);

  ASSERT_EQ(r.exceedances.size(), 4u);
  const std::vector<std::int64_t> rows{19, 20, 49, 79};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(r.exceedances[i].start_time_seconds, start_time + rows[i] * hour);
    EXPECT_EQ(r.exceedances[i].maintenance_fraction, 0.005);
  }
  EXPECT_NEAR(r.exceedances[3].price_ratio, 0.985, 1e-12);

  // Exceedances at windows 19, 20, 49, 79 of 0..98: into 1 three times (19, 49, 79), 1 -> 1 once
  // (19 -> 20), out of 1 three times, and 98 - 7 = 91 calm transitions.
  EXPECT_EQ(r.transitions.n00, 91);
  EXPECT_EQ(r.transitions.n01, 3);
  EXPECT_EQ(r.transitions.n10, 3);
  EXPECT_EQ(r.transitions.n11, 1);

  ASSERT_EQ(r.levels.size(), 2u);
  // Kupiec with n = 99, x = 4, p = 0.01, by hand in coverage_tests_test.cpp: LR = 5.2441593.
  EXPECT_EQ(r.levels[0].confidence_level, 0.99);
  EXPECT_NEAR(r.levels[0].expected_rate, 0.01, 1e-15);
  EXPECT_NEAR(r.levels[0].pof.statistic, 5.244159266483074, 1e-9);
  EXPECT_LT(r.levels[0].pof.p_value, 0.05);
  // n p = 0.99 < 5: the exact binomial test is the POF verdict. P(0) = P(1) = 0.99^99 = 0.3697296,
  // P(2) = 4851 (1e-4) 0.99^97 = 0.1829975, P(3) = 156849 (1e-6) 0.99^96 = 0.0597669 are all likelier
  // than P(4) = 0.0144889, so the p-value is 1 - 0.3697296 - 0.3697296 - 0.1829975 - 0.0597669
  // = 0.0177764. At 95 %, n p = 4.95 is still below 5.
  EXPECT_EQ(r.levels[0].pof_test, ProportionTest::exact_binomial);
  EXPECT_NEAR(r.levels[0].exact_pof_p_value, 0.0177764, 1e-6);
  EXPECT_EQ(r.levels[0].pof_test_p_value(), r.levels[0].exact_pof_p_value);
  EXPECT_EQ(r.levels[1].pof_test, ProportionTest::exact_binomial);
  EXPECT_EQ(r.levels[0].independence.statistic, r.levels[1].independence.statistic);
  EXPECT_NEAR(r.levels[0].conditional.statistic, r.levels[0].pof.statistic + r.levels[0].independence.statistic, 1e-12);
  // 99 %: floor(0.99) = 0 exceedances allowed, so the largest |ratio - 1| / m: 0.015 / 0.005 = 3.
  // 95 %: floor(4.95) = 4 allowed, so the fifth largest, a small move: 0.001 / 0.005 = 0.2.
  EXPECT_NEAR(r.levels[0].in_sample_multiplier, 3.0, 1e-9);
  EXPECT_NEAR(r.levels[1].in_sample_multiplier, 0.2, 1e-6);
}

// Three-bar windows: non-overlapping ones start at rows 0, 3, ..., 96 (33 windows). Returns 20 and
// 21 fall in the window 18 -> 21 (one long exceedance), 50 in 48 -> 51 (short), 80 in 78 -> 81
// (long). Overlapping windows start at rows 0..96 (97); a planted return k is inside the windows
// starting at k-3, k-2, k-1: returns 20 and 21 give the long windows 17, 18, 19, 20 (4), 80 gives
// 77, 78, 79 (3 long), 50 gives 47, 48, 49 (3 short). Two small moves never offset a planted one
// below 0.5 % (0.99 x 1.001^2 = 0.992; 1.011 / 1.001^2 = 1.009).
TEST(CoverageBacktest, NonOverlappingWindowsStepByTheHorizon) {
  const CoverageBacktest r = run_coverage_backtest(planted_series(planted), config_with(static_policy()), 0, 3, {0.99});
  EXPECT_EQ(r.horizon_bars, 3);
  EXPECT_EQ(r.non_overlapping.windows, 33);
  EXPECT_EQ(r.non_overlapping.long_exceedances, 2);
  EXPECT_EQ(r.non_overlapping.short_exceedances, 1);
  EXPECT_EQ(r.non_overlapping.either_exceedances, 3);
  EXPECT_EQ(r.overlapping.windows, 97);
  EXPECT_EQ(r.overlapping.long_exceedances, 7);
  EXPECT_EQ(r.overlapping.short_exceedances, 3);
  EXPECT_EQ(r.overlapping.either_exceedances, 10);
  ASSERT_EQ(r.exceedances.size(), 3u);
  EXPECT_EQ(r.exceedances[0].start_time_seconds, start_time + 18 * hour);
  EXPECT_EQ(r.exceedances[1].start_time_seconds, start_time + 48 * hour);
  EXPECT_EQ(r.exceedances[2].start_time_seconds, start_time + 78 * hour);
  const TransitionCounts& c = r.transitions;
  EXPECT_EQ(c.n00 + c.n01 + c.n10 + c.n11, 32);
  EXPECT_EQ(c.n11, 0);
}

// Hours 0..9 with hour 5 missing (an exchange outage): a window whose end falls in the gap is
// dropped, one that spans it with both ends present is kept.
TEST(CoverageBacktest, DropsWindowsThatEndInAGap) {
  PriceSeries series = hourly_series({100, 100.1, 100, 100.1, 100, 100.1, 100, 100.1, 100, 100.1});
  series.time_seconds.erase(series.time_seconds.begin() + 5);
  series.price_usd.erase(series.price_usd.begin() + 5);
  const ModelConfig config = config_with(static_policy());
  const CoverageBacktest one_bar = run_coverage_backtest(series, config, 0, 1, {0.99});
  EXPECT_EQ(one_bar.bars, 9);
  EXPECT_EQ(one_bar.bar_seconds, hour);
  EXPECT_EQ(one_bar.missing_bars, 1);
  EXPECT_EQ(one_bar.non_overlapping.windows, 7);  // starts 0-3 and 6-8; 4 -> 5 and 9 -> 10 have no end
  const CoverageBacktest two_bars = run_coverage_backtest(series, config, 0, 2, {0.99});
  EXPECT_EQ(two_bars.non_overlapping.windows, 4);  // 0 -> 2, 2 -> 4, 4 -> 6 (across the gap), 6 -> 8
  EXPECT_EQ(two_bars.overlapping.windows, 6);      // also 1 -> 3, 7 -> 9; not 3 -> 5 nor 8 -> 10
}

// prices 100, 102, 101, 95, 95.5, then flat; lambda = 0.5, sigma_ref = 0.5, one-hour bars:
//   v(0) = 0.25 dt, v(t) = 0.5 v(t-1) + 0.5 r(t)^2, s(t) = clamp(sqrt(v(t) / dt) / 0.5, 1, 3)
// The raw scale goes 1, 2.71, 2.32, 8.3, 5.9, then halves in variance each flat hour (4.2, 2.9,
// 2.1, 1.5, 1.04, 0.74): the path meets the cap, the floor and the inside.
TEST(MarginScaleHistory, MatchesTheEwmaWorkedByHand) {
  const std::vector<double> prices{100, 102, 101, 95, 95.5, 95.5, 95.5, 95.5, 95.5, 95.5, 95.5};
  const MarginPolicyParams policy = ewma_policy(0.5);
  const ModelConfig config = config_with(policy);
  ASSERT_EQ(config.markets[0].reference_volatility, 0.5);
  const std::vector<double> scales = margin_scale_history(config, 0, prices, static_cast<double>(hour));
  ASSERT_EQ(scales.size(), prices.size());

  const double dt = 3600.0 / seconds_per_year;
  double variance = 0.25 * dt;
  double engine_variance = initial_ewma_variance(0.5, dt);
  bool at_cap = false, at_floor = false, inside = false;
  for (std::size_t t = 0; t < prices.size(); ++t) {
    if (t > 0) {
      const double r = std::log(prices[t] / prices[t - 1]);
      variance = 0.5 * variance + 0.5 * r * r;
      engine_variance = update_ewma_variance(engine_variance, r, 0.5);
    }
    const double by_hand = std::min(std::max(std::sqrt(variance / dt) / 0.5, 1.0), 3.0);
    EXPECT_NEAR(scales[t], by_hand, 1e-12 * by_hand) << "row " << t;
    EXPECT_EQ(scales[t], margin_scale(policy, engine_variance, 0.5, dt)) << "row " << t;
    at_cap = at_cap || scales[t] == 3.0;
    at_floor = at_floor || (t > 0 && scales[t] == 1.0);
    inside = inside || (scales[t] > 1.0 && scales[t] < 3.0);
  }
  EXPECT_EQ(scales[0], 1.0);  // v(0) = sigma_ref^2 dt: the scale starts at 1
  EXPECT_NEAR(scales[1], std::sqrt((0.125 * dt + 0.5 * std::pow(std::log(1.02), 2)) / dt) / 0.5, 1e-12);
  EXPECT_TRUE(at_cap && at_floor && inside);
}

// The scale of the window starting at row t uses returns up to row t only: changing row 6's price
// leaves s(0..5) alone and moves s(6).
TEST(MarginScaleHistory, ReactsWithTheEnginesOneStepLag) {
  std::vector<double> prices{100, 101, 100, 101, 100, 101, 100, 101};
  const ModelConfig config = config_with(ewma_policy(0.5));
  const std::vector<double> before = margin_scale_history(config, 0, prices, static_cast<double>(hour));
  prices[6] = 90.0;
  const std::vector<double> after = margin_scale_history(config, 0, prices, static_cast<double>(hour));
  for (std::size_t t = 0; t < 6; ++t) EXPECT_EQ(before[t], after[t]) << "row " << t;
  EXPECT_GT(after[6], before[6]);
}

// The speed limit is per hour, so it is converted with the bar (not run.step_seconds = 900 s): a
// limit of +50 % per hour lets a one-hour bar rise by exactly x1.5.
TEST(MarginScaleHistory, ConvertsTimeUnitsWithTheBar) {
  MarginPolicyParams policy = ewma_policy(0.5);
  policy.max_increase_per_hour = 0.5;
  const ModelConfig config = config_with(policy);
  ASSERT_NE(config.run.step_seconds, 3600.0);
  const std::vector<double> scales = margin_scale_history(config, 0, {100, 102, 90}, static_cast<double>(hour));
  EXPECT_EQ(scales[0], 1.0);
  EXPECT_NEAR(scales[1], 1.5, 1e-12);        // unlimited it would be 2.71
  EXPECT_NEAR(scales[2], 1.5 * 1.5, 1e-12);  // limited again from the limited 1.5, below the cap 3
  EXPECT_EQ(margin_scale_history(config_with(static_policy()), 0, {100, 102, 90}, 3600.0), std::vector<double>(3, 1.0));
}

// mmf = 1 %, lambda = 0: after flat prices the scale sits at the floor; a -1.5 % hour breaks the 1 %
// margin (the policy has not seen it yet), and lifts the scale to |ln 0.985| / (0.5 sqrt(dt)) = 2.83,
// so the same move in the next hour is covered (2.83 % > 1.5 %). The static margin fails both.
TEST(CoverageBacktest, VolatilityScalingCoversTheSecondMoveNotTheFirst) {
  std::vector<double> prices(30, 100.0);
  prices.push_back(prices.back() * 0.985);
  prices.push_back(prices.back() * 0.985);
  prices.insert(prices.end(), 10, prices.back());
  const PriceSeries series = hourly_series(prices);

  ModelConfig scaled = config_with(ewma_policy(0.0));
  scaled.markets[0].maintenance_margin_fraction = 0.01;
  scaled.markets[0].initial_margin_fraction = 0.01;
  ModelConfig fixed = scaled;
  fixed.margin_policy = static_policy();

  const CoverageBacktest s = run_coverage_backtest(series, scaled, 0, 1, {0.99});
  const CoverageBacktest f = run_coverage_backtest(series, fixed, 0, 1, {0.99});
  EXPECT_EQ(f.non_overlapping.long_exceedances, 2);
  EXPECT_EQ(s.non_overlapping.long_exceedances, 1);
  EXPECT_EQ(s.non_overlapping.short_exceedances, 0);
  ASSERT_EQ(s.exceedances.size(), 1u);
  EXPECT_EQ(s.exceedances[0].start_time_seconds, start_time + 29 * hour);
  EXPECT_EQ(s.exceedances[0].maintenance_fraction, 0.01);
  const double dt = 3600.0 / seconds_per_year;
  EXPECT_NEAR(s.max_scale, -std::log(0.985) / (0.5 * std::sqrt(dt)), 1e-9);
  EXPECT_GT(s.max_scale, 1.5);
}

// regime_aware filters this market's returns with the config's regime model: calm hours keep the
// scale low, an hour of +-5 % swings lifts it.
TEST(MarginScaleHistory, RegimeAwareFollowsTheFilteredRegime) {
  MarginPolicyParams policy;
  policy.kind = MarginPolicyKind::regime_aware;
  policy.regime_scales = {1.0, 1.5, 2.0, 3.0};
  policy.scale_floor = 1.0;
  policy.scale_cap = 3.0;
  const ModelConfig config = config_with(policy);
  ASSERT_EQ(config.regime_count(), policy.regime_scales.size());
  std::vector<double> prices{100.0};
  for (int t = 0; t < 200; ++t) prices.push_back(prices.back() * (t % 2 == 0 ? 1.0005 : 1.0 / 1.0005));
  for (int t = 0; t < 20; ++t) prices.push_back(prices.back() * (t % 2 == 0 ? 1.05 : 1.0 / 1.05));
  const std::vector<double> scales = margin_scale_history(config, 0, prices, 3600.0);
  for (const double scale : scales) {
    ASSERT_TRUE(std::isfinite(scale));
    EXPECT_GE(scale, 1.0);
    EXPECT_LE(scale, 3.0);
  }
  EXPECT_LT(scales[200], 1.5);
  EXPECT_GT(scales.back(), 2.0);
}

TEST(CoverageBacktest, RejectsWhatItCannotTest) {
  const PriceSeries series = hourly_series({100, 101, 102});
  const ModelConfig config = config_with(static_policy());
  EXPECT_THROW(run_coverage_backtest(series, config, 0, 3, {0.99}), InputError);  // no 3-hour window
  EXPECT_NO_THROW(run_coverage_backtest(series, config, 0, 2, {0.99}));
  EXPECT_THROW(run_coverage_backtest(series, config, 0, 0, {0.99}), std::invalid_argument);
  EXPECT_THROW(run_coverage_backtest(series, config, 0, 1, {1.0}), std::invalid_argument);
  EXPECT_THROW(run_coverage_backtest(series, config, 0, 1, {0.0}), std::invalid_argument);
  EXPECT_THROW(run_coverage_backtest(series, config, 99, 1, {0.99}), std::invalid_argument);
}

}  // namespace
}  // namespace margin_stress
