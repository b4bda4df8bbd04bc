// The CPU reference's small operations against closed forms (docs/model.md, sections 4, 5, 7, 8).
#include <gtest/gtest.h>

#include <cmath>

#include "host/engine/cpu/auto_deleveraging.hpp"
#include "host/engine/cpu/impact.hpp"
#include "host/engine/cpu/liquidation.hpp"
#include "host/engine/cpu/margin.hpp"

namespace margin_stress::cpu {
namespace {

constexpr double dt_years = 300.0 / (365.0 * 86400.0);

MarginPolicyParams scaled_policy(double floor, double cap) {
  MarginPolicyParams policy;
  policy.kind = MarginPolicyKind::volatility_scaled;
  policy.ewma_lambda = 0.9;
  policy.scale_floor = floor;
  policy.scale_cap = cap;
  return policy;
}

TEST(MarginScale, StartsAtOneAndFollowsObservedVolatility) {
  const double v0 = initial_ewma_variance(0.5, dt_years);
  EXPECT_DOUBLE_EQ(margin_scale(scaled_policy(0.5, 3.0), v0, 0.5, dt_years), 1.0);
  // Observed volatility twice the reference: variance four times the start.
  EXPECT_DOUBLE_EQ(margin_scale(scaled_policy(0.5, 3.0), 4.0 * v0, 0.5, dt_years), 2.0);
  // Clamped at the cap and at the floor.
  EXPECT_DOUBLE_EQ(margin_scale(scaled_policy(0.5, 3.0), 100.0 * v0, 0.5, dt_years), 3.0);
  EXPECT_DOUBLE_EQ(margin_scale(scaled_policy(0.8, 3.0), 0.01 * v0, 0.5, dt_years), 0.8);
  MarginPolicyParams fixed;
  fixed.kind = MarginPolicyKind::static_margin;
  EXPECT_EQ(margin_scale(fixed, 100.0 * v0, 0.5, dt_years), 1.0);
}

TEST(MarginScale, EwmaRecursion) {
  // v1 = 0.9 * 4e-6 + 0.1 * 0.01^2 = 3.6e-6 + 1e-5
  EXPECT_DOUBLE_EQ(update_ewma_variance(4e-6, 0.01, 0.9), 3.6e-6 + 1e-5);
  // A constant return r held forever converges to r^2.
  double v = 0.0;
  for (int i = 0; i < 2000; ++i) v = update_ewma_variance(v, 0.02, 0.98);
  EXPECT_NEAR(v, 4e-4, 1e-12);
}

TEST(Impact, LinearAndSquareRootLaws) {
  EXPECT_DOUBLE_EQ(log_impact(ImpactLaw::linear, -1.0e6, 1.0e8), -0.01);
  EXPECT_DOUBLE_EQ(log_impact(ImpactLaw::linear, 2.0e6, 1.0e8), 0.02);
  EXPECT_DOUBLE_EQ(log_impact(ImpactLaw::square_root, -1.0e6, 1.0e8), -0.1);
  EXPECT_DOUBLE_EQ(log_impact(ImpactLaw::square_root, 4.0e6, 1.0e8), 0.2);
  EXPECT_EQ(log_impact(ImpactLaw::square_root, 0.0, 1.0e8), 0.0);
}

TEST(Impact, TemporaryDecayHalvesPerHalfLife) {
  EXPECT_DOUBLE_EQ(temporary_decay_factor(300.0, 300.0), 0.5);
  EXPECT_DOUBLE_EQ(temporary_decay_factor(600.0, 300.0), std::sqrt(0.5));
  EXPECT_EQ(temporary_decay_factor(0.0, 300.0), 0.0);
}

TEST(Liquidation, FullModeClosesEverything) {
  AccountValuation valuation{50.0, 50.0, 60.0, 120.0, 1200.0, true};
  EXPECT_EQ(liquidation_fraction(LiquidationMode::full, valuation, 0.005), 1.0);
  EXPECT_EQ(lots_to_close(-37, 1.0), 37);
}

TEST(Liquidation, PartialFractionRestoresInitialMargin) {
  // E 400, MM 445, IM 890, N 8900, fee 0.5 %: f = 490 / 845.5.
  AccountValuation valuation{400.0, 400.0, 445.0, 890.0, 8900.0, true};
  const double f = liquidation_fraction(LiquidationMode::partial, valuation, 0.005);
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
  EXPECT_DOUBLE_EQ(liquidation_fraction(LiquidationMode::partial, valuation, 0.005), 490.0 / 845.5);
}

TEST(Liquidation, PartialBecomesFullWhenBankruptOrFeeDominates) {
  AccountValuation bankrupt{-5.0, -5.0, 445.0, 890.0, 8900.0, true};
  EXPECT_EQ(liquidation_fraction(LiquidationMode::partial, bankrupt, 0.005), 1.0);
  AccountValuation fee_heavy{10.0, 10.0, 40.0, 80.0, 8000.0, true};  // IM 80 <= 1 % of 8000
  EXPECT_EQ(liquidation_fraction(LiquidationMode::partial, fee_heavy, 0.01), 1.0);
}

TEST(Liquidation, HealthDependentFeeRate) {
  // Margin ratio E'/N: 300 / 10,000 = 3 % is above a 1 % fee (unchanged), 30 / 10,000 = 0.3 % is
  // below it (the fee rate falls to the ratio), a negative equity pays nothing.
  EXPECT_EQ(liquidation_fee_rate(0.01, true, 300.0, 10000.0), 0.01);
  EXPECT_DOUBLE_EQ(liquidation_fee_rate(0.01, true, 30.0, 10000.0), 0.003);
  EXPECT_EQ(liquidation_fee_rate(0.01, true, -5.0, 10000.0), 0.0);
  EXPECT_EQ(liquidation_fee_rate(0.01, false, 30.0, 10000.0), 0.01);
  EXPECT_EQ(liquidation_fee_rate(0.01, true, 30.0, 0.0), 0.01);
}

TEST(AutoDeleveraging, RankIsProfitRatioTimesEffectiveLeverage) {
  // Short 20 lots of 0.5 entered at 100, mark 90: u = -20 x 0.5 x (90 - 100) = 100 USD on a cost of
  // 20 x 0.5 x 100 = 1,000 (profit ratio 0.1); the account's notional 3,000 on equity 600
  // (leverage 5): score 0.5.
  const double unrealized = adl_unrealized_usd(-20, 0.5, 90.0, 100.0);
  EXPECT_DOUBLE_EQ(unrealized, 100.0);
  const AdlRank rank = adl_rank(-20, 0.5, 100.0, unrealized, 600.0, 3000.0);
  EXPECT_TRUE(rank.candidate);
  EXPECT_DOUBLE_EQ(rank.score, 0.5);
  // A loss, or an account without equity, is no candidate.
  EXPECT_FALSE(adl_rank(-20, 0.5, 100.0, adl_unrealized_usd(-20, 0.5, 110.0, 100.0), 600.0, 3000.0).candidate);
  EXPECT_FALSE(adl_rank(-20, 0.5, 100.0, unrealized, 0.0, 3000.0).candidate);
}

TEST(AutoDeleveraging, TakeIsCappedByNeedProfitAndEquityAndClosesTheMatchingShare) {
  // Profit 100 USD on 20 lots of 0.5 at mark 90. A need of 25 USD takes 25 and closes
  // ceil(0.25 x 20) = 5 lots, bought back (the position is short) for 5 x 0.5 x 90 = 225 USD.
  AdlTake take = adl_take(25'000'000, -20, 0.5, 90.0, 100.0, 600.0);
  EXPECT_EQ(take.haircut, 25'000'000);
  EXPECT_EQ(take.closed_lots, 5);
  EXPECT_EQ(take.traded_lots, 5);
  EXPECT_EQ(take.cost, 225'000'000);
  // The profit caps it (everything closes), and so does the equity (a third of the profit: 7 lots).
  take = adl_take(500'000'000, -20, 0.5, 90.0, 100.0, 600.0);
  EXPECT_EQ(take.haircut, 100'000'000);
  EXPECT_EQ(take.closed_lots, 20);
  take = adl_take(500'000'000, 20, 0.5, 110.0, 100.0, 33.0);
  EXPECT_EQ(take.haircut, 33'000'000);
  EXPECT_EQ(take.closed_lots, 7);
  EXPECT_EQ(take.traded_lots, -7);
  EXPECT_EQ(take.cost, -385'000'000);
  // Applied: the account pays the haircut; the close moves cash and lots to the LP at the mark.
  micro_usd cash = 1'000'000'000;
  std::int64_t quantity = 20;
  micro_usd lp_cash = 0;
  std::int64_t lp_inventory = -20;
  apply_adl_take(take, cash, quantity, lp_cash, lp_inventory);
  EXPECT_EQ(cash, 1'000'000'000 + 385'000'000 - 33'000'000);
  EXPECT_EQ(quantity, 13);
  EXPECT_EQ(lp_cash, -385'000'000);
  EXPECT_EQ(lp_inventory, -13);
  // No equity: no take.
  EXPECT_EQ(adl_take(500'000'000, 20, 0.5, 110.0, 100.0, -1.0).haircut, 0);
}

}  // namespace
}  // namespace margin_stress::cpu
