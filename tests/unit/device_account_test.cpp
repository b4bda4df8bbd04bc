// The CUDA engine's own __host__ __device__ account functions (kernels/account.hpp), run on
// the host against hand-computed fills: the fills of a liquidated account with money that flags
// instead of throwing. CI has no GPU, so this is where the kernels' arithmetic is exercised there;
// the formulas they call have their own tests (formulas_*_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/account.hpp"

namespace margin_stress {
namespace {

using formulas::MarketTerms;

TEST(DeviceAccount, FillsPayTheLiquidityProvidersAndAFeeCappedAtEquity) {
  // Two markets: lot 0.1 at X = 50,000 (M = X), lot 1 at X = 2,000 (M = 2,020: the oracle).
  std::vector<MarketTerms> markets(2);
  markets[0].lot_size = 0.1;
  markets[0].market_price_usd = 50000.0;
  markets[0].value_per_lot_usd = 5000.0;
  markets[1].lot_size = 1.0;
  markets[1].market_price_usd = 2000.0;
  markets[1].value_per_lot_usd = 2020.0;
  const std::vector<std::int32_t> market = {0, 1};
  // Long 10 lots of market 0, short 3 lots of market 1; sell 4 and buy back 3.
  std::vector<std::int64_t> quantity = {10, -3};
  const std::vector<std::int64_t> orders = {-4, 3};
  std::vector<double> step_notional = {1.0, 0.0};
  micro_usd cash = -40000000000;  // -40,000 USD
  const cuda::AccountFills fills = cuda::fill_account_orders(cash, quantity.data(), orders.data(), market.data(), 2,
                                                             markets.data(), 0.01, step_notional.data());
  // Costs: -4 x 0.1 x 50,000 = -20,000 (the account receives it); 3 x 1 x 2,000 = 6,000.
  EXPECT_EQ(fills.paid_to_liquidity_providers, -14000000000);
  EXPECT_EQ(quantity, (std::vector<std::int64_t>{6, 0}));
  EXPECT_EQ(step_notional, (std::vector<double>{20001.0, 6000.0}));
  // Fee 1% of 26,000 = 260; equity after the fills: -40,000 + 14,000 + 6 x 5,000 = 4,000: paid in full.
  EXPECT_EQ(fills.fee, 260000000);
  EXPECT_EQ(cash, -40000000000 + 14000000000 - 260000000);
  EXPECT_TRUE(fills.in_range);

  // The same with 3,900 USD less cash: equity after the fills is 100 USD, so the fee is 100.
  quantity = {10, -3};
  cash = -43900000000;
  const cuda::AccountFills capped = cuda::fill_account_orders(cash, quantity.data(), orders.data(), market.data(), 2,
                                                              markets.data(), 0.01, step_notional.data());
  EXPECT_EQ(capped.fee, 100000000);
  EXPECT_EQ(cash, -43900000000 + 14000000000 - 100000000);

  // Bankrupt after the fills: no fee at all.
  quantity = {10, -3};
  cash = -50000000000;
  EXPECT_EQ(cuda::fill_account_orders(cash, quantity.data(), orders.data(), market.data(), 2, markets.data(), 0.01,
                                      step_notional.data())
                .fee,
            0);
}

TEST(DeviceAccount, MoneyBeyondTheFixedPointRangeIsFlaggedNotWrapped) {
  bool in_range = true;
  EXPECT_EQ(to_micro_usd_in_range(1.5, in_range), 1500000);
  EXPECT_TRUE(in_range);
  to_micro_usd_in_range(5e12, in_range);
  EXPECT_FALSE(in_range);
  in_range = true;
  to_micro_usd_in_range(std::nan(""), in_range);
  EXPECT_FALSE(in_range);
  in_range = true;
  EXPECT_EQ(add_in_range(max_money - 1, 1, in_range), max_money);
  EXPECT_TRUE(in_range);
  add_in_range(max_money, 1, in_range);
  EXPECT_FALSE(in_range);
  in_range = true;
  add_in_range(-max_money, -1, in_range);
  EXPECT_FALSE(in_range);
}

}  // namespace
}  // namespace margin_stress
