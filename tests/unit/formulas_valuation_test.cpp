// Equity and margin of an account (host/model/formulas/valuation.hpp; docs/model.md section 2):
// a hand-computed account over a linear, a tiered and a size-premium market, the collateral
// haircut, and the trigger's own sums against the full valuation on a random book.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "host/model/formulas/valuation.hpp"

namespace margin_stress::formulas {
namespace {

// Market 0 linear: lot 0.5 at M 100 (a lot is worth 50), mmf 5 %, imf 10 %, s 2: per lot MM 5, IM 10.
// Market 1 tiered, lot 1 at M 200, s 1.5, brackets (1,000, 1 %, 50x) and (1e9, 2 %, 20x): cum_1 =
// 1,000 x (2 % - 1 %) = 10. Market 2 with Drift's premium f = 0.001, lot 1 at M 10, mmf 3 %, imf 5 %.
struct HandMarkets {
  std::vector<MarginBracket> brackets = make_margin_brackets({{1000.0, 0.01, 50.0}, {1e9, 0.02, 20.0}});
  std::vector<MarketTerms> markets = std::vector<MarketTerms>(3);

  HandMarkets() {
    markets[0].lot_size = 0.5;
    markets[0].mark_price_usd = 100.0;
    markets[0].value_per_lot_usd = 50.0;
    markets[0].maintenance_per_lot_usd = 5.0;
    markets[0].initial_per_lot_usd = 10.0;
    markets[0].margin_scale = 2.0;
    markets[1].lot_size = 1.0;
    markets[1].mark_price_usd = 200.0;
    markets[1].value_per_lot_usd = 200.0;
    markets[1].margin_scale = 1.5;
    markets[1].tiered = true;
    markets[1].per_position = true;
    markets[1].margin_brackets = brackets.data();
    markets[1].margin_bracket_count = 2;
    markets[2].lot_size = 1.0;
    markets[2].mark_price_usd = 10.0;
    markets[2].value_per_lot_usd = 10.0;
    markets[2].maintenance_margin_fraction = 0.03;
    markets[2].initial_margin_fraction = 0.05;
    markets[2].size_premium_factor = 0.001;
    markets[2].per_position = true;
  }
};

// Cash K, long 4 lots of market 0 from 90, short 10 of market 1 from 210, long 10,000 of market 2
// from 9.
struct HandAccount {
  std::vector<std::int64_t> quantity{4, -10, 10000};
  std::vector<std::int32_t> market{0, 1, 2};
  std::vector<double> entry_price_usd{90.0, 210.0, 9.0};
  AccountView view(micro_usd cash) const { return {cash, quantity.data(), market.data(), entry_price_usd.data(), 3}; }
};

TEST(Valuation, HandComputedAccountOverThreeKindsOfMarket) {
  const HandMarkets hand;
  const HandAccount account;
  const AccountValuation valuation = value_account(account.view(1'000'000'000), hand.markets.data(), 1.0);
  // E = 1,000 + 4 x 50 - 10 x 200 + 10,000 x 10 = 99,200.
  EXPECT_EQ(valuation.equity_usd, 99200.0);
  EXPECT_EQ(valuation.margin_equity_usd, 99200.0);
  // MM: market 0, 4 x 5 = 20; market 1, N = 2,000 in bracket 1: 1.5 (2,000 x 2 % - 10) = 45;
  // market 2, N = 100,000 and B = 10,000: 0.8 x 3 % + 0.001 x 100 = 12.4 %, 12,400. Total 12,465.
  EXPECT_DOUBLE_EQ(valuation.maintenance_margin_usd, 12465.0);
  // IM: 4 x 10 = 40; 1.5 x 2,000 / 20 = 150; 0.8 x 5 % + 0.1 = 14 %, 14,000. Total 14,190.
  EXPECT_DOUBLE_EQ(valuation.initial_margin_usd, 14190.0);
  EXPECT_EQ(valuation.notional_usd, 102200.0);
  EXPECT_TRUE(valuation.has_positions);
  EXPECT_EQ(account_equity_usd(account.view(1'000'000'000), hand.markets.data()), 99200.0);
  EXPECT_FALSE(is_below_maintenance(valuation));
  EXPECT_FALSE(below_maintenance<PerPositionMargins::present>(account.view(1'000'000'000), hand.markets.data(), 1.0));

  // With 90,000 USD less cash, E = 8,200 < 12,465: liquidatable.
  const AccountView short_of_margin = account.view(-90'000'000'000);
  EXPECT_EQ(value_account(short_of_margin, hand.markets.data(), 1.0).equity_usd, 8200.0);
  EXPECT_TRUE(is_below_maintenance(value_account(short_of_margin, hand.markets.data(), 1.0)));
  EXPECT_TRUE(below_maintenance<PerPositionMargins::present>(short_of_margin, hand.markets.data(), 1.0));
}

// Collateral C = K + sum q lot e = 1,000 + 4 x 0.5 x 90 - 10 x 210 + 10,000 x 9 = 89,080; at c = 0.9
// the platform counts 10 % less of it: E' = 99,200 - 8,908 = 90,292.
TEST(Valuation, DepeggedCollateralIsHaircutInMarginEquityOnly) {
  const HandMarkets hand;
  const HandAccount account;
  EXPECT_EQ(collateral_haircut_usd(account.view(1'000'000'000), hand.markets.data(), 1.0), 0.0);
  EXPECT_DOUBLE_EQ(collateral_haircut_usd(account.view(1'000'000'000), hand.markets.data(), 0.9), 8908.0);
  const AccountValuation valuation = value_account(account.view(1'000'000'000), hand.markets.data(), 0.9);
  EXPECT_EQ(valuation.equity_usd, 99200.0);
  EXPECT_DOUBLE_EQ(valuation.margin_equity_usd, 90292.0);
  // Negative collateral is not haircut: C = -90,000 + 89,080 - 1,000 < 0.
  EXPECT_EQ(collateral_haircut_usd(account.view(-90'000'000'000), hand.markets.data(), 0.9), 0.0);
}

TEST(Valuation, ClosedPositionsCountForNothing) {
  const HandMarkets hand;
  HandAccount account;
  account.quantity = {0, 0, 0};
  const AccountValuation valuation = value_account(account.view(5'000'000), hand.markets.data(), 1.0);
  EXPECT_EQ(valuation.equity_usd, 5.0);
  EXPECT_EQ(valuation.maintenance_margin_usd, 0.0);
  EXPECT_FALSE(valuation.has_positions);
  EXPECT_FALSE(has_open_positions(account.view(5'000'000)));
  // Flat and bankrupt is settlement's business, not the trigger's.
  EXPECT_FALSE(below_maintenance<PerPositionMargins::present>(account.view(-5'000'000), hand.markets.data(), 1.0));
  EXPECT_FALSE(below_maintenance<PerPositionMargins::absent>(account.view(-5'000'000), hand.markets.data(), 1.0));
}

// A market's constant terms come from its spec; brackets or a size premium make its requirements
// per position.
TEST(Valuation, ConstantTermsFromTheSpec) {
  MarketSpec spec;
  spec.lot_size = 0.01;
  spec.maintenance_margin_fraction = 0.005;
  EXPECT_FALSE(has_per_position_requirements(spec));
  const MarketTerms linear = constant_terms(spec, {});
  EXPECT_EQ(linear.lot_size, 0.01);
  EXPECT_EQ(linear.maintenance_margin_fraction, 0.005);
  EXPECT_FALSE(linear.per_position);
  EXPECT_FALSE(linear.tiered);
  EXPECT_EQ(linear.margin_brackets, nullptr);
  EXPECT_EQ(linear.margin_scale, 1.0);

  spec.size_premium_imf_factor = 0.001;
  EXPECT_TRUE(has_per_position_requirements(spec));
  EXPECT_TRUE(constant_terms(spec, {}).per_position);
  EXPECT_EQ(constant_terms(spec, {}).size_premium_factor, 0.001);

  spec.size_premium_imf_factor = 0.0;
  spec.margin_tiers = {{1000.0, 0.01, 50.0}, {1e9, 0.02, 20.0}};
  const std::vector<MarginBracket> brackets = make_margin_brackets(spec.margin_tiers);
  const MarketTerms tiered = constant_terms(spec, brackets);
  EXPECT_TRUE(has_per_position_requirements(spec));
  EXPECT_TRUE(tiered.per_position);
  EXPECT_TRUE(tiered.tiered);
  EXPECT_EQ(tiered.margin_brackets, brackets.data());
  EXPECT_EQ(tiered.margin_bracket_count, 2);
}

// The trigger sums equity and maintenance alone, and the full valuation sums everything: on random
// accounts (zero quantities, both signs, depegged collateral) they agree on every account. Linear
// markets only for the `absent` variant, every kind for `present`.
TEST(Valuation, TriggerAgreesWithTheFullValuationOnRandomAccounts) {
  HandMarkets hand;
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (const PerPositionMargins variant : {PerPositionMargins::absent, PerPositionMargins::present}) {
    const std::int32_t markets = variant == PerPositionMargins::absent ? 1 : 3;
    for (const double collateral_value : {1.0, 0.93}) {
      int below = 0;
      for (int a = 0; a < 4000; ++a) {
        std::vector<std::int64_t> quantity;
        std::vector<std::int32_t> market;
        std::vector<double> entry;
        for (std::int32_t m = 0; m < markets; ++m) {
          if (unit(random) < 0.3) continue;
          market.push_back(m);
          entry.push_back(hand.markets[static_cast<std::size_t>(m)].mark_price_usd * (0.5 + unit(random)));
          quantity.push_back(unit(random) < 0.1 ? 0 : static_cast<std::int64_t>(unit(random) * 2e4) - 10000);
        }
        const AccountView view{static_cast<micro_usd>(unit(random) * 2e11) - 100'000'000'000, quantity.data(),
                               market.data(), entry.data(), static_cast<std::int64_t>(quantity.size())};
        const bool expected = is_below_maintenance(value_account(view, hand.markets.data(), collateral_value));
        const bool trigger =
            variant == PerPositionMargins::absent
                ? below_maintenance<PerPositionMargins::absent>(view, hand.markets.data(), collateral_value)
                : below_maintenance<PerPositionMargins::present>(view, hand.markets.data(), collateral_value);
        ASSERT_EQ(trigger, expected) << "account " << a;
        below += expected ? 1 : 0;
      }
      // Both answers occur, so the comparison covers both.
      EXPECT_GT(below, 100);
      EXPECT_LT(below, 3900);
    }
  }
}

}  // namespace
}  // namespace margin_stress::formulas
