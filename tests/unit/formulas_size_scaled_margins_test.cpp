// Size- and open-interest-scaled margins (host/model/formulas/size_scaled_margins.hpp; docs/model.md
// section 2): Binance's BTCUSDT notional brackets of 2021-03-18 worked by hand, Drift's size premium,
// and dYdX v4's OIMF below, between and above its caps.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "host/model/formulas/size_scaled_margins.hpp"

namespace margin_stress::formulas {
namespace {

// Binance USDⓈ-M BTCUSDT, 2021-03-18 (REFERENCES: Binance USDⓈ-M): notional cap, maintenance rate,
// max leverage.
const std::vector<MarginTier> binance_btc = {
    {50e3, 0.004, 125}, {250e3, 0.005, 100}, {1e6, 0.01, 50},  {10e6, 0.025, 20}, {20e6, 0.05, 10},
    {50e6, 0.10, 5},    {100e6, 0.125, 4},   {200e6, 0.15, 3}, {300e6, 0.25, 2},  {500e6, 0.50, 1}};

// cum_b = cum_{b-1} + cap_{b-1} (mmr_b - mmr_{b-1}):
//   50e3 x 0.001 = 50;  + 250e3 x 0.005 = 1,300;  + 1e6 x 0.015 = 16,300;  + 10e6 x 0.025 = 266,300;
//   + 20e6 x 0.05 = 1,266,300;  + 50e6 x 0.025 = 2,516,300;  + 100e6 x 0.025 = 5,016,300;
//   + 200e6 x 0.10 = 25,016,300;  + 300e6 x 0.25 = 100,016,300.
const std::vector<double> binance_btc_maintenance_amounts = {0,       50,      1300,    16300,    266300,
                                                             1266300, 2516300, 5016300, 25016300, 100016300};

// The requirement in USD, at scale s.
double maintenance(const std::vector<MarginBracket>& brackets, double notional_usd, double scale = 1.0) {
  return tiered_maintenance_margin_usd(margin_bracket(brackets.data(), brackets.size(), notional_usd), notional_usd,
                                       scale);
}
double initial(const std::vector<MarginBracket>& brackets, double notional_usd, double scale = 1.0) {
  return tiered_initial_margin_usd(margin_bracket(brackets.data(), brackets.size(), notional_usd), notional_usd, scale);
}

// The rates' decimal differences (0.005 - 0.004) are not exact in binary, so the amounts agree
// with the hand values to a few ulps of 1e8, not exactly.
constexpr double amount_tolerance_usd = 1e-6;

TEST(MarginBrackets, MaintenanceAmountsMatchTheHandValues) {
  const std::vector<MarginBracket> brackets = make_margin_brackets(binance_btc);
  ASSERT_EQ(brackets.size(), binance_btc_maintenance_amounts.size());
  for (std::size_t b = 0; b < brackets.size(); ++b) {
    SCOPED_TRACE("bracket " + std::to_string(b));
    EXPECT_NEAR(brackets[b].maintenance_amount_usd, binance_btc_maintenance_amounts[b], amount_tolerance_usd);
    EXPECT_EQ(brackets[b].notional_cap_usd, binance_btc[b].notional_cap_usd);
    EXPECT_EQ(brackets[b].maintenance_rate, binance_btc[b].maintenance_rate);
    EXPECT_EQ(brackets[b].max_leverage, binance_btc[b].max_leverage);
  }
  EXPECT_EQ(brackets[0].maintenance_amount_usd, 0.0);
}

TEST(MarginBrackets, RequirementInsideBrackets) {
  const std::vector<MarginBracket> brackets = make_margin_brackets(binance_btc);
  // 30k: bracket 0, 0.4 % and 125x.
  EXPECT_NEAR(maintenance(brackets, 30e3), 120.0, amount_tolerance_usd);
  EXPECT_NEAR(initial(brackets, 30e3), 240.0, amount_tolerance_usd);
  // 100k: bracket 1, 100k x 0.5 % - 50 = 450; IM 100k / 100 = 1,000.
  EXPECT_NEAR(maintenance(brackets, 100e3), 450.0, amount_tolerance_usd);
  EXPECT_NEAR(initial(brackets, 100e3), 1000.0, amount_tolerance_usd);
  // 5M: bracket 3, 5M x 2.5 % - 16,300 = 108,700; IM 5M / 20 = 250,000.
  EXPECT_NEAR(maintenance(brackets, 5e6), 108700.0, amount_tolerance_usd);
  EXPECT_NEAR(initial(brackets, 5e6), 250000.0, amount_tolerance_usd);
  // 15M: bracket 4, 15M x 5 % - 266,300 = 483,700; IM 1.5M.
  EXPECT_NEAR(maintenance(brackets, 15e6), 483700.0, amount_tolerance_usd);
  EXPECT_NEAR(initial(brackets, 15e6), 1.5e6, amount_tolerance_usd);
  // 400M: bracket 9, 400M x 50 % - 100,016,300 = 99,983,700; IM 400M at 1x.
  EXPECT_NEAR(maintenance(brackets, 400e6), 99983700.0, amount_tolerance_usd);
  EXPECT_NEAR(initial(brackets, 400e6), 400e6, amount_tolerance_usd);
  // Beyond the last cap the last bracket goes on: 600M x 50 % - 100,016,300.
  EXPECT_NEAR(maintenance(brackets, 600e6), 199983700.0, amount_tolerance_usd);
  EXPECT_NEAR(initial(brackets, 600e6), 600e6, amount_tolerance_usd);
  // The margin scale multiplies both: s = 2.5 at 100k.
  EXPECT_NEAR(maintenance(brackets, 100e3, 2.5), 1125.0, amount_tolerance_usd);
  EXPECT_NEAR(initial(brackets, 100e3, 2.5), 2500.0, amount_tolerance_usd);
  // A flat position needs nothing.
  EXPECT_EQ(maintenance(brackets, 0.0), 0.0);
  EXPECT_EQ(initial(brackets, 0.0), 0.0);
}

// At a cap N = cap_b the bracket is b (N <= cap_b); one ulp above, b + 1. The maintenance is
// continuous there (cap_b mmr_b - cum_b = cap_b mmr_{b+1} - cum_{b+1} by the choice of cum); the
// initial margin jumps from cap_b / lev_b to cap_b / lev_{b+1}, as on the venue.
TEST(MarginBrackets, EdgesAreInTheLowerBracketAndMaintenanceIsContinuous) {
  const std::vector<MarginBracket> brackets = make_margin_brackets(binance_btc);
  for (std::size_t b = 0; b + 1 < brackets.size(); ++b) {
    SCOPED_TRACE("cap of bracket " + std::to_string(b));
    const double cap = binance_btc[b].notional_cap_usd;
    const double above = std::nextafter(cap, std::numeric_limits<double>::infinity());
    EXPECT_EQ(&margin_bracket(brackets.data(), brackets.size(), cap), &brackets[b]);
    EXPECT_EQ(&margin_bracket(brackets.data(), brackets.size(), above), &brackets[b + 1]);
    const double at_edge = maintenance(brackets, cap);
    EXPECT_NEAR(at_edge, cap * binance_btc[b].maintenance_rate - binance_btc_maintenance_amounts[b],
                amount_tolerance_usd);
    EXPECT_NEAR(maintenance(brackets, above), at_edge, 1e-12 * cap);
    EXPECT_DOUBLE_EQ(initial(brackets, cap), cap / binance_btc[b].max_leverage);
    EXPECT_DOUBLE_EQ(initial(brackets, above), above / binance_btc[b + 1].max_leverage);
  }
  // By hand at four caps, each in its own bracket (N <= cap): 50k x 0.4 %; 1M x 1 % - 1,300;
  // 10M x 2.5 % - 16,300; 20M x 5 % - 266,300.
  EXPECT_NEAR(maintenance(brackets, 50e3), 200.0, amount_tolerance_usd);
  EXPECT_NEAR(maintenance(brackets, 1e6), 8700.0, amount_tolerance_usd);
  EXPECT_NEAR(maintenance(brackets, 10e6), 233700.0, amount_tolerance_usd);
  EXPECT_NEAR(maintenance(brackets, 20e6), 733700.0, amount_tolerance_usd);
}

// dYdX v4 "Mid-Cap": imf 5 %, caps 40M and 100M.
TEST(OpenInterestMargin, BelowBetweenAndAboveTheCaps) {
  const auto imf = [](double open_interest_usd) {
    return open_interest_initial_margin_fraction(0.05, open_interest_usd, 40e6, 100e6);
  };
  EXPECT_EQ(imf(0.0), 0.05);
  EXPECT_EQ(imf(20e6), 0.05);
  EXPECT_EQ(imf(40e6), 0.05);  // at the lower cap: the base imf
  // 55M: (55 - 40) / 60 = 0.25 of the way, 0.05 + 0.25 x 0.95 = 0.2875.
  EXPECT_DOUBLE_EQ(imf(55e6), 0.2875);
  // 70M: halfway, 0.05 + 0.5 x 0.95 = 0.525.
  EXPECT_DOUBLE_EQ(imf(70e6), 0.525);
  EXPECT_EQ(imf(100e6), 1.0);  // at the upper cap: fully collateralised
  EXPECT_EQ(imf(250e6), 1.0);
  // A lower cap of 0 scales from the first dollar: 25 of 100 -> 0.1 + 0.25 x 0.9 = 0.325.
  EXPECT_DOUBLE_EQ(open_interest_initial_margin_fraction(0.1, 25.0, 0.0, 100.0), 0.325);
}

// Drift's size premium on a position of B base units: max(r, min(1, 0.8 r + f sqrt(B))).
TEST(SizePremium, GrowsWithTheSquareRootOfSizeAndIsCapped) {
  // r = 5 %, f = 0.001: at B = 100, 0.04 + 0.01 = 0.05 (the premium just reaches r); at B = 10,000,
  // 0.04 + 0.1 = 0.14; at B = 4e6, 0.04 + 2 = 2.04, capped at 1; a small position keeps r.
  EXPECT_DOUBLE_EQ(size_premium_fraction(0.05, 0.001, 100.0), 0.05);
  EXPECT_DOUBLE_EQ(size_premium_fraction(0.05, 0.001, 10000.0), 0.14);
  EXPECT_EQ(size_premium_fraction(0.05, 0.001, 4e6), 1.0);
  EXPECT_EQ(size_premium_fraction(0.05, 0.001, 1.0), 0.05);
  EXPECT_EQ(size_premium_fraction(0.05, 0.0, 1e12), 0.05);
  // The requirement: s N r' = 2 x 500,000 x 0.14 = 140,000.
  EXPECT_DOUBLE_EQ(size_premium_margin_usd(500000.0, 0.05, 0.001, 10000.0, 2.0), 140000.0);
}

}  // namespace
}  // namespace margin_stress::formulas
