// The CUDA engine's __host__ __device__ account functions (kernels/device_account.hpp), run on the
// host: against the CPU reference's own functions on random accounts (bit for bit: both must take
// the same decisions) and against hand-computed fills. CI has no GPU, so this is where the
// kernels' arithmetic is exercised there.
#include "kernels/device_account.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "host/engine/cpu/book.hpp"
#include "host/engine/cpu/liquidation.hpp"
#include "host/engine/cpu/margin_schedule.hpp"
#include "host/engine/cpu/mark_to_market.hpp"
#include "host/engine/cpu/scenario_state.hpp"

namespace margin_stress {
namespace {

using cuda::AccountView;
using cuda::DeviceMarket;
using cuda::ScenarioMarketsView;

// A random book of `accounts` accounts over three markets, the second with Binance-like brackets,
// the third with Drift's size premium,
// and a scenario state at random marks, scales and collateral value, in both engines' forms.
struct RandomCase {
  cpu::Book book;
  cpu::ScenarioState state;
  std::vector<cpu::MarginBracket> brackets;  // the device's table: market 1's brackets
  std::vector<DeviceMarket> device_markets;

  RandomCase(std::uint32_t seed, std::int64_t accounts, double collateral_value) {
    std::mt19937_64 random(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const std::int64_t markets = 3;
    book.accounts = accounts;
    book.markets = markets;
    book.lot_size = {0.001, 0.01, 1.0};
    brackets = cpu::make_margin_brackets({{50e3, 0.004, 125}, {250e3, 0.005, 100}, {1e6, 0.01, 50}, {10e6, 0.025, 20}});
    book.margin_brackets = {{}, brackets, {}};
    book.position_offset.push_back(0);
    for (std::int64_t a = 0; a < accounts; ++a) {
      for (std::int32_t m = 0; m < markets; ++m) {
        if (unit(random) < 0.4) continue;
        book.position_market.push_back(m);
        book.position_account.push_back(a);
        book.entry_price_usd.push_back(100.0 * (0.5 + unit(random)));
        // Zero quantities too: a closed position stays in the book.
        const auto lots = static_cast<std::int64_t>(unit(random) * 2e5) - 100000;
        book.initial_quantity.push_back(unit(random) < 0.1 ? 0 : lots);
      }
      book.position_offset.push_back(static_cast<std::int64_t>(book.position_market.size()));
      book.initial_cash.push_back(static_cast<micro_usd>(unit(random) * 4e12) - 1000000000000);
    }
    book.positions = static_cast<std::int64_t>(book.position_market.size());
    state.cash = book.initial_cash;
    state.quantity = book.initial_quantity;
    state.collateral_value = collateral_value;
    state.has_margin_tiers = true;
    book.per_position_margins = true;
    for (std::int64_t m = 0; m < markets; ++m) {
      MarketSpec spec;
      spec.lot_size = book.lot_size[static_cast<std::size_t>(m)];
      spec.maintenance_margin_fraction = 0.02 + 0.05 * unit(random);
      cpu::MarketState market;
      market.fundamental_price_usd = 100.0 * (0.5 + unit(random));
      market.oracle_factor = 0.98 + 0.04 * unit(random);
      market.margin_scale = 0.5 + 2.0 * unit(random);
      market.initial_margin_fraction = 2.0 * spec.maintenance_margin_fraction;
      market.lot_size = spec.lot_size;
      market.maintenance_margin_fraction = spec.maintenance_margin_fraction;
      if (m == 2) {
        market.size_premium_factor = 0.0005;  // binds from about a few hundred base units
        market.per_position = true;
      }
      if (m == 1) {
        market.tiered = true;
        market.margin_brackets = book.margin_brackets[1].data();
        market.margin_bracket_count = book.margin_brackets[1].size();
        market.per_position = true;
      }
      market.reprice(spec);
      state.markets.push_back(market);
      device_markets.push_back(
          cuda::device_market(spec, market, 0, m == 1 ? static_cast<std::int32_t>(brackets.size()) : 0, 1.0));
    }
  }

  AccountView account(std::int64_t a) const {
    const auto first = static_cast<std::size_t>(book.position_offset[static_cast<std::size_t>(a)]);
    AccountView view;
    view.cash = state.cash[static_cast<std::size_t>(a)];
    view.quantity = state.quantity.data() + first;
    view.market = book.position_market.data() + first;
    view.entry_price_usd = book.entry_price_usd.data() + first;
    view.positions = book.position_offset[static_cast<std::size_t>(a) + 1] - static_cast<std::int64_t>(first);
    return view;
  }
  ScenarioMarketsView markets() const { return {device_markets.data(), brackets.data(), state.collateral_value}; }
};

TEST(DeviceAccount, TriggerAndSumsAreTheCpuReferencesBitForBit) {
  for (const double collateral_value : {1.0, 0.93}) {
    const RandomCase random_case(7, 4000, collateral_value);
    int liquidatable = 0;
    for (std::int64_t a = 0; a < random_case.book.accounts; ++a) {
      SCOPED_TRACE("account " + std::to_string(a));
      const bool cpu_below = cpu::below_maintenance<cpu::MarginTiers::present>(random_case.book, random_case.state, a);
      EXPECT_EQ(cuda::below_maintenance(random_case.account(a), random_case.markets()), cpu_below);
      liquidatable += cpu_below ? 1 : 0;
      const cpu::AccountValuation expected = cpu::value_account(random_case.book, random_case.state, a);
      const cuda::AccountSums sums = cuda::account_sums(random_case.account(a), random_case.markets());
      EXPECT_EQ(sums.equity_usd, expected.equity_usd);
      EXPECT_EQ(sums.margin_equity_usd, expected.margin_equity_usd);
      EXPECT_EQ(sums.maintenance_margin_usd, expected.maintenance_margin_usd);
      EXPECT_EQ(sums.initial_margin_usd, expected.initial_margin_usd);
      EXPECT_EQ(sums.notional_usd, expected.notional_usd);
      EXPECT_EQ(sums.has_positions, expected.has_positions);
      EXPECT_EQ(cpu::liquidation_fraction(false, sums.margin_equity_usd, sums.initial_margin_usd, sums.notional_usd, 0.005),
                cpu::liquidation_fraction(LiquidationMode::partial, expected, 0.005));
    }
    // The random book has both kinds of account, so the comparison covers both answers.
    EXPECT_GT(liquidatable, 100);
    EXPECT_LT(liquidatable, 3900);
  }
}

TEST(DeviceAccount, CollateralHaircutAtParAndBelow) {
  // Cash 1,000 USD, a long of 2 lots of 0.5 at entry 100 (cost basis 100): C = 1,100.
  const std::vector<std::int64_t> quantity = {2};
  const std::vector<std::int32_t> market = {0};
  const std::vector<double> entry = {100.0};
  std::vector<DeviceMarket> markets(1);
  markets[0].lot_size = 0.5;
  AccountView account{1000000000, quantity.data(), market.data(), entry.data(), 1};
  EXPECT_EQ(cuda::collateral_haircut_usd(account, {markets.data(), nullptr, 1.0}), 0.0);
  EXPECT_DOUBLE_EQ(cuda::collateral_haircut_usd(account, {markets.data(), nullptr, 0.9}), 0.1 * 1100.0);
  // Negative collateral is not haircut.
  account.cash = -200000000;
  EXPECT_EQ(cuda::collateral_haircut_usd(account, {markets.data(), nullptr, 0.9}), 0.0);
}

TEST(DeviceAccount, FillsPayTheLiquidityProvidersAndAFeeCappedAtEquity) {
  // Two markets: lot 0.1 at X = 50,000 (M = X), lot 1 at X = 2,000 (M = 2,020: the oracle).
  std::vector<DeviceMarket> markets(2);
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
  const cuda::AccountFills fills =
      cuda::fill_account_orders(cash, quantity.data(), orders.data(), market.data(), 2, markets.data(), 0.01,
                                step_notional.data());
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
  const cuda::AccountFills capped =
      cuda::fill_account_orders(cash, quantity.data(), orders.data(), market.data(), 2, markets.data(), 0.01,
                                step_notional.data());
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
  EXPECT_EQ(cuda::to_micro_usd_in_range(1.5, in_range), 1500000);
  EXPECT_TRUE(in_range);
  cuda::to_micro_usd_in_range(5e12, in_range);
  EXPECT_FALSE(in_range);
  in_range = true;
  cuda::to_micro_usd_in_range(std::nan(""), in_range);
  EXPECT_FALSE(in_range);
  in_range = true;
  EXPECT_EQ(cuda::add_in_range(max_money - 1, 1, in_range), max_money);
  EXPECT_TRUE(in_range);
  cuda::add_in_range(max_money, 1, in_range);
  EXPECT_FALSE(in_range);
  in_range = true;
  cuda::add_in_range(-max_money, -1, in_range);
  EXPECT_FALSE(in_range);
}

}  // namespace
}  // namespace margin_stress
