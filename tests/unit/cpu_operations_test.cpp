// The margin policy's scale (docs/model.md section 4) and the CPU reference's ADL take (section 8)
// against closed forms and values worked by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "host/engine/cpu/auto_deleveraging.hpp"
#include "host/engine/margin_policy.hpp"

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
