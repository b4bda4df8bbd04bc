// Concentration of open positions (host/analysis/concentration.cpp) against shares worked by hand.
#include "host/analysis/concentration.hpp"

#include <gtest/gtest.h>

#include "host/io/config_file.hpp"

namespace margin_stress {

namespace {

TEST(Concentration, TopSharesAndHerfindahlByHand) {
  const ModelConfig config = default_config();  // BTC 60,000 USD, lot 0.001; ETH 3,000 USD, lot 0.01
  Portfolio book;
  book.market_names = {"BTC", "ETH"};
  book.collateral_usd = {1.0, 1.0, 1.0};
  book.position_offset = {0, 2, 3, 4};
  book.market_index = {0, 1, 0, 0};
  // BTC: 3,000, 1,000 (short: gross) and 1,000 lots, 180,000, 60,000 and 60,000 USD of 300,000:
  // shares 0.6, 0.2, 0.2; top-1 0.6, top-5 and top-10 1; Herfindahl 0.36 + 0.04 + 0.04 = 0.44.
  // ETH: one holder of 10 lots (300 USD): every share 1, Herfindahl 1.
  book.quantity_lots = {3000, 10, -1000, 1000};
  book.entry_price_usd = {50000.0, 2000.0, 70000.0, 60000.0};  // entry prices do not matter: marks do
  const std::vector<MarketConcentration> markets = open_interest_concentration(book, config.markets);
  ASSERT_EQ(markets.size(), config.markets.size());
  EXPECT_EQ(markets[0].market, "BTC");
  EXPECT_EQ(markets[0].holders, 3);
  EXPECT_NEAR(markets[0].gross_notional_usd, 300000.0, 1e-6);
  EXPECT_NEAR(markets[0].top_1_share, 0.6, 1e-12);
  EXPECT_NEAR(markets[0].top_5_share, 1.0, 1e-12);
  EXPECT_NEAR(markets[0].top_10_share, 1.0, 1e-12);
  EXPECT_NEAR(markets[0].herfindahl, 0.44, 1e-12);
  EXPECT_EQ(markets[1].market, "ETH");
  EXPECT_EQ(markets[1].holders, 1);
  EXPECT_NEAR(markets[1].gross_notional_usd, 300.0, 1e-9);
  EXPECT_NEAR(markets[1].top_1_share, 1.0, 1e-12);
  EXPECT_NEAR(markets[1].herfindahl, 1.0, 1e-12);
  // A market nobody holds: no holder, no share.
  EXPECT_EQ(markets[2].holders, 0);
  EXPECT_EQ(markets[2].herfindahl, 0.0);
  EXPECT_EQ(markets[2].top_1_share, 0.0);
}

TEST(Concentration, TwelveEqualHoldersShareEvenly) {
  const ModelConfig config = default_config();
  Portfolio book;
  book.market_names = {"BTC"};
  for (int a = 0; a < 12; ++a) {
    book.collateral_usd.push_back(1.0);
    book.position_offset.push_back(a);
    book.market_index.push_back(0);
    book.quantity_lots.push_back(a % 2 == 0 ? 7 : -7);
    book.entry_price_usd.push_back(60000.0);
  }
  book.position_offset.push_back(12);
  const MarketConcentration btc = open_interest_concentration(book, config.markets)[0];
  EXPECT_NEAR(btc.top_1_share, 1.0 / 12.0, 1e-12);
  EXPECT_NEAR(btc.top_5_share, 5.0 / 12.0, 1e-12);
  EXPECT_NEAR(btc.top_10_share, 10.0 / 12.0, 1e-12);
  EXPECT_NEAR(btc.herfindahl, 1.0 / 12.0, 1e-12);  // 12 (1/12)^2
}

}  // namespace
}  // namespace margin_stress
