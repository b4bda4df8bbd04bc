// The synthetic portfolio generator (host/portfolio/generator) against the distributions stated
// in docs/model.md ("Synthetic portfolios"), plus determinism, thread invariance and validation.
// Statistical checks use fixed seeds and bounds of 5 standard errors computed from the sample size.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "host/model/input_error.hpp"
#include "host/portfolio/generator.hpp"
#include "tests/unit/input_error_matchers.hpp"

namespace margin_stress {
namespace {

std::vector<MarketSpec> four_markets(double initial_margin_fraction) {
  const char* names[] = {"BTC-PERP", "ETH-PERP", "SOL-PERP", "DOGE-PERP"};
  const double prices[] = {60000.0, 3000.0, 150.0, 0.15};
  std::vector<MarketSpec> markets;
  for (std::size_t m = 0; m < 4; ++m) {
    MarketSpec market;
    market.name = names[m];
    market.initial_price_usd = prices[m];
    market.lot_size = 0.01 / prices[m];  // one lot is worth one cent at the initial price
    market.depth_usd = 1e8;
    market.initial_margin_fraction = initial_margin_fraction;
    market.maintenance_margin_fraction = initial_margin_fraction / 2.0;
    market.reference_volatility = 0.6;
    markets.push_back(market);
  }
  return markets;
}

PortfolioGeneratorParams four_market_params() {
  PortfolioGeneratorParams params;
  params.accounts = 100000;
  params.seed = 42;
  params.open_interest_share = {0.45, 0.3, 0.15, 0.1};
  params.long_fraction = {0.55, 0.5, 0.4, 0.7};
  params.leverage_weights = {0.3, 0.35, 0.2, 0.1, 0.05};
  params.leverage_bounds = {1.0, 3.0, 10.0, 25.0, 50.0, 100.0};
  return params;
}

// sum over the account's positions of |q| lot e (the entry notional).
double entry_notional(const Portfolio& book, const std::vector<MarketSpec>& markets, std::size_t a) {
  double notional = 0.0;
  for (auto p = static_cast<std::size_t>(book.position_offset[a]);
       p < static_cast<std::size_t>(book.position_offset[a + 1]); ++p) {
    const MarketSpec& market = markets[static_cast<std::size_t>(book.market_index[p])];
    notional += static_cast<double>(std::llabs(book.quantity_lots[p])) * market.lot_size * book.entry_price_usd[p];
  }
  return notional;
}

void expect_same_book(const Portfolio& a, const Portfolio& b) {
  EXPECT_EQ(a.market_names, b.market_names);
  EXPECT_EQ(a.collateral_usd, b.collateral_usd);
  EXPECT_EQ(a.position_offset, b.position_offset);
  EXPECT_EQ(a.market_index, b.market_index);
  EXPECT_EQ(a.quantity_lots, b.quantity_lots);
  EXPECT_EQ(a.entry_price_usd, b.entry_price_usd);
}

// 5 standard errors of a proportion p estimated from n draws.
double proportion_bound(double p, double n) { return 5.0 * std::sqrt(p * (1.0 - p) / n); }

TEST(PortfolioGenerator, SameSeedGivesTheSameBookAndAnotherSeedDoesNot) {
  const std::vector<MarketSpec> markets = four_markets(0.02);
  PortfolioGeneratorParams params = four_market_params();
  params.accounts = 5000;
  const Portfolio first = generate_portfolio(params, markets, 2);
  expect_same_book(first, generate_portfolio(params, markets, 2));
  params.seed += 1;
  const Portfolio other = generate_portfolio(params, markets, 2);
  EXPECT_NE(first.collateral_usd, other.collateral_usd);
  EXPECT_NE(first.entry_price_usd, other.entry_price_usd);
}

TEST(PortfolioGenerator, ThreadCountDoesNotChangeTheBook) {
  const std::vector<MarketSpec> markets = four_markets(0.02);
  PortfolioGeneratorParams params = four_market_params();
  params.accounts = 10007;
  params.multi_market_fraction = 0.5;
  const Portfolio one = generate_portfolio(params, markets, 1);
  expect_same_book(one, generate_portfolio(params, markets, 2));
  expect_same_book(one, generate_portfolio(params, markets, 3));
}

TEST(PortfolioGenerator, AnAccountDoesNotDependOnHowManyOthersAreGenerated) {
  const std::vector<MarketSpec> markets = four_markets(0.02);
  PortfolioGeneratorParams params = four_market_params();
  params.accounts = 300;
  params.multi_market_fraction = 0.5;
  const Portfolio small = generate_portfolio(params, markets, 2);
  params.accounts = 1000;
  const Portfolio large = generate_portfolio(params, markets, 2);
  for (std::size_t a = 0; a < 300; ++a) {
    ASSERT_EQ(small.collateral_usd[a], large.collateral_usd[a]) << "account " << a;
    ASSERT_EQ(small.position_offset[a + 1], large.position_offset[a + 1]) << "account " << a;
  }
  const auto positions = static_cast<std::ptrdiff_t>(small.position_count());
  EXPECT_TRUE(std::equal(small.quantity_lots.begin(), small.quantity_lots.end(), large.quantity_lots.begin()));
  EXPECT_TRUE(std::equal(small.entry_price_usd.begin(), small.entry_price_usd.end(), large.entry_price_usd.begin()));
  EXPECT_TRUE(std::equal(small.market_index.begin(), small.market_index.end(), large.market_index.begin()));
  EXPECT_GT(positions, 300);
}

TEST(PortfolioGenerator, LayoutFollowsThePortfolioContract) {
  const std::vector<MarketSpec> markets = four_markets(0.02);
  PortfolioGeneratorParams params = four_market_params();
  params.accounts = 20000;
  params.multi_market_fraction = 0.3;
  const Portfolio book = generate_portfolio(params, markets, 2);
  ASSERT_EQ(book.account_count(), 20000u);
  ASSERT_EQ(book.position_offset.size(), 20001u);
  EXPECT_EQ(book.position_offset.front(), 0);
  EXPECT_EQ(static_cast<std::size_t>(book.position_offset.back()), book.position_count());
  EXPECT_EQ(book.market_names, (std::vector<std::string>{"BTC-PERP", "ETH-PERP", "SOL-PERP", "DOGE-PERP"}));
  for (std::size_t a = 0; a < book.account_count(); ++a) {
    const std::int64_t count = book.position_offset[a + 1] - book.position_offset[a];
    ASSERT_TRUE(count >= 1 && count <= 3) << "account " << a;
    ASSERT_TRUE(std::isfinite(book.collateral_usd[a]) && book.collateral_usd[a] >= 0.0) << "account " << a;
    const double cents = book.collateral_usd[a] * 100.0;
    ASSERT_NEAR(cents, std::round(cents), 1e-6 * std::max(1.0, cents)) << "account " << a << ": not whole cents";
    std::set<std::int32_t> seen;
    for (auto p = static_cast<std::size_t>(book.position_offset[a]);
         p < static_cast<std::size_t>(book.position_offset[a + 1]); ++p) {
      ASSERT_TRUE(book.market_index[p] >= 0 && book.market_index[p] < 4) << "position " << p;
      ASSERT_TRUE(seen.insert(book.market_index[p]).second) << "account " << a << " holds a market twice";
      ASSERT_NE(book.quantity_lots[p], 0) << "position " << p;
      ASSERT_TRUE(std::isfinite(book.entry_price_usd[p]) && book.entry_price_usd[p] > 0.0) << "position " << p;
    }
  }
}

TEST(PortfolioGenerator, EveryAccountStartsAtOrAboveInitialMargin) {
  // A wide entry spread and leverage up to 100 against a 50x cap: many accounts need the top-up.
  const std::vector<MarketSpec> markets = four_markets(0.02);
  PortfolioGeneratorParams params = four_market_params();
  params.multi_market_fraction = 0.4;
  params.entry_price_spread = 0.1;
  const Portfolio book = generate_portfolio(params, markets, 2);
  std::int64_t at_the_boundary = 0;
  for (std::size_t a = 0; a < book.account_count(); ++a) {
    // E0 = C + P, P = sum q lot (P0 - e), summed before adding C (the order model.md states).
    double initial_pnl = 0.0;
    double initial_margin = 0.0;
    for (auto p = static_cast<std::size_t>(book.position_offset[a]);
         p < static_cast<std::size_t>(book.position_offset[a + 1]); ++p) {
      const MarketSpec& market = markets[static_cast<std::size_t>(book.market_index[p])];
      const double size = static_cast<double>(book.quantity_lots[p]) * market.lot_size;
      const double abs_size = static_cast<double>(std::llabs(book.quantity_lots[p])) * market.lot_size;
      initial_pnl += size * (market.initial_price_usd - book.entry_price_usd[p]);
      initial_margin += abs_size * market.initial_price_usd * market.initial_margin_fraction;
    }
    const double equity = book.collateral_usd[a] + initial_pnl;
    ASSERT_GE(equity, initial_margin) << "account " << a << " (seed " << params.seed << ")";
    if (equity - initial_margin < 0.02) ++at_the_boundary;
  }
  // The top-up path was exercised: accounts raised to E0 = IM0 sit within two cents of it.
  EXPECT_GT(at_the_boundary, 1000);
}

TEST(PortfolioGenerator, SingleMarketPositionsFollowOpenInterestSharesAndLongFractions) {
  const std::vector<MarketSpec> markets = four_markets(0.02);
  PortfolioGeneratorParams params = four_market_params();
  params.multi_market_fraction = 0.0;
  const Portfolio book = generate_portfolio(params, markets, 2);
  ASSERT_EQ(book.position_count(), book.account_count());
  std::vector<double> positions(4, 0.0);
  std::vector<double> longs(4, 0.0);
  for (std::size_t p = 0; p < book.position_count(); ++p) {
    const auto m = static_cast<std::size_t>(book.market_index[p]);
    positions[m] += 1.0;
    if (book.quantity_lots[p] > 0) longs[m] += 1.0;
  }
  const double n = static_cast<double>(book.position_count());
  for (std::size_t m = 0; m < 4; ++m) {
    const double share = params.open_interest_share[m];
    EXPECT_NEAR(positions[m] / n, share, proportion_bound(share, n)) << "market " << m;
    const double long_fraction = params.long_fraction[m];
    EXPECT_NEAR(longs[m] / positions[m], long_fraction, proportion_bound(long_fraction, positions[m]))
        << "market " << m;
  }
}

TEST(PortfolioGenerator, CrossMarginAccountsDrawTwoOrThreeMarketsWithoutReplacement) {
  const std::vector<MarketSpec> markets = four_markets(0.02);
  PortfolioGeneratorParams params = four_market_params();
  params.multi_market_fraction = 0.4;
  const Portfolio book = generate_portfolio(params, markets, 2);
  const std::vector<double>& s = params.open_interest_share;
  double multi = 0.0;
  double three = 0.0;
  double pairs = 0.0;
  std::vector<double> in_pair(4, 0.0);
  for (std::size_t a = 0; a < book.account_count(); ++a) {
    const std::int64_t count = book.position_offset[a + 1] - book.position_offset[a];
    if (count == 1) continue;
    multi += 1.0;
    if (count == 3) three += 1.0;
    if (count != 2) continue;
    pairs += 1.0;
    for (std::int64_t p = book.position_offset[a]; p < book.position_offset[a + 1]; ++p) {
      in_pair[static_cast<std::size_t>(book.market_index[static_cast<std::size_t>(p)])] += 1.0;
    }
  }
  const double n = static_cast<double>(book.account_count());
  EXPECT_NEAR(multi / n, 0.4, proportion_bound(0.4, n));
  EXPECT_NEAR(three / multi, 0.5, proportion_bound(0.5, multi));
  for (std::size_t i = 0; i < 4; ++i) {
    // Two draws without replacement: P(i in pair) = s_i + sum_{j != i} s_j s_i / (1 - s_j).
    double inclusion = s[i];
    for (std::size_t j = 0; j < 4; ++j) {
      if (j != i) inclusion += s[j] * s[i] / (1.0 - s[j]);
    }
    EXPECT_NEAR(in_pair[i] / pairs, inclusion, proportion_bound(inclusion, pairs)) << "market " << i;
  }
}

TEST(PortfolioGenerator, MarketCountIsCappedByTheMarketsWithOpenInterest) {
  const std::vector<MarketSpec> markets = four_markets(0.02);
  PortfolioGeneratorParams params = four_market_params();
  params.accounts = 2000;
  params.multi_market_fraction = 1.0;
  params.open_interest_share = {0.6, 0.0, 0.4, 0.0};
  const Portfolio book = generate_portfolio(params, markets, 2);
  for (std::size_t a = 0; a < book.account_count(); ++a) {
    ASSERT_EQ(book.position_offset[a + 1] - book.position_offset[a], 2) << "account " << a;
  }
  for (std::int32_t market : book.market_index) ASSERT_TRUE(market == 0 || market == 2) << market;
}

TEST(PortfolioGenerator, NotionalTailFollowsTheTruncatedPareto) {
  const std::vector<MarketSpec> markets = four_markets(0.02);
  PortfolioGeneratorParams params = four_market_params();
  params.multi_market_fraction = 0.25;
  params.entry_price_spread = 0.0;  // entry notional is then N up to half a cent per position
  const Portfolio book = generate_portfolio(params, markets, 2);
  const double alpha = params.pareto_alpha;
  const double x_m = params.min_notional_usd;
  const double x_max = params.max_notional_usd;
  const double truncation = std::pow(x_m / x_max, alpha);
  const double n = static_cast<double>(book.account_count());
  for (double x : {1500.0, 3000.0, 10000.0, 30000.0, 100000.0}) {
    double above = 0.0;
    for (std::size_t a = 0; a < book.account_count(); ++a) above += entry_notional(book, markets, a) > x ? 1.0 : 0.0;
    // P(N > x) = ((x_m / x)^alpha - (x_m / x_M)^alpha) / (1 - (x_m / x_M)^alpha).
    const double expected = (std::pow(x_m / x, alpha) - truncation) / (1.0 - truncation);
    ASSERT_GT(expected * n, 50.0) << "x = " << x;
    EXPECT_NEAR(above / n, expected, proportion_bound(expected, n)) << "x = " << x;
  }
  double largest = 0.0;
  for (std::size_t a = 0; a < book.account_count(); ++a) largest = std::max(largest, entry_notional(book, markets, a));
  EXPECT_LE(largest, x_max + 0.02);
}

TEST(PortfolioGenerator, LeverageBracketsFollowTheWeightsBelowTheCap) {
  // imf 0.001 caps leverage at 1000, above every bracket; without an entry spread there is no
  // top-up, so notional / collateral is the drawn leverage up to the cent rounding of collateral
  // (relative 5e-6 at the 1e5 minimum notional and leverage 100).
  const std::vector<MarketSpec> markets = four_markets(0.001);
  PortfolioGeneratorParams params = four_market_params();
  params.entry_price_spread = 0.0;
  params.min_notional_usd = 1e5;
  const Portfolio book = generate_portfolio(params, markets, 2);
  const std::vector<double>& bounds = params.leverage_bounds;
  std::vector<double> count(params.leverage_weights.size(), 0.0);
  std::vector<double> leverage_sum(params.leverage_weights.size(), 0.0);
  for (std::size_t a = 0; a < book.account_count(); ++a) {
    const double leverage = entry_notional(book, markets, a) / book.collateral_usd[a];
    ASSERT_TRUE(leverage >= bounds.front() * (1 - 1e-5) && leverage <= bounds.back() * (1 + 1e-5)) << leverage;
    std::size_t bracket = 0;
    while (bracket + 2 < bounds.size() && leverage >= bounds[bracket + 1]) ++bracket;
    count[bracket] += 1.0;
    leverage_sum[bracket] += leverage;
  }
  const double n = static_cast<double>(book.account_count());
  for (std::size_t b = 0; b < count.size(); ++b) {
    const double weight = params.leverage_weights[b];
    EXPECT_NEAR(count[b] / n, weight, proportion_bound(weight, n)) << "bracket " << b;
    // Uniform within the bracket: mean (lo + hi) / 2, standard error (hi - lo) / sqrt(12 n_b).
    const double width = bounds[b + 1] - bounds[b];
    EXPECT_NEAR(leverage_sum[b] / count[b], (bounds[b] + bounds[b + 1]) / 2.0, 5.0 * width / std::sqrt(12.0 * count[b]))
        << "bracket " << b;
  }
}

TEST(PortfolioGenerator, LeverageIsCappedByTheInitialMarginFraction) {
  const std::vector<MarketSpec> markets = four_markets(0.05);  // at most 20x
  PortfolioGeneratorParams params = four_market_params();
  params.accounts = 20000;
  params.entry_price_spread = 0.0;
  params.min_notional_usd = 1e5;
  const Portfolio book = generate_portfolio(params, markets, 2);
  double at_cap = 0.0;
  for (std::size_t a = 0; a < book.account_count(); ++a) {
    const double leverage = entry_notional(book, markets, a) / book.collateral_usd[a];
    ASSERT_LE(leverage, 20.0 * (1 + 1e-5)) << "account " << a;
    if (leverage > 20.0 * (1 - 1e-5)) at_cap += 1.0;
  }
  // Brackets above 20x (weights 0.1 + 0.05) and the top fifth of [10, 25) (0.2 * 5 / 15) are capped.
  const double expected = 0.15 + 0.2 / 3.0;
  const double n = static_cast<double>(book.account_count());
  EXPECT_NEAR(at_cap / n, expected, proportion_bound(expected, n));
}

// One market with the whole open interest, its lot worth `lot_usd` at the initial price.
std::vector<MarketSpec> one_market_at(double price_usd, double lot_size) {
  std::vector<MarketSpec> markets = four_markets(0.1);
  markets[0].initial_price_usd = price_usd;
  markets[0].lot_size = lot_size;
  return markets;
}

PortfolioGeneratorParams all_in_first_market(std::int64_t accounts) {
  PortfolioGeneratorParams params = four_market_params();
  params.accounts = accounts;
  params.open_interest_share = {1.0, 0.0, 0.0, 0.0};
  return params;
}

// A price of 1e19 made the collateral top-up, a cent at a time, run past 2^53 cents, where a cent
// no longer changes a double: the generator never returned.
TEST(PortfolioGenerator, APriceBeyondTheMoneyRangeIsRefusedNotLoopedOn) {
  const std::vector<MarketSpec> markets = one_market_at(1e19, 1.0);
  for (int threads : {1, 3}) {
    const std::string message =
        testing::input_error_of([&] { generate_portfolio(all_in_first_market(10), markets, threads, "huge.toml"); });
    testing::expect_contains(message, {"huge.toml: markets[0].initial_price_usd: 1e+19", "markets[0].lot_size = 1",
                                       "account 0 ", "BTC-PERP", "money limit of 4.6e+12 USD"});
  }
}

// 1e15 USD a lot: every account holds at least one lot, so the collateral (its initial margin,
// 1e14) passes the money limit, which `run` would refuse without naming the config.
TEST(PortfolioGenerator, AnAccountBeyondTheMoneyRangeNamesTheMarketKeys) {
  const std::string message = testing::input_error_of(
      [&] { generate_portfolio(all_in_first_market(10), one_market_at(1e15, 1.0), 2, "lot.toml"); });
  testing::expect_contains(message, {"lot.toml: markets[0].initial_price_usd: 1e+15", "account 0 ", "notional at entry",
                                     "portfolio.max_notional_usd"});
}

// Each account fits, but their sum, which the engines add up in micro-dollars, does not.
TEST(PortfolioGenerator, ABookBeyondTheMoneyRangeNamesTheAccountCount) {
  const std::string message = testing::input_error_of(
      [&] { generate_portfolio(all_in_first_market(10), one_market_at(1e15, 0.001), 2, "book.toml"); });
  testing::expect_contains(message, {"book.toml: portfolio.accounts: 10 accounts", "money limit of 4.6e+12 USD"});
}

struct ValidationCase {
  std::string name;
  std::function<void(PortfolioGeneratorParams&)> breakage;
  std::string expected_message;
};

// gtest prints the case by name rather than as raw bytes.
void PrintTo(const ValidationCase& validation_case, std::ostream* out) { *out << validation_case.name; }

class GeneratorValidation : public ::testing::TestWithParam<ValidationCase> {};

TEST(GeneratorValidationBaseline, ValidParamsPass) {
  EXPECT_NO_THROW(validate_generator_params(four_market_params(), 4, "config.toml"));
}

TEST_P(GeneratorValidation, NamesTheFieldRowAndValue) {
  PortfolioGeneratorParams params = four_market_params();
  GetParam().breakage(params);
  try {
    validate_generator_params(params, 4, "config.toml");
    FAIL() << "expected InputError containing: " << GetParam().expected_message;
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()), "config.toml: " + GetParam().expected_message);
  }
}

