// An OHLC replay reaches a bar's low between its closes (docs/model.md, section 10.2): a wick
// liquidates an account that the closes alone leave standing, at the liquidation price derived by
// hand (section 7).
#include <gtest/gtest.h>

#include <string>

#include "scenarios/replay.hpp"
#include "tests/reference/engine_fixture.hpp"

namespace margin_stress::testing {
namespace {

// tests/data/replay_ohlc_wick.csv: 20-minute bars, replayed from 00:20 in 5-minute steps (each
// bar's four points one a step), rebase = false, so the market starts at the 00:00 bar's close, 100:
//   bar 00:20  100 101  92  95   (down: open, high, low, close)
//   bar 00:40   95  96  88  90   (down)
//   bar 01:00   90  89.5 93 92   (up: open, low, high, close)
// Closes 100, 95, 90, 92: the lowest is 90. Lows 92, 88, 89.5.
ModelConfig wick_config(const std::string& column) {
  ModelConfig config = hand_config(1, 1e300);  // no impact: fills at the fundamental price
  config.insurance_fund.initial_balance_usd = 1000.0;
  ReplaySeries replay;
  replay.market = "M0";
  replay.file = std::string(MARGIN_STRESS_SOURCE_DIR) + "/tests/data/replay_ohlc_wick.csv";
  replay.column = column;
  replay.start_utc = "2024-01-01T00:20:00Z";
  replay.rebase = false;
  config.scenario.replays.push_back(replay);
  return config;
}

BatchResults run_wick(const std::string& column, ScenarioPaths& paths) {
  const ModelConfig config = wick_config(column);
  paths = hand_paths({std::vector<std::vector<double>>(13, {100.0})});  // 12 steps of 300 s
  apply_replays(config, paths);
  // Long 10 lots of 1 unit at 100 with 150 of collateral, mmf 5 %: equity 10 M - 850 falls below
  // maintenance 0.5 M once M < 850 / 9.5 = 89.4737: below the low 88, above the lowest close 90 and
  // the last bar's low 89.5.
  const Portfolio book = hand_portfolio(config, {{150.0, {{0, 10, 100.0}}}});
  return run_cpu(config, book, paths);
}

TEST(ReplayWick, LowLiquidatesWhatTheClosesMiss) {
  ScenarioPaths paths;
  const BatchResults bars = run_wick("ohlc", paths);
  const double expected[] = {100, 100, 101, 92, 95, 95, 96, 88, 90, 90, 89.5, 93, 92};
  for (std::int64_t t = 0; t <= 12; ++t)
    EXPECT_EQ(paths.fundamental_price_usd[paths.price_index(0, t, 0)], expected[t]);
  const ScenarioMetrics& metrics = bars.scenarios[0];
  ASSERT_EQ(metrics.liquidation_count[0], 1);
  // Sold at 88 in step 7 (00:55, the 00:40 bar's low): cash -850 + 880 = 30, fee 0.005 * 880 = 4.40,
  // equity left 25.60.
  for (std::int64_t t = 1; t <= 12; ++t) {
    EXPECT_EQ(bars.series.liquidated_notional_usd[bars.series.market_index(0, t - 1, 0)], t == 7 ? 880.0 : 0.0)
        << "step " << t;
  }
  EXPECT_EQ(metrics.ledger.liquidation_fees, 4'400'000);
  EXPECT_EQ(metrics.ledger.trader_equity_change, 25'600'000 - 150'000'000);
  EXPECT_EQ(metrics.ledger.bad_debt, 0);
  EXPECT_EQ(metrics.ledger.conservation_residual, 0);

  // The closes alone (100 until 00:40, 95, 90 at 01:00, 92 at 01:20) never go below 89.4737.
  ScenarioPaths close_paths;
  const BatchResults closes = run_wick("close", close_paths);
  const double close_expected[] = {100, 100, 100, 100, 95, 95, 95, 95, 90, 90, 90, 90, 92};
  for (std::int64_t t = 0; t <= 12; ++t) {
    EXPECT_EQ(close_paths.fundamental_price_usd[close_paths.price_index(0, t, 0)], close_expected[t]);
  }
  EXPECT_EQ(closes.scenarios[0].liquidation_count[0], 0);
  // Still long at the end, marked at 92: equity 150 + 10 (92 - 100) = 70.
  EXPECT_EQ(closes.scenarios[0].ledger.trader_equity_change, 70'000'000 - 150'000'000);
}

}  // namespace
}  // namespace margin_stress::testing
