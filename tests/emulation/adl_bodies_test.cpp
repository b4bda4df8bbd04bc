// The device's auto-deleveraging bodies (kernels/auto_deleveraging.hpp; docs/model.md sections 8 and
// 14) on a hand-computed case, run on the host: the ranks and capacities, the choice between the
// walk and "everyone gives all", the walk as a prefix sum, and the closes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/auto_deleveraging.hpp"

namespace margin_stress::cuda {
namespace {

// One market (lot 1, mark 90) and three accounts short from entry prices above it, so all three
// are in profit:
//   account 0: -10 lots from 100, cash 1,000: u = 100, E = 1,000 - 900 = 100, N = 900,
//              score (100 / 1,000) (900 / 100) = 0.9, capacity min(100, 100) = 100;
//   account 1: -20 lots from 95, cash 2,000: u = 100, E = 200, N = 1,800,
//              score (100 / 1,900) x 9 = 0.47, capacity 100;
//   account 2: -5 lots from 100, cash 500: u = 50, E = 50, N = 450, score 0.9 (a tie with
//              account 0, broken by position), capacity 50.
// The ranking is 0, 2, 1 and the capacities add up to 250 USD.
struct HandCase {
  std::vector<std::int64_t> position_offset{0, 1, 2, 3};
  std::vector<std::int32_t> position_market{0, 0, 0};
  std::vector<std::int32_t> position_account{0, 1, 2};
  std::vector<double> entry_price_usd{100.0, 95.0, 100.0};
  std::vector<std::int64_t> initial_quantity{-10, -20, -5};
  std::vector<micro_usd> initial_cash{1'000'000'000, 2'000'000'000, 500'000'000};
  std::vector<std::uint8_t> touched = std::vector<std::uint8_t>(3, 0);
  std::vector<micro_usd> cash = std::vector<micro_usd>(3, 0);
  std::vector<std::int64_t> quantity = std::vector<std::int64_t>(3, 0);
  std::vector<MarketTerms> markets = std::vector<MarketTerms>(1);
  std::vector<double> collateral_value{1.0};
  std::vector<std::uint8_t> active{1};
  std::vector<std::int64_t> positions{0, 1, 2};  // the market's short side

  std::vector<double> scores = std::vector<double>(3);
  std::vector<std::uint8_t> candidate = std::vector<std::uint8_t>(3);
  std::vector<micro_usd> capacities = std::vector<micro_usd>(3);
  std::vector<std::int64_t> ranked = std::vector<std::int64_t>(3);
  std::vector<unsigned long long> ranked_capacity = std::vector<unsigned long long>(3);
  std::vector<unsigned long long> before = std::vector<unsigned long long>(3);
  std::vector<unsigned long long> totals = std::vector<unsigned long long>(adl_total_words, 0);

  BookView book;
  TileView tile;
  AdlWorkspace workspace;
  AdlQuery query;

  explicit HandCase(micro_usd target) {
    markets[0].lot_size = 1.0;
    markets[0].market_price_usd = 90.0;
    markets[0].value_per_lot_usd = 90.0;
    book.accounts = 3;
    book.positions = 3;
    book.markets = 1;
    book.position_offset = position_offset.data();
    book.position_market = position_market.data();
    book.position_account = position_account.data();
    book.entry_price_usd = entry_price_usd.data();
    book.initial_quantity = initial_quantity.data();
    book.initial_cash = initial_cash.data();
    tile.scenarios = 1;
    tile.touched = touched.data();
    tile.cash = cash.data();
    tile.quantity = quantity.data();
    tile.markets = markets.data();
    tile.collateral_value = collateral_value.data();
    tile.active = active.data();
    workspace.scores = scores.data();
    workspace.candidate = candidate.data();
    workspace.capacities = capacities.data();
    workspace.ranked = ranked.data();
    workspace.ranked_capacity = ranked_capacity.data();
    workspace.before = before.data();
    workspace.totals = totals.data();
    query.scenario = 0;
    query.lot_size = 1.0;
    query.mark_price_usd = 90.0;
    query.target = target;
    for (std::int64_t i = 0; i < 3; ++i) adl_entry(book, tile, query, positions.data(), workspace, i);
  }

  // The device's selection, stable sort and exclusive scan, done plainly.
  void walk() {
    std::vector<std::int64_t> order;
    for (std::int64_t i = 0; i < 3; ++i) {
      if (candidate[static_cast<std::size_t>(i)]) order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t x, std::int64_t y) {
      return scores[static_cast<std::size_t>(x)] > scores[static_cast<std::size_t>(y)];
    });
    std::copy(order.begin(), order.end(), ranked.begin());
    unsigned long long sum = 0;
    for (std::int64_t k = 0; k < static_cast<std::int64_t>(order.size()); ++k) {
      adl_ranked_capacity(workspace, k);
      before[static_cast<std::size_t>(k)] = sum;
      sum = SaturatingMoneySum{}(sum, ranked_capacity[static_cast<std::size_t>(k)]);
    }
    for (std::int64_t k = 0; k < static_cast<std::int64_t>(order.size()); ++k) {
      adl_walk_rank(book, tile, query, positions.data(), workspace, k);
    }
  }

