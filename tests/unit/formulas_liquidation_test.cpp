// Liquidation decisions, fills and fees (host/model/formulas/liquidation.hpp; docs/model.md
// section 7), against values worked by hand.
#include <gtest/gtest.h>

#include <cstdint>

#include "host/model/formulas/liquidation.hpp"

namespace margin_stress::formulas {
namespace {

LiquidationRule rule(LiquidationMode mode, double fee_rate) {
  LiquidationRule rule;
  rule.mode = mode;
  rule.fee_rate = fee_rate;
  return rule;
}

// An account's margin equity and notional, all the health-dependent fee reads.
AccountValuation health(double margin_equity_usd, double notional_usd) {
  AccountValuation valuation;
  valuation.equity_usd = margin_equity_usd;
  valuation.margin_equity_usd = margin_equity_usd;
  valuation.notional_usd = notional_usd;
  valuation.has_positions = true;
  return valuation;
}

// Partial liquidation always closes at least one lot, however small the fraction.
TEST(PartialLiquidation, ClosesAtLeastOneLot) {
  EXPECT_EQ(lots_to_close(1000, 0.0), 1);
  EXPECT_EQ(lots_to_close(-1000, 1e-12), 1);
  EXPECT_EQ(lots_to_close(20, 0.81), 17);  // ceil(16.2)
  EXPECT_EQ(lots_to_close(3, 0.999), 3);
  EXPECT_EQ(lots_to_close(-7, 1.0), 7);
  EXPECT_EQ(lots_to_close(1, 1e-300), 1);
}

// The fraction with a tiered account's IM (hand values of tests/reference/margin_schedule_test.cpp):
// E' = 40, N = 1740, IM = 1740 / 10 = 174, fee 0.5 %: f = 134 / 165.3.
TEST(PartialLiquidation, FractionUsesTheTieredInitialMargin) {
  AccountValuation valuation;
  valuation.equity_usd = 40.0;
  valuation.margin_equity_usd = 40.0;
  valuation.notional_usd = 1740.0;
  valuation.initial_margin_usd = 174.0;
  valuation.maintenance_margin_usd = 47.0;
  valuation.has_positions = true;
  EXPECT_DOUBLE_EQ(liquidation_fraction(rule(LiquidationMode::partial, 0.005), valuation), 134.0 / 165.3);
}

TEST(Liquidation, FullModeClosesEverything) {
  AccountValuation valuation{50.0, 50.0, 60.0, 120.0, 1200.0, true};
  EXPECT_EQ(liquidation_fraction(rule(LiquidationMode::full, 0.005), valuation), 1.0);
  EXPECT_EQ(lots_to_close(-37, 1.0), 37);
}

TEST(Liquidation, PartialFractionRestoresInitialMargin) {
  // E 400, MM 445, IM 890, N 8900, fee 0.5 %: f = 490 / 845.5.
  AccountValuation valuation{400.0, 400.0, 445.0, 890.0, 8900.0, true};
  const double f = liquidation_fraction(rule(LiquidationMode::partial, 0.005), valuation);
  EXPECT_DOUBLE_EQ(f, 490.0 / 845.5);
  EXPECT_EQ(lots_to_close(100, f), 58);
  EXPECT_EQ(lots_to_close(-100, f), 58);
  // Never less than one lot, never more than held.
  EXPECT_EQ(lots_to_close(100, 1e-9), 1);
  EXPECT_EQ(lots_to_close(3, 0.99), 3);
}

TEST(Liquidation, PartialUsesMarginEquity) {
  // Worth 600 but counted as 400 (a collateral haircut): f = (890 - 400) / 845.5, as above.
  AccountValuation valuation{600.0, 400.0, 445.0, 890.0, 8900.0, true};
  EXPECT_DOUBLE_EQ(liquidation_fraction(rule(LiquidationMode::partial, 0.005), valuation), 490.0 / 845.5);
}

TEST(Liquidation, PartialBecomesFullWhenBankruptOrFeeDominates) {
  AccountValuation bankrupt{-5.0, -5.0, 445.0, 890.0, 8900.0, true};
  EXPECT_EQ(liquidation_fraction(rule(LiquidationMode::partial, 0.005), bankrupt), 1.0);
  AccountValuation fee_heavy{10.0, 10.0, 40.0, 80.0, 8000.0, true};  // IM 80 <= 1 % of 8000
  EXPECT_EQ(liquidation_fraction(rule(LiquidationMode::partial, 0.01), fee_heavy), 1.0);
}

TEST(Liquidation, HealthDependentFeeRate) {
  // Margin ratio E'/N: 300 / 10,000 = 3 % is above a 1 % fee (unchanged), 30 / 10,000 = 0.3 % is
  // below it (the fee rate falls to the ratio), a negative equity pays nothing.
  EXPECT_EQ(liquidation_fee_rate(0.01, true, health(300.0, 10000.0)), 0.01);
  EXPECT_DOUBLE_EQ(liquidation_fee_rate(0.01, true, health(30.0, 10000.0)), 0.003);
  EXPECT_EQ(liquidation_fee_rate(0.01, true, health(-5.0, 10000.0)), 0.0);
  EXPECT_EQ(liquidation_fee_rate(0.01, false, health(30.0, 10000.0)), 0.01);
  EXPECT_EQ(liquidation_fee_rate(0.01, true, health(30.0, 0.0)), 0.01);
}

// Hyperliquid-like: a position above the threshold loses a fixed fifth per round, one at or below it
// closes whole, and so does any position of an account liquidated earlier in the same step.
TEST(Liquidation, FixedFractionSlicesLargePositionsAndClosesAfterTheFirstRound) {
  LiquidationRule fixed = rule(LiquidationMode::fixed_fraction, 0.01);
  fixed.fixed_fraction = 0.2;
  fixed.fixed_fraction_threshold_usd = 100000.0;
  // 1,000 lots worth 250,000: ceil(0.2 x 1,000) = 200 lots, whatever the account's fraction.
  EXPECT_EQ(liquidation_lots(fixed, 1000, 0.9, 250000.0, false), 200);
  EXPECT_EQ(liquidation_lots(fixed, -1000, 0.01, 250000.0, false), 200);
  // 7 lots: ceil(1.4) = 2.
  EXPECT_EQ(liquidation_lots(fixed, -7, 0.5, 150000.0, false), 2);
  // At the threshold, and in the cooldown: everything.
  EXPECT_EQ(liquidation_lots(fixed, 1000, 0.9, 100000.0, false), 1000);
  EXPECT_EQ(liquidation_lots(fixed, -1000, 0.9, 250000.0, true), 1000);
  // Full and partial use the account's fraction: ceil(0.35 x 40) = 14.
  EXPECT_EQ(liquidation_lots(rule(LiquidationMode::partial, 0.01), -40, 0.35, 250000.0, true), 14);
  EXPECT_EQ(liquidation_lots(rule(LiquidationMode::full, 0.01), -40, 1.0, 250000.0, false), 40);
}

TEST(Liquidation, ClosingTradeIsOppositeToThePosition) {
  EXPECT_EQ(closing_trade(12, 5), -5);
  EXPECT_EQ(closing_trade(-12, 5), 5);
}

// The backstop vault takes an account below beta MM: with beta = 2/3 and MM = 300, below 200.
TEST(Liquidation, BackstopBelowAFractionOfMaintenance) {
  LiquidationRule vault = rule(LiquidationMode::full, 0.01);
  vault.backstop_fraction = 2.0 / 3.0;
  AccountValuation valuation = health(199.0, 10000.0);
  valuation.maintenance_margin_usd = 300.0;
  EXPECT_TRUE(is_backstopped(vault, valuation));
  valuation.margin_equity_usd = 200.0;
  EXPECT_FALSE(is_backstopped(vault, valuation));
  valuation.margin_equity_usd = -50.0;
  EXPECT_FALSE(is_backstopped(rule(LiquidationMode::full, 0.01), valuation));  // no vault
}

// A sale of 4 lots of 0.1 at 50,000 pays the account 20,000 (a cost of -20,000); a buy-back of 3
// lots of 1 at 2,000 costs 6,000; both are notional 20,000 and 6,000.
TEST(Fills, CostAndNotionalAtThePrice) {
  EXPECT_EQ(fill_cost_usd(-4, 0.1, 50000.0), -20000.0);
  EXPECT_EQ(fill_notional_usd(-4, 0.1, 50000.0), 20000.0);
  EXPECT_EQ(fill_cost_usd(3, 1.0, 2000.0), 6000.0);
  EXPECT_EQ(fill_notional_usd(3, 1.0, 2000.0), 6000.0);
}

// The fee due, unless the account's equity after its fills is smaller; nothing when it is bankrupt.
TEST(Fills, FeeIsCappedAtTheEquityLeft) {
  EXPECT_EQ(capped_fee(260'000'000, 4'000'000'000), 260'000'000);
  EXPECT_EQ(capped_fee(260'000'000, 100'000'000), 100'000'000);
  EXPECT_EQ(capped_fee(260'000'000, 260'000'000), 260'000'000);
  EXPECT_EQ(capped_fee(260'000'000, -6'000'000'000), 0);
  EXPECT_EQ(capped_fee(0, 5), 0);
}

}  // namespace
}  // namespace margin_stress::formulas
