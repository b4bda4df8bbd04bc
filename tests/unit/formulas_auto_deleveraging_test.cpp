// Auto-deleveraging's rank, capacity and closes (host/model/formulas/auto_deleveraging.hpp;
// docs/model.md section 8), against values worked by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "host/model/formulas/auto_deleveraging.hpp"

namespace margin_stress::formulas {
namespace {

AccountValuation account(double equity_usd, double notional_usd) {
  AccountValuation valuation;
  valuation.equity_usd = equity_usd;
  valuation.margin_equity_usd = equity_usd;
  valuation.notional_usd = notional_usd;
  valuation.has_positions = true;
  return valuation;
}

TEST(AutoDeleveraging, RankIsProfitRatioTimesEffectiveLeverage) {
  // Short 20 lots of 0.5 entered at 100, mark 90: u = -20 x 0.5 x (90 - 100) = 100 USD on a cost of
  // 20 x 0.5 x 100 = 1,000 (profit ratio 0.1); the account's notional 3,000 on equity 600
  // (leverage 5): score 0.5.
  const double unrealized = adl_unrealized_usd(-20, 0.5, 90.0, 100.0);
  EXPECT_DOUBLE_EQ(unrealized, 100.0);
  const AdlRank rank = adl_rank(-20, 0.5, 100.0, unrealized, account(600.0, 3000.0));
  EXPECT_TRUE(rank.candidate);
  EXPECT_DOUBLE_EQ(rank.score, 0.5);
  // A loss, or an account without equity, is no candidate.
  EXPECT_FALSE(adl_rank(-20, 0.5, 100.0, adl_unrealized_usd(-20, 0.5, 110.0, 100.0), account(600.0, 3000.0)).candidate);
  EXPECT_FALSE(adl_rank(-20, 0.5, 100.0, unrealized, account(0.0, 3000.0)).candidate);
}

// Higher score first; equal scores by position, lower first.
TEST(AutoDeleveraging, RankingOrdersByScoreThenPosition) {
  EXPECT_TRUE(adl_ranks_before(0.9, 7, 0.5, 2));
  EXPECT_FALSE(adl_ranks_before(0.5, 2, 0.9, 7));
  EXPECT_TRUE(adl_ranks_before(0.9, 2, 0.9, 7));
  EXPECT_FALSE(adl_ranks_before(0.9, 7, 0.9, 2));
  EXPECT_FALSE(adl_ranks_before(0.9, 7, 0.9, 7));
  // The hand case of tests/emulation/adl_bodies_test.cpp: scores 0.9, 0.47, 0.9 at positions 0, 1,
  // 2 rank 0, 2, 1.
  std::vector<std::int64_t> positions{0, 1, 2};
  const std::vector<double> scores{0.9, 100.0 / 1900.0 * 9.0, 0.9};
  std::sort(positions.begin(), positions.end(),
            [&](std::int64_t x, std::int64_t y) { return adl_ranks_before(scores[x], x, scores[y], y); });
  EXPECT_EQ(positions, (std::vector<std::int64_t>{0, 2, 1}));
}

// What a candidate can give up: its profit, unless its equity is smaller, and nothing without equity.
TEST(AutoDeleveraging, CapacityIsProfitCappedByEquity) {
  EXPECT_EQ(adl_capacity(100'000'000, 600'000'000), 100'000'000);
  EXPECT_EQ(adl_capacity(100'000'000, 33'000'000), 33'000'000);
  EXPECT_EQ(adl_capacity(100'000'000, -1'000'000), 0);
  EXPECT_EQ(adl_capacity(100'000'000, 100'000'000), 100'000'000);
}

// A haircut h closes ceil((h / u) |q|) lots, at least one and at most all.
TEST(AutoDeleveraging, ClosedLotsAreTheHaircutsShareOfTheProfit) {
  // u = 100 on 20 lots: 25 closes ceil(5) = 5; 33 closes ceil(6.6) = 7; 100 closes all 20.
  EXPECT_EQ(adl_closed_lots(25'000'000, -20, 100.0), 5);
  EXPECT_EQ(adl_closed_lots(33'000'000, 20, 100.0), 7);
  EXPECT_EQ(adl_closed_lots(100'000'000, 20, 100.0), 20);
  // A micro-dollar still closes one lot; more than the profit closes no more than held.
  EXPECT_EQ(adl_closed_lots(1, 20, 100.0), 1);
  EXPECT_EQ(adl_closed_lots(500'000'000, -20, 100.0), 20);
}

}  // namespace
}  // namespace margin_stress::formulas