  micro_usd cash_of(std::int64_t a) const {
    return touched[static_cast<std::size_t>(a)] ? cash[static_cast<std::size_t>(a)]
                                                : initial_cash[static_cast<std::size_t>(a)];
  }
  std::int64_t lots_of(std::int64_t a) const {
    return touched[static_cast<std::size_t>(a)] ? quantity[static_cast<std::size_t>(a)]
                                                : initial_quantity[static_cast<std::size_t>(a)];
  }
};

TEST(DeviceAdl, RanksAndCapacitiesByHand) {
  HandCase hand(180'000'000);
  EXPECT_EQ(hand.candidate, (std::vector<std::uint8_t>{1, 1, 1}));
  EXPECT_DOUBLE_EQ(hand.scores[0], 0.9);
  EXPECT_DOUBLE_EQ(hand.scores[1], (100.0 / 1900.0) * 9.0);
  EXPECT_EQ(hand.scores[2], hand.scores[0]);
  EXPECT_EQ(hand.capacities, (std::vector<micro_usd>{100'000'000, 100'000'000, 50'000'000}));
  EXPECT_EQ(hand.totals[adl_total_capacity], 250'000'000u);
  EXPECT_EQ(hand.totals[adl_target_exceeded], 1u);
}

TEST(DeviceAdl, WalkTakesInRankOrderUntilTheTargetIsMet) {
  // Target 180: account 0 gives 100 (all 10 lots), account 2 its 50 (all 5 lots), account 1 the
  // missing 30, closing ceil(30 / 100 x 20) = 6 lots; the closes buy back at the mark (90 a lot).
  HandCase hand(180'000'000);
  hand.walk();
  EXPECT_EQ(hand.cash_of(0), 1'000'000'000 - 900'000'000 - 100'000'000);
  EXPECT_EQ(hand.lots_of(0), 0);
  EXPECT_EQ(hand.cash_of(2), 500'000'000 - 450'000'000 - 50'000'000);
  EXPECT_EQ(hand.lots_of(2), 0);
  EXPECT_EQ(hand.cash_of(1), 2'000'000'000 - 540'000'000 - 30'000'000);
  EXPECT_EQ(hand.lots_of(1), -14);
  EXPECT_EQ(hand.totals[adl_total_collected], 180'000'000u);
  EXPECT_EQ(static_cast<micro_usd>(hand.totals[adl_total_paid_to_lp]), 1'890'000'000);
  EXPECT_EQ(static_cast<std::int64_t>(hand.totals[adl_total_traded_lots]), 21);
  EXPECT_EQ(hand.totals[adl_total_closed_lots], 21u);
  EXPECT_EQ(hand.totals[adl_total_long_lots_closed], 0u);
  EXPECT_EQ(hand.totals[adl_total_out_of_range], 0u);
}

TEST(DeviceAdl, TiesGoByPosition) {
  // Target 130: accounts 0 and 2 tie; position 0 comes first and gives all 100, position 2 the
  // missing 30 (ceil(30 / 50 x 5) = 3 lots), account 1 nothing.
  HandCase hand(130'000'000);
  hand.walk();
  EXPECT_EQ(hand.cash_of(0), 0);
  EXPECT_EQ(hand.cash_of(2), 500'000'000 - 270'000'000 - 30'000'000);
  EXPECT_EQ(hand.lots_of(2), -2);
  EXPECT_EQ(hand.cash_of(1), 2'000'000'000);
  EXPECT_EQ(hand.lots_of(1), -20);
  EXPECT_EQ(hand.totals[adl_total_collected], 130'000'000u);
}

TEST(DeviceAdl, EveryoneGivesAllWhenTheCapacitiesFallShort) {
  // Target 250, exactly the capacities: not exceeded, so every candidate gives its capacity, in
  // any order, which is what the walk would take.
  HandCase hand(250'000'000);
  EXPECT_EQ(hand.totals[adl_target_exceeded], 0u);
  for (std::int64_t i = 2; i >= 0; --i)
    adl_take_entry(hand.book, hand.tile, hand.query, hand.positions.data(), hand.workspace, i);
  EXPECT_EQ(hand.totals[adl_total_collected], 250'000'000u);
  EXPECT_EQ(hand.cash_of(1), 2'000'000'000 - 1'800'000'000 - 100'000'000);
  EXPECT_EQ(hand.lots_of(0) + hand.lots_of(1) + hand.lots_of(2), 0);
}

TEST(DeviceAdl, CapacitySumSaturatesAtTheMoneyRange) {
  const unsigned long long top = static_cast<unsigned long long>(max_money);
  EXPECT_EQ(SaturatingMoneySum{}(top - 5, 3), top - 2);
  EXPECT_EQ(SaturatingMoneySum{}(top - 5, 10), top);
  EXPECT_EQ(SaturatingMoneySum{}(top, top), top);
}

}  // namespace
}  // namespace margin_stress::cuda
