// Size- and open-interest-scaled margins in the configuration (docs/config.md, docs/model.md
// section 2): the keys, their round trip and their validation. The formulas' own tests are in
// formulas_size_scaled_margins_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "host/io/config_file.hpp"
#include "host/io/config_writer.hpp"
#include "host/model/input_error.hpp"
#include "scenarios/validate_config.hpp"
#include "tests/unit/input_error_matchers.hpp"

namespace margin_stress {
namespace {

using testing::expect_contains;
using testing::input_error_of;

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
        ValidationCase{
            "cap_not_increasing", [](MarketSpec& m) { m.margin_tiers[1].notional_cap_usd = 1000.0; },
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
        ValidationCase{
            "open_interest_upper_not_above_lower",
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