const double nan = std::numeric_limits<double>::quiet_NaN();

INSTANTIATE_TEST_SUITE_P(
    EveryErrorPath, GeneratorValidation,
    ::testing::Values(
        ValidationCase{"accounts_zero", [](PortfolioGeneratorParams& p) { p.accounts = 0; },
                       "portfolio.accounts: 0 is not in [1, 2^31 - 1]"},
        ValidationCase{"accounts_too_many", [](PortfolioGeneratorParams& p) { p.accounts = std::int64_t{1} << 31; },
                       "portfolio.accounts: 2147483648 is not in [1, 2^31 - 1]"},
        ValidationCase{"pareto_alpha", [](PortfolioGeneratorParams& p) { p.pareto_alpha = 0.0; },
                       "portfolio.pareto_alpha: 0 is not a finite number > 0"},
        ValidationCase{"min_notional", [](PortfolioGeneratorParams& p) { p.min_notional_usd = -5.0; },
                       "portfolio.min_notional_usd: -5 is not a finite number > 0"},
        ValidationCase{"max_below_min", [](PortfolioGeneratorParams& p) { p.max_notional_usd = 500.0; },
                       "portfolio.max_notional_usd: 500 is not in [min_notional_usd = 1000, 1e12]"},
        ValidationCase{"max_too_large", [](PortfolioGeneratorParams& p) { p.max_notional_usd = 2e12; },
                       "portfolio.max_notional_usd: 2e+12 is not in [min_notional_usd = 1000, 1e12]"},
        ValidationCase{"max_nan", [](PortfolioGeneratorParams& p) { p.max_notional_usd = nan; },
                       "portfolio.max_notional_usd: nan is not in [min_notional_usd = 1000, 1e12]"},
        ValidationCase{"multi_market_fraction", [](PortfolioGeneratorParams& p) { p.multi_market_fraction = 1.5; },
                       "portfolio.multi_market_fraction: 1.5 is not in [0, 1]"},
        ValidationCase{"share_size",
                       [](PortfolioGeneratorParams& p) {
                         p.open_interest_share = {0.5, 0.5};
                       },
                       "portfolio.open_interest_share: 2 entries, expected 4 (one per market)"},
        ValidationCase{"share_negative",
                       [](PortfolioGeneratorParams& p) {
                         p.open_interest_share = {0.5, 0.75, -0.25, 0.0};
                       },
                       "portfolio.open_interest_share[2]: -0.25 is not a finite number >= 0"},
        ValidationCase{"share_sum",
                       [](PortfolioGeneratorParams& p) {
                         p.open_interest_share = {0.5, 0.25, 0.125, 0.0};
                       },
                       "portfolio.open_interest_share: entries sum to 0.875, not 1 (tolerance 1e-9)"},
        ValidationCase{"long_fraction_size", [](PortfolioGeneratorParams& p) { p.long_fraction.push_back(0.5); },
                       "portfolio.long_fraction: 5 entries, expected 4 (one per market)"},
        ValidationCase{"long_fraction_range", [](PortfolioGeneratorParams& p) { p.long_fraction[3] = -0.1; },
                       "portfolio.long_fraction[3]: -0.1 is not in [0, 1]"},
        ValidationCase{"leverage_weight_negative",
                       [](PortfolioGeneratorParams& p) {
                         p.leverage_weights = {0.5, 0.75, -0.25, 0.0, 0.0};
                       },
                       "portfolio.leverage_weights[2]: -0.25 is not a finite number >= 0"},
        ValidationCase{"leverage_weight_sum", [](PortfolioGeneratorParams& p) { p.leverage_weights[0] = 0.5; },
                       "portfolio.leverage_weights: entries sum to 1.2000000000000002, not 1 (tolerance 1e-9)"},
        ValidationCase{"leverage_weights_empty",
                       [](PortfolioGeneratorParams& p) {
                         p.leverage_weights.clear();
                         p.leverage_bounds = {1.0};
                       },
                       "portfolio.leverage_weights: entries sum to 0, not 1 (tolerance 1e-9)"},
        ValidationCase{"leverage_bounds_size", [](PortfolioGeneratorParams& p) { p.leverage_bounds.pop_back(); },
                       "portfolio.leverage_bounds: 5 entries, expected 6 (one more than portfolio.leverage_weights)"},
        ValidationCase{"leverage_bounds_first", [](PortfolioGeneratorParams& p) { p.leverage_bounds[0] = 0.5; },
                       "portfolio.leverage_bounds[0]: 0.5 is below 1"},
        ValidationCase{"leverage_bounds_order", [](PortfolioGeneratorParams& p) { p.leverage_bounds[3] = 10.0; },
                       "portfolio.leverage_bounds[3]: 10 is not above the previous bound 10; bounds must increase "
                       "strictly"},
        ValidationCase{
            "leverage_bounds_infinite",
            [](PortfolioGeneratorParams& p) { p.leverage_bounds[5] = std::numeric_limits<double>::infinity(); },
            "portfolio.leverage_bounds[5]: inf is not finite"},
        ValidationCase{"entry_price_spread", [](PortfolioGeneratorParams& p) { p.entry_price_spread = -0.01; },
                       "portfolio.entry_price_spread: -0.01 is not a finite number >= 0"}),
    [](const ::testing::TestParamInfo<ValidationCase>& test_case) { return test_case.param.name; });

}  // namespace
}  // namespace margin_stress
