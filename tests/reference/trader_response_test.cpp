// Margin calls and the traders' answer in the CPU reference (docs/model.md section 7a), worked by
// hand. One market (lot 1, imf 10 %, mmf 5 %, no impact), a volatility-scaled policy whose scale is
// 1 at step 1 and, after the 10 % fall of step 1, clamped at its cap 2 from step 2 on: the raise
// that calls the accounts. At step 2 (mark 90) a 10-lot position has notional 900, IM 180, MM 90.
//   A: long 10 at 100, collateral 220: equity 120, called, short of IM by 60
//   B: long 10 at 100, collateral 250: equity 150, called, short by 30
//   C: long 10 at 100, collateral 400: equity 300 >= IM, not called
//   D: short 10 at 100, collateral 50: equity 150, called, short by 30
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "host/engine/margin_call_draw.hpp"
#include "tests/reference/engine_fixture.hpp"

namespace margin_stress {
namespace {

using testing::hand_config;
using testing::hand_paths;
using testing::hand_portfolio;
using testing::HandAccount;

using testing::raising_margin_config;

Portfolio four_accounts(const ModelConfig& config) {
  return hand_portfolio(config, {HandAccount{220.0, {{0, 10, 100.0}}}, HandAccount{250.0, {{0, 10, 100.0}}},
                                 HandAccount{400.0, {{0, 10, 100.0}}}, HandAccount{50.0, {{0, -10, 100.0}}}});
}

TEST(TraderResponse, CalledTradersWhoTopUpDepositWhatRestoresInitialMargin) {
  const ModelConfig config = raising_margin_config(1.0, 0);
  const testing::ScenarioRun run =
      testing::run_cpu_scenario(config, four_accounts(config), hand_paths({{{100.0}, {90.0}, {90.0}, {90.0}}}));
  EXPECT_EQ(run.series.margin_scale[0], 1.0);
  EXPECT_EQ(run.series.margin_scale[1], 2.0);
  EXPECT_EQ(run.metrics.margin_calls, 3);
  EXPECT_EQ(run.metrics.ledger.deposits, 120000000);  // 60 + 30 + 30 USD
  // K_A = 220 - 1000 + 60.
  EXPECT_EQ(run.state.cash[0], -720000000);
  EXPECT_EQ(run.state.cash[2], 400000000 - 1000000000);
  EXPECT_EQ(run.metrics.deleveraged_notional_usd[0], 0.0);
  EXPECT_EQ(run.metrics.ledger.conservation_residual, 0);
  // Scale 2 holds at the cap from step 2 on: no raise, no more calls.
}

TEST(TraderResponse, CalledTradersWhoDoNotTopUpSellDownToInitialMargin) {
  const ModelConfig config = raising_margin_config(0.0, 0);
  const testing::ScenarioRun run =
      testing::run_cpu_scenario(config, four_accounts(config), hand_paths({{{100.0}, {90.0}, {90.0}, {90.0}}}));
  EXPECT_EQ(run.metrics.margin_calls, 3);
  // Fractions 60/180 and 30/180: ceil(10/3) = 4 and ceil(10/6) = 2 lots, at 90 without impact.
  EXPECT_EQ(run.state.quantity, (std::vector<std::int64_t>{6, 8, 10, -8}));
  EXPECT_EQ(run.state.cash[0], -780000000 + 360000000);
  EXPECT_EQ(run.state.cash[3], 1050000000 - 180000000);
  EXPECT_DOUBLE_EQ(run.metrics.deleveraged_notional_usd[0], 8 * 90.0);
  EXPECT_DOUBLE_EQ(run.series.deleveraged_notional_usd[1], 8 * 90.0);  // step 2
  EXPECT_EQ(run.series.deleveraged_notional_usd[2], 0.0);
  EXPECT_EQ(run.metrics.ledger.deposits, 0);
  EXPECT_EQ(run.metrics.liquidation_count[0], 0);  // selling is not liquidation
  EXPECT_EQ(run.metrics.ledger.conservation_residual, 0);
  // A keeps its equity, 120, and now needs 6 x 90 x 10 % x 2 = 108.
}

TEST(TraderResponse, ALateDepositIsDroppedForAnAccountLiquidatedMeanwhile) {
  // Deposits promised at step 2 arrive at step 4; the fall to 80 at step 3 liquidates A and B
  // (equity 20 and 50 against MM 80) first, so only D's 30 USD arrives.
  const ModelConfig config = raising_margin_config(1.0, 2);
  const testing::ScenarioRun run = testing::run_cpu_scenario(
      config, four_accounts(config), hand_paths({{{100.0}, {90.0}, {90.0}, {80.0}, {80.0}, {80.0}}}));
  EXPECT_EQ(run.metrics.margin_calls, 3);
  EXPECT_EQ(run.metrics.liquidation_count[0], 2);
  EXPECT_EQ(run.metrics.ledger.deposits, 30000000);
  EXPECT_EQ(run.state.quantity[3], -10);
  EXPECT_EQ(run.metrics.ledger.conservation_residual, 0);
}

TEST(TraderResponse, AnAccountShortBeforeTheRaiseIsNotCalled) {
  // imf 15 %: at step 2 a 10-lot position needs IM 270 at scale 2 and needed 135 at scale 1. With
  // collateral 200 the account's equity, 100, was short of 135 before the raise (the fall did it):
  // it is not called. With 250 (equity 150) the raise made it short: called for 120.
  ModelConfig config = raising_margin_config(1.0, 0);
  config.markets[0].initial_margin_fraction = 0.15;
  const Portfolio book =
      hand_portfolio(config, {HandAccount{200.0, {{0, 10, 100.0}}}, HandAccount{250.0, {{0, 10, 100.0}}}});
  const testing::ScenarioRun run = testing::run_cpu_scenario(config, book, hand_paths({{{100.0}, {90.0}, {90.0}}}));
  EXPECT_EQ(run.metrics.margin_calls, 1);
  EXPECT_EQ(run.metrics.ledger.deposits, 120000000);
  EXPECT_EQ(run.state.cash[0], 200000000 - 1000000000);
}

TEST(TraderResponse, ASellerKeepsOneLot) {
  // One lot each: selling down would close it; the trader keeps it (and stays called-short).
  const ModelConfig config = raising_margin_config(0.0, 0);
  const Portfolio book = hand_portfolio(config, {HandAccount{22.0, {{0, 1, 100.0}}}});
  const testing::ScenarioRun run = testing::run_cpu_scenario(config, book, hand_paths({{{100.0}, {90.0}, {90.0}}}));
  EXPECT_EQ(run.metrics.margin_calls, 1);
  EXPECT_EQ(run.state.quantity[0], 1);
  EXPECT_EQ(run.metrics.deleveraged_notional_usd[0], 0.0);
}

TEST(TraderResponse, NoRaiseNoCall) {
  // A static policy never raises: accounts below initial margin are not called.
  ModelConfig config = raising_margin_config(1.0, 0);
  config.margin_policy.kind = MarginPolicyKind::static_margin;
  config.margin_policy.scale_floor = 2.0;
  config.margin_policy.scale_cap = 2.0;
  const testing::ScenarioRun run =
      testing::run_cpu_scenario(config, four_accounts(config), hand_paths({{{100.0}, {90.0}, {90.0}, {90.0}}}));
  EXPECT_EQ(run.series.margin_scale[1], 2.0);
  EXPECT_EQ(run.metrics.margin_calls, 0);
  EXPECT_EQ(run.metrics.ledger.deposits, 0);
}

TEST(TraderResponse, TheShareThatTopsUpIsTheProbability) {
  // 2,000 accounts like A, each called at step 2 and drawing its own uniform: the number that top
  // up is Binomial(2000, 0.3), mean 600 and standard deviation 20.5.
  const ModelConfig config = raising_margin_config(0.3, 0);
  const std::vector<HandAccount> accounts(2000, HandAccount{220.0, {{0, 10, 100.0}}});
  const testing::ScenarioRun run =
      testing::run_cpu_scenario(config, hand_portfolio(config, accounts), hand_paths({{{100.0}, {90.0}, {90.0}}}));
  EXPECT_EQ(run.metrics.margin_calls, 2000);
  const std::int64_t topped_up = run.metrics.ledger.deposits / 60000000;
  EXPECT_EQ(run.metrics.ledger.deposits, topped_up * 60000000);
  EXPECT_NEAR(static_cast<double>(topped_up), 600.0, 5 * 20.5);
  // The others sold 4 lots each at 90.
  EXPECT_DOUBLE_EQ(run.metrics.deleveraged_notional_usd[0], static_cast<double>(2000 - topped_up) * 4 * 90.0);
  // The draws are the ones the model names: account a tops up exactly when u_a < 0.3.
  std::int64_t expected = 0;
  for (std::int64_t a = 0; a < 2000; ++a) expected += margin_call_uniform(config.run.seed, 0, 2, a) < 0.3 ? 1 : 0;
  EXPECT_EQ(topped_up, expected);
}

}  // namespace
}  // namespace margin_stress
