// A two-round cascade worked out by hand (docs/model.md, sections 5, 7 and 8).
#include <gtest/gtest.h>

#include <cmath>

#include "host/model/money.hpp"
#include "tests/reference/engine_fixture.hpp"

namespace margin_stress::testing {
namespace {

// One market, lot 1, mmf 5 %, linear impact with depth 10,000 USD, all of it permanent, fee 1 %.
//   A: long 10 at 100, collateral 150: liquidatable below 850 / 9.5 = 89.47.
//   B: long 10 at 100, collateral 200: liquidatable below 800 / 9.5 = 84.21.
//   C: short 5 at 100, collateral 1000: far from liquidation, profitable as the price falls.
// The fundamental price gaps from 100 to 89 at step 1 and stays there.
// Round 1 at M = 89: only A. It sells 10 lots: n = -890, impact -0.089, M1 = 89 e^-0.089 (~81.42);
//   A fills at M1: cash -850 + 10 M1 < 0, so no fee and A is bankrupt.
// Round 2 at M1: B is now below maintenance. It sells 10: impact -10 M1 / 10000, M2 = M1 e^(-M1/1000)
//   (~75.06); B fills at M2, bankrupt too. Round 3 finds no one: 2 rounds.
// Settlement: deficits X_A = 850 - 10 M1, X_B = 800 - 10 M2. A fund of 20 pays pro rata; the rest
// is taken from C by ADL (C's profit 5 (100 - M2) ~ 125 is ample): no bad debt.
struct Expected {
  double m1, m2;
  micro_usd deficit_a, deficit_b;
};

Expected expected() {
  Expected e{};
  // M = F exp(J^perm), J^perm the sum of the rounds' impacts.
  const double impact1 = -890.0 / 10000.0;
  e.m1 = 89.0 * std::exp(impact1);
  const double impact2 = -10.0 * e.m1 / 10000.0;
  e.m2 = 89.0 * std::exp(impact1 + impact2);
  e.deficit_a = -(to_micro_usd(-850.0) + to_micro_usd(10.0 * e.m1));
  e.deficit_b = -(to_micro_usd(-800.0) + to_micro_usd(10.0 * e.m2));
  return e;
}

ModelConfig cascade_config(bool adl, double fund_usd) {
  ModelConfig config = hand_config(1, 10000.0);
  config.liquidation.fee_rate = 0.01;
  config.insurance_fund.initial_balance_usd = fund_usd;
  config.insurance_fund.auto_deleveraging = adl;
  return config;
}

std::vector<HandAccount> cascade_book() {
  return {{150.0, {{0, 10, 100.0}}}, {200.0, {{0, 10, 100.0}}}, {1000.0, {{0, -5, 100.0}}}};
}

ScenarioPaths gap_path() { return hand_paths({{{100.0}, {89.0}, {89.0}}}); }

TEST(Cascade, TwoRoundsByHand) {
  const Expected e = expected();
  ASSERT_LT(e.m1, 84.21);  // the premise of the hand computation: A's sale reaches B
  ASSERT_GT(e.m1, 80.0);
  const ModelConfig config = cascade_config(true, 20.0);
  const BatchResults results = run_cpu(config, hand_portfolio(config, cascade_book()), gap_path());
  const ScenarioMetrics& metrics = results.scenarios[0];

  EXPECT_EQ(results.series.cascade_rounds[results.series.step_index(0, 0)], 2);
  EXPECT_EQ(results.series.cascade_rounds[results.series.step_index(0, 1)], 0);
  EXPECT_EQ(metrics.liquidation_count[0], 2);
  EXPECT_DOUBLE_EQ(results.series.mark_price_usd[results.series.market_index(0, 0, 0)], e.m2);
  EXPECT_DOUBLE_EQ(metrics.liquidated_notional_usd[0], 10.0 * e.m1 + 10.0 * e.m2);
  EXPECT_DOUBLE_EQ(metrics.peak_impact[0], 1.0 - e.m2 / 89.0);
  EXPECT_EQ(metrics.ledger.liquidation_fees, 0);  // both were bankrupt after their fills

  // The fund (20 USD) is short of X_A + X_B and pays pro rata; ADL covers the rest.
  const micro_usd deficits = e.deficit_a + e.deficit_b;
  const micro_usd fund = 20'000'000;
  const micro_usd paid = e.deficit_a * fund / deficits + e.deficit_b * fund / deficits;
  EXPECT_EQ(metrics.fund_exhausted, 1);
  EXPECT_EQ(metrics.ledger.insurance_payout, paid);
  EXPECT_EQ(metrics.ledger.adl_haircut, deficits - paid);
  EXPECT_EQ(metrics.ledger.bad_debt, 0);
  // C (5 lots short) closes ceil(haircut / profit * 5) lots at M2 against the LP.
  const double profit_c = 5.0 * (100.0 - e.m2);
  const double closed = std::ceil(to_usd(deficits - paid) / profit_c * 5.0);
  EXPECT_DOUBLE_EQ(metrics.adl_notional_usd, closed * e.m2);
  EXPECT_EQ(metrics.ledger.conservation_residual, 0);
}

TEST(Cascade, WithoutAdlTheUncoveredDeficitIsBadDebt) {
  const Expected e = expected();
  const ModelConfig config = cascade_config(false, 20.0);
  const BatchResults results = run_cpu(config, hand_portfolio(config, cascade_book()), gap_path());
  const ScenarioMetrics& metrics = results.scenarios[0];
  const micro_usd deficits = e.deficit_a + e.deficit_b;
  const micro_usd paid = e.deficit_a * 20'000'000 / deficits + e.deficit_b * 20'000'000 / deficits;
  EXPECT_EQ(metrics.ledger.adl_haircut, 0);
  EXPECT_EQ(metrics.adl_notional_usd, 0.0);
  EXPECT_EQ(metrics.ledger.bad_debt, deficits - paid);
  EXPECT_EQ(metrics.insurance_fund_end, 20'000'000 - paid);
  EXPECT_EQ(metrics.ledger.conservation_residual, 0);
}

TEST(Cascade, AnAmpleFundCoversEveryDeficit) {
  const Expected e = expected();
  const ModelConfig config = cascade_config(true, 1000.0);
  const BatchResults results = run_cpu(config, hand_portfolio(config, cascade_book()), gap_path());
  const ScenarioMetrics& metrics = results.scenarios[0];
  EXPECT_EQ(metrics.fund_exhausted, 0);
  EXPECT_EQ(metrics.ledger.insurance_payout, e.deficit_a + e.deficit_b);
  EXPECT_EQ(metrics.insurance_fund_end, 1'000'000'000 - e.deficit_a - e.deficit_b);
  EXPECT_EQ(metrics.insurance_fund_min, metrics.insurance_fund_end);
  EXPECT_EQ(metrics.ledger.adl_haircut, 0);
  EXPECT_EQ(metrics.ledger.bad_debt, 0);
  EXPECT_EQ(metrics.ledger.conservation_residual, 0);
}

// With the round cap at 1, B's liquidation waits for step 2 and the cap hit is reported.
TEST(Cascade, RoundCapIsReported) {
  ModelConfig config = cascade_config(true, 1000.0);
  config.liquidation.max_cascade_rounds = 1;
  const BatchResults results = run_cpu(config, hand_portfolio(config, cascade_book()), gap_path());
  EXPECT_EQ(results.scenarios[0].round_cap_hits, 1);
  EXPECT_EQ(results.series.cascade_rounds[results.series.step_index(0, 0)], 1);
  EXPECT_EQ(results.series.cascade_rounds[results.series.step_index(0, 1)], 1);
  EXPECT_EQ(results.scenarios[0].liquidation_count[0], 2);
}

}  // namespace
}  // namespace margin_stress::testing
