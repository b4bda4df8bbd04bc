// Single accounts against hand-derived liquidation prices (docs/model.md, sections 2 and 7).
#include <gtest/gtest.h>

#include <cmath>

#include "tests/reference/engine_fixture.hpp"

namespace margin_stress::testing {
namespace {

// Fundamental price falling one dollar a step from 100 to 80.
std::vector<std::vector<std::vector<double>>> falling_path() {
  std::vector<std::vector<double>> steps;
  for (int t = 0; t <= 20; ++t) steps.push_back({100.0 - t});
  return {steps};
}

// Long 10 lots of 1 unit at 100 with 150 of collateral, mmf 5 %: equity 10 M - 850, maintenance
// 0.5 M, so it is liquidatable once 9.5 M < 850, i.e. M < 89.4737. The path is at 90 at step 10
// and at 89 at step 11. Impact is nil (depth 1e300), so the sale fills at 89:
// cash -850 + 890 = 40, fee min(0.005 * 890, 40) = 4.45, left 35.55.
TEST(Liquidation, SinglePositionAtHandDerivedPrice) {
  ModelConfig config = hand_config(1, 1e300);
  config.insurance_fund.initial_balance_usd = 1000.0;
  const Portfolio book = hand_portfolio(config, {{150.0, {{0, 10, 100.0}}}});
  const BatchResults results = run_cpu(config, book, hand_paths(falling_path()));

  const ScenarioMetrics& metrics = results.scenarios[0];
  ASSERT_EQ(metrics.liquidation_count[0], 1);
  EXPECT_DOUBLE_EQ(metrics.liquidated_notional_usd[0], 890.0);
  for (std::int64_t t = 1; t <= 20; ++t) {
    const double notional = results.series.liquidated_notional_usd[results.series.market_index(0, t - 1, 0)];
    EXPECT_EQ(notional, t == 11 ? 890.0 : 0.0) << "step " << t;
  }
  EXPECT_EQ(metrics.ledger.liquidation_fees, 4'450'000);
  EXPECT_EQ(metrics.insurance_fund_end, 1'004'450'000);
  // Equity 150 -> 35.55; the LP was short 10 at 100 (value -1000) and ends flat with -890 cash.
  EXPECT_EQ(metrics.ledger.trader_equity_change, -114'450'000);
  EXPECT_EQ(metrics.ledger.liquidity_provider_pnl, 110'000'000);
  EXPECT_EQ(metrics.ledger.bad_debt, 0);
  EXPECT_EQ(metrics.ledger.conservation_residual, 0);
}

// The same account short: equity 150 - 10 (M - 100) = 1150 - 10 M, maintenance 0.5 M, liquidatable
// once M > 1150 / 10.5 = 109.5238: at step 10 of a path rising a dollar a step (110).
TEST(Liquidation, ShortPositionAtHandDerivedPrice) {
  ModelConfig config = hand_config(1, 1e300);
  const Portfolio book = hand_portfolio(config, {{150.0, {{0, -10, 100.0}}}});
  std::vector<std::vector<double>> steps;
  for (int t = 0; t <= 20; ++t) steps.push_back({100.0 + t});
  const BatchResults results = run_cpu(config, book, hand_paths({steps}));
  for (std::int64_t t = 1; t <= 20; ++t) {
    const double notional = results.series.liquidated_notional_usd[results.series.market_index(0, t - 1, 0)];
    EXPECT_EQ(notional, t == 10 ? 1100.0 : 0.0) << "step " << t;
  }
  EXPECT_EQ(results.scenarios[0].ledger.conservation_residual, 0);
}

// Partial liquidation of 100 lots long at 100 with 1500 collateral, at 89 (no impact):
// E = 400, MM = 445, IM = 890, N = 8900, f = (890 - 400) / (890 - 0.005 * 8900) = 0.5795...,
// so ceil(57.95) = 58 lots are sold: cash -8500 + 5162 = -3338, fee 25.81, and the 42 lots left
// need IM 373.8 against equity -3338 - 25.81 + 42 * 89 = 374.19: restored, no second round.
TEST(Liquidation, PartialRestoresInitialMargin) {
  ModelConfig config = hand_config(1, 1e300);
  config.liquidation.mode = LiquidationMode::partial;
  const Portfolio book = hand_portfolio(config, {{1500.0, {{0, 100, 100.0}}}});
  const BatchResults results = run_cpu(config, book, hand_paths({{{100.0}, {89.0}, {89.0}}}));
  const ScenarioMetrics& metrics = results.scenarios[0];
  EXPECT_EQ(metrics.liquidation_count[0], 1);
  EXPECT_DOUBLE_EQ(metrics.liquidated_notional_usd[0], 58 * 89.0);
  EXPECT_EQ(metrics.ledger.liquidation_fees, 25'810'000);
  EXPECT_EQ(metrics.cascade_rounds_max, 1);
  // Equity 1500 at the start; 374.19 at the end, marked at 89.
  EXPECT_EQ(metrics.ledger.trader_equity_change, 374'190'000 - 1'500'000'000);
  EXPECT_EQ(metrics.ledger.conservation_residual, 0);
}

// A healthy account is never touched, whatever the path.
TEST(Liquidation, HealthyAccountUntouched) {
  ModelConfig config = hand_config(1, 1e300);
  const Portfolio book = hand_portfolio(config, {{1000.0, {{0, 10, 100.0}}}});
  const BatchResults results = run_cpu(config, book, hand_paths(falling_path()));
  EXPECT_EQ(results.scenarios[0].liquidation_count[0], 0);
  EXPECT_EQ(results.scenarios[0].ledger.trader_equity_change, -200'000'000);  // 10 lots x -20
  EXPECT_EQ(results.scenarios[0].ledger.conservation_residual, 0);
}

// A stale or manipulated oracle: the fundamental stays at 100 but the platform's mark reads 89 at
// step 1. The account (liquidatable below 89.47) is liquidated on the mark, but its sale fills in
// the real market at 100 (no impact): cash -850 + 1000 = 150, fee 0.5 % of 1000 = 5.
TEST(Liquidation, OracleDeviationTriggersOnTheMarkAndFillsAtTheMarket) {
  ModelConfig config = hand_config(1, 1e300);
  const Portfolio book = hand_portfolio(config, {{150.0, {{0, 10, 100.0}}}});
  ScenarioPaths paths = hand_paths({{{100.0}, {100.0}, {100.0}}});
  paths.oracle_factor[paths.price_index(0, 1, 0)] = 0.89;
  const BatchResults results = run_cpu(config, book, paths);
  const ScenarioMetrics& metrics = results.scenarios[0];
  EXPECT_EQ(metrics.liquidation_count[0], 1);
  EXPECT_DOUBLE_EQ(metrics.liquidated_notional_usd[0], 1000.0);
  EXPECT_EQ(metrics.ledger.liquidation_fees, 5'000'000);
  EXPECT_EQ(results.series.mark_price_usd[results.series.market_index(0, 0, 0)], 89.0);
  EXPECT_EQ(metrics.ledger.trader_equity_change, -5'000'000);
  EXPECT_EQ(metrics.ledger.conservation_residual, 0);
}

// A depeg of the collateral currency: the same account, flat prices. Its collateral is 150
// (cash -850 plus cost basis 1000); valued at c it counts 150 - (1 - c) 150 against maintenance
// 50. At c = 0.5 that is 75 (safe); at c = 0.3 it is 45 (liquidated). The sale fills at 100 and
// the fee is charged on what the account is really worth (150 >= 5).
TEST(Liquidation, CollateralDepegCountsCollateralAtItsValue) {
  ModelConfig config = hand_config(1, 1e300);
  const Portfolio book = hand_portfolio(config, {{150.0, {{0, 10, 100.0}}}});
  ScenarioPaths paths = hand_paths({{{100.0}, {100.0}, {100.0}, {100.0}}});
  paths.collateral_value[paths.regime_index(0, 1)] = 0.5;
  paths.collateral_value[paths.regime_index(0, 2)] = 0.3;
  const BatchResults results = run_cpu(config, book, paths);
  const ScenarioMetrics& metrics = results.scenarios[0];
  EXPECT_EQ(results.series.liquidated_notional_usd[results.series.market_index(0, 0, 0)], 0.0);
  EXPECT_EQ(results.series.liquidated_notional_usd[results.series.market_index(0, 1, 0)], 1000.0);
  EXPECT_EQ(metrics.liquidation_count[0], 1);
  EXPECT_EQ(metrics.ledger.liquidation_fees, 5'000'000);
  EXPECT_EQ(metrics.ledger.conservation_residual, 0);
}

}  // namespace
}  // namespace margin_stress::testing

namespace margin_stress {
namespace {

// liquidation.mode = "fixed_fraction" (Hyperliquid's partial liquidation, docs/model.md section
// 7): one market without impact, threshold 50,000 USD, fraction 0.2, fee 0.5 %, mark 95 at step 1.
//   A: long 1000 at 100, collateral 8000: cash -92,000, equity 3000 < MM 4750. Its position
//      (95,000) is above the threshold: round 1 sells ceil(0.2 x 1000) = 200 at 95 (+19,000) and
//      pays a fee of 95: cash -73,095, equity 2905 < MM 3800 (800 lots); round 2, within the
//      step's cooldown, sells the whole 800 (+76,000) and pays 380: cash 2525.
//   B: long 10 at 100, collateral 60: equity 10 < MM 47.5, notional 950 below the threshold:
//      closed whole in round 1 (+950), fee 4.75: cash 5.25.
TEST(FixedFractionLiquidation, LargePositionsGoInSlicesThenWholeInTheCooldown) {
  ModelConfig config = testing::hand_config(1, 1e300);
  config.liquidation.mode = LiquidationMode::fixed_fraction;
  config.liquidation.fixed_fraction = 0.2;
  config.liquidation.fixed_fraction_threshold_usd = 50000.0;
  const Portfolio book = testing::hand_portfolio(
      config, {testing::HandAccount{8000.0, {{0, 1000, 100.0}}}, testing::HandAccount{60.0, {{0, 10, 100.0}}}});
  const testing::ScenarioRun run = testing::run_cpu_scenario(config, book, testing::hand_paths({{{100.0}, {95.0}}}));
  EXPECT_EQ(run.series.cascade_rounds[0], 2);
  EXPECT_EQ(run.metrics.liquidation_count[0], 3);
  EXPECT_EQ(run.state.quantity, (std::vector<std::int64_t>{0, 0}));
  EXPECT_EQ(run.state.cash[0], 2525000000);
  EXPECT_EQ(run.state.cash[1], 5250000);
  EXPECT_DOUBLE_EQ(run.series.liquidated_notional_usd[0], 210 * 95.0 + 800 * 95.0);
  EXPECT_EQ(run.metrics.ledger.liquidation_fees, 95000000 + 380000000 + 4750000);
  EXPECT_EQ(run.metrics.ledger.conservation_residual, 0);

  // The same with partial liquidation: A's fraction (IM - E') / (IM - fee N) = (9500 - 3000) /
  // (9500 - 475) = 0.72 closes ceil(720.2) = 721 lots in round 1, restoring its margin.
  config.liquidation.mode = LiquidationMode::partial;
  const testing::ScenarioRun partial =
      testing::run_cpu_scenario(config, book, testing::hand_paths({{{100.0}, {95.0}}}));
  EXPECT_EQ(partial.series.cascade_rounds[0], 1);
  EXPECT_EQ(partial.state.quantity[0], 1000 - 721);
}

}  // namespace
}  // namespace margin_stress

namespace margin_stress {
namespace {

// The backstop vault (Hyperliquid's HLP, docs/model.md section 7), by hand: backstop fraction 2/3,
// one market without impact, imf 10 %, mmf 5 %, full liquidation, fee 0.5 %. Prices 100, 96, 92, 95.
//   B: long 10 at 100, collateral 80: at 96 equity 40 < MM 48 but >= 2/3 of it (32): liquidated on
//      the book at 96 (+960, fee 4.8): cash 35.2.
//   A: long 10 at 100, collateral 100: at 92 equity 20 < 2/3 x MM 46: the vault buys its 10 lots at
//      the mark (+920 to the account) and takes the 20 left; the account ends at 0. The vault holds
//      10 lots bought for a net 900: worth 50 at the end (95). Traders lose 100 + 44.8, the fund
//      gains the 4.8 fee, the LP 90 and the vault 50: the ledger balances with the vault.
TEST(BackstopVault, TakesOverAccountsFarBelowMaintenanceAtTheMark) {
  ModelConfig config = testing::hand_config(1, 1e300);
  config.liquidation.backstop_fraction = 2.0 / 3.0;
  config.insurance_fund.initial_balance_usd = 0.0;
  const Portfolio book = testing::hand_portfolio(
      config, {testing::HandAccount{100.0, {{0, 10, 100.0}}}, testing::HandAccount{80.0, {{0, 10, 100.0}}}});
  const testing::ScenarioRun run =
      testing::run_cpu_scenario(config, book, testing::hand_paths({{{100.0}, {96.0}, {92.0}, {95.0}}}));
  EXPECT_EQ(run.metrics.backstopped_accounts, 1);
  EXPECT_DOUBLE_EQ(run.metrics.backstop_notional_usd, 920.0);
  EXPECT_EQ(run.metrics.liquidation_count[0], 1);  // B, on the book
  EXPECT_EQ(run.state.quantity, (std::vector<std::int64_t>{0, 0}));
  EXPECT_EQ(run.state.cash[0], 0);
  EXPECT_EQ(run.state.cash[1], 35200000);
  EXPECT_EQ(run.state.vault_inventory[0], 10);
  EXPECT_EQ(run.state.vault_cash, -900000000);
  EXPECT_EQ(run.metrics.ledger.vault_pnl, 50000000);
  // The LP, short 20 lots at 100, bought B's 10 at 96 and is short 10 at 95: -960 - 950 + 2000 = 90.
  EXPECT_EQ(run.metrics.ledger.liquidity_provider_pnl, 90000000);
  EXPECT_EQ(run.metrics.ledger.bad_debt, 0);
  EXPECT_EQ(run.metrics.ledger.conservation_residual, 0);
}

}  // namespace
}  // namespace margin_stress
