// Margin calls and the traders' answer (host/model/formulas/margin_calls.hpp; docs/model.md
// section 7a), against values worked by hand.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "host/model/formulas/margin_calls.hpp"

namespace margin_stress::formulas {
namespace {

AccountValuation valuation_of(double margin_equity_usd, double maintenance_usd, double initial_usd) {
  AccountValuation valuation;
  valuation.equity_usd = margin_equity_usd;
  valuation.margin_equity_usd = margin_equity_usd;
  valuation.maintenance_margin_usd = maintenance_usd;
  valuation.initial_margin_usd = initial_usd;
  valuation.has_positions = true;
  return valuation;
}

// One linear market, lot 1 at M 100, imf 10 %, raised from s = 1 to s = 2: IM per lot 20. A long of
// 10 lots needs IM 200 now and needed 200 x 1 / 2 = 100 before the raise.
TEST(MarginCalls, InitialMarginBeforeTheRaiseRescalesEachPosition) {
  std::vector<MarketTerms> markets(1);
  markets[0].lot_size = 1.0;
  markets[0].value_per_lot_usd = 100.0;
  markets[0].initial_per_lot_usd = 20.0;
  markets[0].margin_scale = 2.0;
  markets[0].previous_margin_scale = 1.0;
  const std::vector<std::int64_t> quantity{10, 0};
  const std::vector<std::int32_t> market{0, 0};
  const std::vector<double> entry{100.0, 100.0};
  const AccountView account{0, quantity.data(), market.data(), entry.data(), 2};
  EXPECT_EQ(initial_margin_before_raise_usd(account, markets.data()), 100.0);
  EXPECT_EQ(initial_margin_at_previous_scale(200.0, 1.0, 2.0), 100.0);
  EXPECT_EQ(initial_margin_at_previous_scale(300.0, 1.5, 1.0), 450.0);
}

// MM 100, IM 200, IM before the raise 100: called between 100 and 200, not below maintenance (the
// cascade's), not when already short before the raise, not when the raise left it whole.
TEST(MarginCalls, CalledOnlyWhenTheRaiseItselfLeftTheAccountShort) {
  EXPECT_TRUE(is_margin_called(valuation_of(150.0, 100.0, 200.0), 100.0));
  EXPECT_TRUE(is_margin_called(valuation_of(100.0, 100.0, 200.0), 100.0));
  EXPECT_FALSE(is_margin_called(valuation_of(99.0, 100.0, 200.0), 100.0));
  EXPECT_FALSE(is_margin_called(valuation_of(150.0, 100.0, 200.0), 160.0));
  EXPECT_FALSE(is_margin_called(valuation_of(200.0, 100.0, 200.0), 100.0));
}

// E' 150 against IM 200: a top-up of 50 USD, or 50 / 0.8 = 62.5 USD of a currency at 0.8; or a sale
// of (200 - 150) / 200 = a quarter of every position, at least one lot, always keeping one.
TEST(MarginCalls, TheAnswerRestoresInitialMargin) {
  const AccountValuation called = valuation_of(150.0, 100.0, 200.0);
  EXPECT_EQ(top_up_usd(called, 1.0), 50.0);
  EXPECT_EQ(top_up_usd(called, 0.8), 62.5);
  EXPECT_EQ(deleveraging_fraction(called), 0.25);
  EXPECT_EQ(lots_to_sell_down(10, 0.25), 3);  // ceil(2.5)
  EXPECT_EQ(lots_to_sell_down(-10, 0.25), 3);
  EXPECT_EQ(lots_to_sell_down(2, 0.9), 1);   // ceil(1.8) = 2, one kept
  EXPECT_EQ(lots_to_sell_down(1, 0.25), 0);  // the last lot stays
}

}  // namespace
}  // namespace margin_stress::formulas
