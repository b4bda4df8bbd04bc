// Size- and open-interest-scaled margins (docs/model.md, "Equity and margin"): Binance's BTCUSDT
// notional brackets of 2021-03-18 worked by hand, dYdX v4's OIMF below, between and above its
// caps, the partial-liquidation lot count, and the config keys' round trip and validation.
#include "host/engine/cpu/margin_schedule.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "host/engine/cpu/liquidation.hpp"
#include "host/io/config_file.hpp"
#include "host/io/config_writer.hpp"
#include "host/model/input_error.hpp"
#include "host/model/validate_config.hpp"

#include "tests/unit/input_error_matchers.hpp"

namespace margin_stress {
namespace {

using testing::expect_contains;
using testing::input_error_of;

using cpu::MarginBracket;

// Binance USDⓈ-M BTCUSDT, 2021-03-18 (REFERENCES: Binance USDⓈ-M): notional cap, maintenance rate,
// max leverage.
const std::vector<MarginTier> binance_btc = {
    {50e3, 0.004, 125}, {250e3, 0.005, 100}, {1e6, 0.01, 50},  {10e6, 0.025, 20}, {20e6, 0.05, 10},
    {50e6, 0.10, 5},    {100e6, 0.125, 4},   {200e6, 0.15, 3}, {300e6, 0.25, 2},  {500e6, 0.50, 1}};

// cum_b = cum_{b-1} + cap_{b-1} (mmr_b - mmr_{b-1}):
//   50e3 x 0.001 = 50;  + 250e3 x 0.005 = 1,300;  + 1e6 x 0.015 = 16,300;  + 10e6 x 0.025 = 266,300;
//   + 20e6 x 0.05 = 1,266,300;  + 50e6 x 0.025 = 2,516,300;  + 100e6 x 0.025 = 5,016,300;
//   + 200e6 x 0.10 = 25,016,300;  + 300e6 x 0.25 = 100,016,300.
const std::vector<double> binance_btc_maintenance_amounts = {0,       50,      1300,     16300,    266300,
                                                             1266300, 2516300, 5016300, 25016300, 100016300};

// The requirement in USD, at scale s.
double maintenance(const std::vector<MarginBracket>& brackets, double notional_usd, double scale = 1.0) {
  return cpu::tiered_maintenance_margin_usd(cpu::margin_bracket(brackets, notional_usd), notional_usd, scale);
}
double initial(const std::vector<MarginBracket>& brackets, double notional_usd, double scale = 1.0) {
  return cpu::tiered_initial_margin_usd(cpu::margin_bracket(brackets, notional_usd), notional_usd, scale);
}

// The rates' decimal differences (0.005 - 0.004) are not exact in binary, so the amounts agree
// with the hand values to a few ulps of 1e8, not exactly.
constexpr double amount_tolerance_usd = 1e-6;

TEST(MarginBrackets, MaintenanceAmountsMatchTheHandValues) {
  const std::vector<MarginBracket> brackets = cpu::make_margin_brackets(binance_btc);
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
  const std::vector<MarginBracket> brackets = cpu::make_margin_brackets(binance_btc);
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
  const std::vector<MarginBracket> brackets = cpu::make_margin_brackets(binance_btc);
  for (std::size_t b = 0; b + 1 < brackets.size(); ++b) {
    SCOPED_TRACE("cap of bracket " + std::to_string(b));
    const double cap = binance_btc[b].notional_cap_usd;
    const double above = std::nextafter(cap, std::numeric_limits<double>::infinity());
    EXPECT_EQ(&cpu::margin_bracket(brackets, cap), &brackets[b]);
    EXPECT_EQ(&cpu::margin_bracket(brackets, above), &brackets[b + 1]);
    const double at_edge = maintenance(brackets, cap);
    EXPECT_NEAR(at_edge, cap * binance_btc[b].maintenance_rate - binance_btc_maintenance_amounts[b], amount_tolerance_usd);
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
    return cpu::open_interest_initial_margin_fraction(0.05, open_interest_usd, 40e6, 100e6);
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
  EXPECT_DOUBLE_EQ(cpu::open_interest_initial_margin_fraction(0.1, 25.0, 0.0, 100.0), 0.325);
}

// Partial liquidation always closes at least one lot, however small the fraction.
TEST(PartialLiquidation, ClosesAtLeastOneLot) {
  EXPECT_EQ(cpu::lots_to_close(1000, 0.0), 1);
  EXPECT_EQ(cpu::lots_to_close(-1000, 1e-12), 1);
  EXPECT_EQ(cpu::lots_to_close(20, 0.81), 17);  // ceil(16.2)
  EXPECT_EQ(cpu::lots_to_close(3, 0.999), 3);
  EXPECT_EQ(cpu::lots_to_close(-7, 1.0), 7);
  EXPECT_EQ(cpu::lots_to_close(1, 1e-300), 1);
}

// The fraction with a tiered account's IM (hand values of tests/reference/margin_schedule_test.cpp):
// E' = 40, N = 1740, IM = 1740 / 10 = 174, fee 0.5 %: f = 134 / 165.3.
TEST(PartialLiquidation, FractionUsesTheTieredInitialMargin) {
  cpu::AccountValuation valuation;
  valuation.equity_usd = 40.0;
  valuation.margin_equity_usd = 40.0;
  valuation.notional_usd = 1740.0;
  valuation.initial_margin_usd = 174.0;
  valuation.maintenance_margin_usd = 47.0;
  valuation.has_positions = true;
  EXPECT_DOUBLE_EQ(cpu::liquidation_fraction(LiquidationMode::partial, valuation, 0.005), 134.0 / 165.3);
}

// ---- Configuration: keys, round trip, validation ----

// The default's four markets, BTC with two brackets and SOL with open-interest caps.
const char* tiered_markets_toml = R"(
[[markets]]
name = "BTC"
initial_price_usd = 60000.0
lot_size = 0.001
depth_usd = 2.0e9
initial_margin_fraction = 0.008
maintenance_margin_fraction = 0.004
reference_volatility = 0.50
margin_tiers = [
  [50000.0, 0.004, 125.0],
  [1.0e15, 0.1, 3],
]

[[markets]]
name = "ETH"
initial_price_usd = 3000.0
lot_size = 0.01
depth_usd = 1.0e9
initial_margin_fraction = 0.01
maintenance_margin_fraction = 0.005
reference_volatility = 0.65

[[markets]]
name = "SOL"
initial_price_usd = 150.0
lot_size = 0.1
depth_usd = 3.0e8
initial_margin_fraction = 0.05
maintenance_margin_fraction = 0.03
reference_volatility = 0.90
open_interest_lower_cap_usd = 4.0e7
open_interest_upper_cap_usd = 1.0e8

[[markets]]
name = "DOGE"
initial_price_usd = 0.15
lot_size = 100.0
depth_usd = 2.0e8
initial_margin_fraction = 0.02
maintenance_margin_fraction = 0.01
reference_volatility = 0.90
)";

TEST(MarginScheduleConfig, KeysAreReadAndOptional) {
  const ModelConfig config = parse_config(tiered_markets_toml, "tiers.toml");
  EXPECT_NO_THROW(validate_config(config));
  ASSERT_EQ(config.markets[0].margin_tiers.size(), 2u);
  EXPECT_EQ(config.markets[0].margin_tiers[0].notional_cap_usd, 50000.0);
  EXPECT_EQ(config.markets[0].margin_tiers[0].maintenance_rate, 0.004);
  EXPECT_EQ(config.markets[0].margin_tiers[0].max_leverage, 125.0);
  EXPECT_EQ(config.markets[0].margin_tiers[1].max_leverage, 3.0);  // an integer is a number
  EXPECT_TRUE(config.markets[1].margin_tiers.empty());
  EXPECT_EQ(config.markets[1].open_interest_upper_cap_usd, 0.0);
  EXPECT_EQ(config.markets[2].open_interest_lower_cap_usd, 4.0e7);
  EXPECT_EQ(config.markets[2].open_interest_upper_cap_usd, 1.0e8);
  // The built-in default has neither.
  for (const MarketSpec& market : default_config().markets) {
    EXPECT_TRUE(market.margin_tiers.empty());
    EXPECT_EQ(market.open_interest_lower_cap_usd, 0.0);
    EXPECT_EQ(market.open_interest_upper_cap_usd, 0.0);
  }
}

TEST(MarginScheduleConfig, RoundTripThroughSourceTextIsExact) {
  ModelConfig config = parse_config(tiered_markets_toml, "tiers.toml");
  config.markets[1].margin_tiers = {{0.1 + 0.2, 1.0 / 3.0, 1.0}, {1.7976931348623157e308, 1.0, 1.0}};
  config.markets[3].open_interest_lower_cap_usd = 0.0;
  config.markets[3].open_interest_upper_cap_usd = 123456.789;
  const ModelConfig again = parse_config(config_to_toml(config), "again.toml");
  ASSERT_EQ(again.markets.size(), config.markets.size());
  for (std::size_t m = 0; m < config.markets.size(); ++m) {
    SCOPED_TRACE("market " + std::to_string(m));
    const MarketSpec& a = config.markets[m];
    const MarketSpec& b = again.markets[m];
    ASSERT_EQ(a.margin_tiers.size(), b.margin_tiers.size());
    for (std::size_t j = 0; j < a.margin_tiers.size(); ++j) {
      EXPECT_EQ(a.margin_tiers[j].notional_cap_usd, b.margin_tiers[j].notional_cap_usd);
      EXPECT_EQ(a.margin_tiers[j].maintenance_rate, b.margin_tiers[j].maintenance_rate);
      EXPECT_EQ(a.margin_tiers[j].max_leverage, b.margin_tiers[j].max_leverage);
    }
    EXPECT_EQ(a.open_interest_lower_cap_usd, b.open_interest_lower_cap_usd);
    EXPECT_EQ(a.open_interest_upper_cap_usd, b.open_interest_upper_cap_usd);
  }
  // source_text is that same text: a third pass changes nothing.
  EXPECT_EQ(config_to_toml(again), config_to_toml(config));
}

TEST(MarginScheduleConfig, ShapeErrorsNameTheRow) {
  const auto parse_error = [](const std::string& tiers) {
    std::string toml = tiered_markets_toml;
    const std::string table = "margin_tiers = [\n  [50000.0, 0.004, 125.0],\n  [1.0e15, 0.1, 3],\n]";
    toml.replace(toml.find(table), table.size(), "margin_tiers = " + tiers);
    return input_error_of([&] { parse_config(toml, "my.toml"); });
  };
  expect_contains(parse_error("[[50000.0, 0.004]]"),
                  {"my.toml: markets[0].margin_tiers row 0: 2 entries, expected 3 (notional_cap_usd, maintenance_rate, "
                   "max_leverage)"});
  expect_contains(parse_error("[[50000.0, 0.004, 125.0], [1e15, \"x\", 3]]"),
                  {"markets[0].margin_tiers row 1, maintenance_rate: expected a number, got \"x\""});
  expect_contains(parse_error("0.004"), {"markets[0].margin_tiers: expected an array of arrays"});
  expect_contains(parse_error("[0.004]"), {"markets[0].margin_tiers row 0: expected an array"});
  expect_contains(input_error_of([] { parse_config("[[markets]]\nname = \"X\"\nmargin_tier = []\n", "my.toml"); }),
                  {"unknown key 'markets[0].margin_tier' (did you mean 'markets[0].margin_tiers'?)"});
}

struct ValidationCase {
  std::string name;
  std::function<void(MarketSpec&)> change;
  std::string message;
};

std::ostream& operator<<(std::ostream& out, const ValidationCase& c) { return out << c.name; }

class MarginScheduleValidation : public ::testing::TestWithParam<ValidationCase> {};

// Market 0 starts as a valid three-bracket table: caps 1,000 / 5,000 / 1e12, rates 1 %, 5 %, 10 %,
// leverage 50, 10, 5 (maintenance amounts 0, 40, 290).
TEST_P(MarginScheduleValidation, IsRejectedWithMarketRowFieldAndValue) {
  ModelConfig config = default_config();
  config.source_name = "my.toml";
  config.markets[0].margin_tiers = {{1000.0, 0.01, 50.0}, {5000.0, 0.05, 10.0}, {1e12, 0.10, 5.0}};
  ASSERT_NO_THROW(validate_config(config));
  GetParam().change(config.markets[0]);
  expect_contains(input_error_of([&] { validate_config(config); }), {"my.toml: ", GetParam().message});
}

const double inf = std::numeric_limits<double>::infinity();
const double nan = std::numeric_limits<double>::quiet_NaN();

INSTANTIATE_TEST_SUITE_P(
    EveryRule, MarginScheduleValidation,
    ::testing::Values(
        ValidationCase{"cap_zero", [](MarketSpec& m) { m.margin_tiers[0].notional_cap_usd = 0.0; },
                       "markets[0].margin_tiers row 0, notional_cap_usd: 0 is not a finite number > 0"},
        ValidationCase{"cap_infinite", [](MarketSpec& m) { m.margin_tiers[2].notional_cap_usd = inf; },
                       "markets[0].margin_tiers row 2, notional_cap_usd: inf is not a finite number > 0"},
        ValidationCase{"cap_not_increasing", [](MarketSpec& m) { m.margin_tiers[1].notional_cap_usd = 1000.0; },
                       "markets[0].margin_tiers row 1, notional_cap_usd: 1000 is not above the previous row's cap 1000"},
        ValidationCase{"rate_zero", [](MarketSpec& m) { m.margin_tiers[0].maintenance_rate = 0.0; },
                       "markets[0].margin_tiers row 0, maintenance_rate: 0 is not in (0, 1]"},
        ValidationCase{"rate_nan", [](MarketSpec& m) { m.margin_tiers[1].maintenance_rate = nan; },
                       "markets[0].margin_tiers row 1, maintenance_rate: nan is not in (0, 1]"},
        ValidationCase{"rate_above_one", [](MarketSpec& m) { m.margin_tiers[2].maintenance_rate = 1.5; },
                       "markets[0].margin_tiers row 2, maintenance_rate: 1.5 is not in (0, 1]"},
        ValidationCase{"rate_decreasing", [](MarketSpec& m) { m.margin_tiers[2].maintenance_rate = 0.04; },
                       "markets[0].margin_tiers row 2, maintenance_rate: 0.04 is below the previous row's rate 0.05"},
        ValidationCase{"leverage_below_one", [](MarketSpec& m) { m.margin_tiers[2].max_leverage = 0.5; },
                       "markets[0].margin_tiers row 2, max_leverage: 0.5 is not a finite number >= 1"},
        ValidationCase{"leverage_increasing", [](MarketSpec& m) { m.margin_tiers[1].max_leverage = 60.0; },
                       "markets[0].margin_tiers row 1, max_leverage: 60 is above the previous row's leverage 50"},
        // The first bracket's rates: 2 % maintenance against 1 / 50 = 2 % initial is not below.
        ValidationCase{"first_maintenance_not_below_initial",
                       [](MarketSpec& m) { m.margin_tiers[0].maintenance_rate = 0.02; },
                       "markets[0].margin_tiers row 0, maintenance_rate: 0.02 is not below the initial rate 1 / "
                       "max_leverage = 0.02"},
        // Inside bracket 1: 12 % maintenance grows faster than 1 / 10 = 10 % initial.
        ValidationCase{"maintenance_overtakes_initial",
                       [](MarketSpec& m) {
                         m.margin_tiers[1].maintenance_rate = 0.12;
                         m.margin_tiers[2].maintenance_rate = 0.15;
                       },
                       "markets[0].margin_tiers row 1, maintenance_rate: 0.12 is not at most the initial rate 1 / "
                       "max_leverage = 0.1"},
        ValidationCase{"too_many_rows",
                       [](MarketSpec& m) {
                         m.margin_tiers.clear();
                         for (int j = 0; j < 65; ++j) m.margin_tiers.push_back({1000.0 * (j + 1), 0.01, 50.0});
                       },
                       "markets[0].margin_tiers: 65 rows, at most 64 are allowed"},
        ValidationCase{"tiers_and_open_interest",
                       [](MarketSpec& m) {
                         m.open_interest_lower_cap_usd = 1e6;
                         m.open_interest_upper_cap_usd = 2e6;
                       },
                       "markets[0].open_interest_upper_cap_usd: 2e+06 with margin_tiers: a market takes margin_tiers "
                       "or open-interest caps, not both"},
        ValidationCase{"open_interest_negative",
                       [](MarketSpec& m) {
                         m.margin_tiers.clear();
                         m.open_interest_lower_cap_usd = -1.0;
                       },
                       "markets[0].open_interest_lower_cap_usd: -1 is not a finite number >= 0"},
        ValidationCase{"open_interest_upper_not_above_lower",
                       [](MarketSpec& m) {
                         m.margin_tiers.clear();
                         m.open_interest_lower_cap_usd = 5e7;
                         m.open_interest_upper_cap_usd = 5e7;
                       },
                       "markets[0].open_interest_upper_cap_usd: 5e+07 is not above open_interest_lower_cap_usd = 5e+07"},
        ValidationCase{"open_interest_lower_only",
                       [](MarketSpec& m) {
                         m.margin_tiers.clear();
                         m.open_interest_lower_cap_usd = 4e7;
                       },
                       "markets[0].open_interest_upper_cap_usd: 0 is not above open_interest_lower_cap_usd = 4e+07 "
                       "(both 0: no open-interest scaling)"},
        ValidationCase{"open_interest_infinite",
                       [](MarketSpec& m) {
                         m.margin_tiers.clear();
                         m.open_interest_upper_cap_usd = inf;
                       },
                       "markets[0].open_interest_upper_cap_usd: inf is not a finite number >= 0"}),
    [](const ::testing::TestParamInfo<ValidationCase>& param_info) { return param_info.param.name; });

// The edges of every rule are accepted: one bracket at 1x with a 99.9 % rate, equal rates and
// leverages, and a lower cap of 0.
TEST(MarginScheduleConfig, EdgesAreAccepted) {
  ModelConfig config = default_config();
  config.markets[0].margin_tiers = {{1.0, 0.999, 1.0}};
  config.markets[1].margin_tiers = {{1e3, 0.01, 50.0}, {2e3, 0.01, 50.0}, {3e3, 0.02, 50.0}, {4e3, 0.5, 2.0}};
  config.markets[2].open_interest_lower_cap_usd = 0.0;
  config.markets[2].open_interest_upper_cap_usd = 1.0;
  EXPECT_NO_THROW(validate_config(config));
}

}  // namespace
}  // namespace margin_stress
