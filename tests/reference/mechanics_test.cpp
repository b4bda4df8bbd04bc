// The mechanics of docs/model.md one at a time, each on a book small enough to be worked out by
// hand: ADL ranking and its caps (section 8), the attribution of a deficit to (market, side)
// pairs, the price band and the decay of temporary impact (section 5), the EWMA of mark returns
// (section 4), the fee on the fill price (section 7), the square-root law, the fund's minimum and
// a cascade cut by the round cap (section 11). Each test states the figures it expects and how
// they follow from the model, and fails if that one rule is changed.
//
// Common ground (engine_fixture.hpp): markets at 100 USD, lot 1, imf 10 %, mmf 5 %, static
// margins, fee 0.5 %, all impact permanent. "No impact" is depth 1e300: a sale of ~1000 USD moves
// the log price by ~1e-297, and exp of that is exactly 1, so fills are at the fundamental price.
// Cash K = round((C - sum q lot e) 1e6) micro-dollars.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "host/engine/cpu/account.hpp"
#include "host/model/money.hpp"
#include "tests/reference/engine_fixture.hpp"

namespace margin_stress::testing {
namespace {

constexpr double no_impact_depth_usd = 1e300;

// Fund empty, ADL on: every deficit goes straight to auto-deleveraging.
ModelConfig adl_config(std::size_t markets) {
  ModelConfig config = hand_config(markets, no_impact_depth_usd);
  config.insurance_fund.initial_balance_usd = 0.0;
  config.insurance_fund.auto_deleveraging = true;
  return config;
}

micro_usd cash(const ScenarioRun& run, std::size_t account) { return run.state.cash[account]; }
std::int64_t lots(const ScenarioRun& run, std::size_t position) { return run.state.quantity[position]; }

// |actual - expected| within `ulps` units in the last place of `expected`.
void expect_within_ulps(double actual, double expected, int ulps, const char* what) {
  ASSERT_TRUE(std::isfinite(actual)) << what;
  double low = expected;
  double high = expected;
  for (int i = 0; i < ulps; ++i) {
    low = std::nextafter(low, -std::numeric_limits<double>::infinity());
    high = std::nextafter(high, std::numeric_limits<double>::infinity());
  }
  EXPECT_GE(actual, low) << what << ": expected " << expected;
  EXPECT_LE(actual, high) << what << ": expected " << expected;
}

// ---------------------------------------------------------------------------------------------
// ADL ranking: BitMEX's score, profit ratio times effective leverage, highest first.
//
// One market, the price falls from 100 to 92 at step 1 (one step).
//   account 0, L:  long 10 at 100, collateral 50: K = -950. At 92, E = -950 + 920 = -30 < MM 46,
//                  so it is liquidated: sells 10 at 92, K = -30 (the fee min(4.6, max(-30, 0)) = 0).
//                  Bankrupt with deficit 30; the fund is empty, so U = 30 is the (market 0, long)
//                  target and the shorts are deleveraged.
//   account 1, A1: short 10 at 100, collateral 1000: K = 2000, E = 2000 - 920 = 1080,
//                  u = 10 (100 - 92) = 80, ratio 80 / 1000 = 0.08, leverage 920 / 1080:
//                  score 0.0681.
//   account 2, A2: short 10 at 100, collateral 200: K = 1200, E = 280, u = 80, ratio 0.08,
//                  leverage 920 / 280: score 0.2629 (the highest).
//   account 3, A3: short 10 at 96, collateral 200: K = 200 + 960 = 1160, E = 240, u = 40,
//                  ratio 40 / 960, leverage 920 / 240: score 0.1597.
// The order is A2, A3, A1 (by ratio alone A1 would tie A2 and win on index; by leverage alone A3
// would come first). The target 30 is below A2's profit (80) and equity (280): A2 alone pays
// h = 30 and closes min(10, max(1, ceil(30 / 80 * 10))) = 4 lots at 92 against the LP:
// K = 1200 - 4 * 92 - 30 = 802, q = -6. ADL notional 4 * 92 = 368.
TEST(MechanicsAdl, TheHighestScoreIsDeleveragedFirst) {
  const ModelConfig config = adl_config(1);
  const Portfolio book = hand_portfolio(
      config,
      {{50.0, {{0, 10, 100.0}}}, {1000.0, {{0, -10, 100.0}}}, {200.0, {{0, -10, 100.0}}}, {200.0, {{0, -10, 96.0}}}});
  const ScenarioRun run = run_cpu_scenario(config, book, hand_paths({{{100.0}, {92.0}}}));
  const ScenarioMetrics& metrics = run.metrics;

  ASSERT_EQ(metrics.liquidation_count[0], 1);
  ASSERT_EQ(metrics.fund_exhausted, 1);
  EXPECT_EQ(metrics.ledger.adl_haircut, 30'000'000);
  EXPECT_EQ(metrics.ledger.bad_debt, 0);
  EXPECT_DOUBLE_EQ(metrics.adl_notional_usd, 368.0);
  EXPECT_EQ(cash(run, 2), 802'000'000) << "A2, the top score, pays the whole target";
  EXPECT_EQ(lots(run, 2), -6);
  EXPECT_EQ(cash(run, 1), 2'000'000'000) << "A1, the lowest score, is untouched";
  EXPECT_EQ(lots(run, 1), -10);
  EXPECT_EQ(cash(run, 3), 1'160'000'000) << "A3, second, is not reached";
  EXPECT_EQ(lots(run, 3), -10);
  EXPECT_EQ(cash(run, 0), 0);  // the bankrupt account ends at zero
  EXPECT_EQ(metrics.ledger.conservation_residual, 0);
}

// ADL never takes more than the position's unrealised profit; the rest of the target goes on
// down the ranking.
//
// One market, 100 -> 80. L (account 0): long 10 at 100, collateral 50: E = -950 + 800 = -150,
// sold at 80, deficit 150 = target.
//   account 1, B1: short 5 at 100, collateral 100: K = 600, E = 600 - 400 = 200, u = 100,
//                  score (100 / 500) (400 / 200) = 0.4.
//   account 2, B2: short 10 at 100, collateral 1000: K = 2000, E = 1200, u = 200,
//                  score (200 / 1000) (800 / 1200) = 0.133.
// B1 first: h = min(150, 100, 200) = 100 (its profit), closing min(5, ceil(100 / 100 * 5)) = 5
// lots at 80: K = 600 - 400 - 100 = 100, q = 0. B2 then: h = min(50, 200, 1200) = 50, closing
// ceil(50 / 200 * 10) = ceil(2.5) = 3 lots at 80: K = 2000 - 240 - 50 = 1710, q = -7.
// ADL notional 8 * 80 = 640, haircut 150, no bad debt.
TEST(MechanicsAdl, TheHaircutIsCappedByTheProfitAndTheRestGoesToTheNext) {
  const ModelConfig config = adl_config(1);
  const Portfolio book =
      hand_portfolio(config, {{50.0, {{0, 10, 100.0}}}, {100.0, {{0, -5, 100.0}}}, {1000.0, {{0, -10, 100.0}}}});
  const ScenarioRun run = run_cpu_scenario(config, book, hand_paths({{{100.0}, {80.0}}}));

  ASSERT_EQ(run.metrics.liquidation_count[0], 1);
  EXPECT_EQ(cash(run, 1), 100'000'000);
  EXPECT_EQ(lots(run, 1), 0);
  EXPECT_EQ(cash(run, 2), 1'710'000'000);
  EXPECT_EQ(lots(run, 2), -7);
  EXPECT_EQ(run.metrics.ledger.adl_haircut, 150'000'000);
  EXPECT_EQ(run.metrics.ledger.bad_debt, 0);
  EXPECT_DOUBLE_EQ(run.metrics.adl_notional_usd, 640.0);
  EXPECT_EQ(run.metrics.ledger.conservation_residual, 0);
}

// ADL never takes more than the account's equity: a cross-margin account whose profit in one
// market is partly eaten by a loss in another.
//
// Two markets; step 1: market 0 100 -> 80, market 1 100 -> 85.
//   account 0, L: long 10 of market 0 at 100, collateral 50: deficit 150, all on (0, long).
//   account 1, C: short 10 of market 0 and long 10 of market 1, both at 100, collateral 50:
//                 K = 50 - (-1000 + 1000) = 50. At step 1, E = 50 - 800 + 850 = 100 against
//                 MM 0.05 (800 + 850) = 82.5: not liquidatable. Its market-0 short has u = 200.
// h = min(150, 200, 100) = 100: the equity binds. C closes ceil(100 / 200 * 10) = 5 lots at 80:
// K = 50 - 400 - 100 = -450, and E = -450 - 5 * 80 + 10 * 85 = 0 exactly. Nobody else holds a
// market-0 short, so 150 - 100 = 50 is bad debt. ADL notional 5 * 80 = 400.
TEST(MechanicsAdl, TheHaircutIsCappedByTheAccountsEquity) {
  const ModelConfig config = adl_config(2);
  const Portfolio book = hand_portfolio(config, {{50.0, {{0, 10, 100.0}}}, {50.0, {{0, -10, 100.0}, {1, 10, 100.0}}}});
  const ScenarioRun run = run_cpu_scenario(config, book, hand_paths({{{100.0, 100.0}, {80.0, 85.0}}}));

  ASSERT_EQ(run.metrics.liquidation_count[0], 1);
  ASSERT_EQ(run.metrics.liquidation_count[1], 0);  // C itself was healthy
  EXPECT_EQ(run.metrics.ledger.adl_haircut, 100'000'000);
  EXPECT_EQ(run.metrics.ledger.bad_debt, 50'000'000);
  EXPECT_DOUBLE_EQ(run.metrics.adl_notional_usd, 400.0);
  EXPECT_EQ(cash(run, 1), -450'000'000);
  EXPECT_EQ(lots(run, 1), -5);  // C's market-0 short
  EXPECT_EQ(lots(run, 2), 10);  // C's market-1 long, not part of ADL
  EXPECT_EQ(run.metrics.ledger.conservation_residual, 0);
}

// The ADL close is at the mark, so it is value-neutral: the deleveraged trader loses exactly the
// haircut and the liquidity providers neither gain nor lose.
//
// One market, 100 -> 80. L: long 10 at 100, collateral 50, deficit 150. S (account 1): short 10
// at 100, collateral 1000: K = 2000, equity 1000 at step 0, 1200 at 80, u = 200.
// h = 150, S closes ceil(150 / 200 * 10) = ceil(7.5) = 8 lots at 80 (640):
// K = 2000 - 640 - 150 = 1210, q = -2, E = 1210 - 160 = 1050: 1200 - 150, a change of +50 over
// the scenario (profit 200 less haircut 150).
// LP: it starts with I = -(10 - 10) = 0 lots and L = 0. It buys L's 10 lots at 80 (L = -800,
// I = 10) and sells S 8 lots at 80 (L = -160, I = 2): value -160 + 2 * 80 = 0, P&L 0.
// Traders: L 50 -> 0, S 1000 -> 1050: change 0. Fund 0 -> 0 (L was bankrupt: no fee).
TEST(MechanicsAdl, TheCloseIsAtTheMarkAndMovesNoMoneyToTheLiquidityProviders) {
  const ModelConfig config = adl_config(1);
  const Portfolio book = hand_portfolio(config, {{50.0, {{0, 10, 100.0}}}, {1000.0, {{0, -10, 100.0}}}});
  const ScenarioRun run = run_cpu_scenario(config, book, hand_paths({{{100.0}, {80.0}}}));

  ASSERT_EQ(run.metrics.ledger.adl_haircut, 150'000'000);
  EXPECT_EQ(cash(run, 1), 1'210'000'000);
  EXPECT_EQ(lots(run, 1), -2);
  const double equity_s = cpu::value_account(run.book, run.state, 1).equity_usd;
  EXPECT_EQ(to_micro_usd(equity_s), 1'050'000'000);
  EXPECT_EQ(run.state.lp_cash, -160'000'000);
  EXPECT_EQ(run.state.lp_inventory[0], 2);
  EXPECT_EQ(run.metrics.ledger.liquidity_provider_pnl, 0);
  EXPECT_EQ(run.metrics.ledger.trader_equity_change, 0);
  EXPECT_EQ(run.metrics.ledger.insurance_fund_change, 0);
  EXPECT_EQ(run.metrics.ledger.bad_debt, 0);
  EXPECT_DOUBLE_EQ(run.metrics.adl_notional_usd, 640.0);
  EXPECT_EQ(run.metrics.ledger.conservation_residual, 0);
}

// An uncovered deficit is split over the (market, side) pairs in proportion to the notional
// liquidated there: floor(U n_k / N) for the first pair, the remainder for the last.
//
// Two markets; step 1: market 0 100 -> 80, market 1 100 -> 91.
//   account 0, L: long 10 of market 0 and long 5 of market 1, both at 100, collateral 50:
//                 K = 50 - 1500 = -1450, E = -1450 + 800 + 455 = -195: liquidated in both
//                 markets (n_0 = 10 * 80 = 800, n_1 = 5 * 91 = 455, N = 1255), K = -195.
//                 U = 195,000,000 micro-dollars (the fund is empty).
//   (0, long):  floor(195e6 * 800 / 1255) = floor(124,302,788.84) = 124,302,788
//   (1, long):  195,000,000 - 124,302,788 = 70,697,212
//   account 1, S0: short 10 of market 0 at 100, collateral 1000: K = 2000, u = 200, E = 1200.
//                  It pays 124,302,788 and closes ceil(124.302788 / 200 * 10) = ceil(6.2151) = 7
//                  lots at 80 (560): K = 2000e6 - 560e6 - 124,302,788 = 1,315,697,212, q = -3.
//   account 2, S1: short 10 of market 1 at 100, collateral 1000: K = 2000, u = 90, E = 1090.
//                  It pays 70,697,212 and closes ceil(70.697212 / 90 * 10) = ceil(7.855) = 8
//                  lots at 91 (728): K = 2000e6 - 728e6 - 70,697,212 = 1,201,302,788, q = -2.
// ADL notional 560 + 728 = 1288, haircut 195e6, no bad debt.
TEST(MechanicsAdl, TheDeficitIsSplitOverMarketsByLiquidatedNotional) {
  const ModelConfig config = adl_config(2);
  const Portfolio book = hand_portfolio(
      config, {{50.0, {{0, 10, 100.0}, {1, 5, 100.0}}}, {1000.0, {{0, -10, 100.0}}}, {1000.0, {{1, -10, 100.0}}}});
  const ScenarioRun run = run_cpu_scenario(config, book, hand_paths({{{100.0, 100.0}, {80.0, 91.0}}}));

  ASSERT_EQ(run.metrics.liquidation_count[0], 1);
  ASSERT_EQ(run.metrics.liquidation_count[1], 1);
  const micro_usd uncovered = 195'000'000;
  const auto first_share = static_cast<micro_usd>(std::floor(static_cast<double>(uncovered) * 800.0 / 1255.0));
  ASSERT_EQ(first_share, 124'302'788);  // the hand figure above
  EXPECT_EQ(cash(run, 1), 2'000'000'000 - 560'000'000 - first_share);
  EXPECT_EQ(cash(run, 1), 1'315'697'212);
  EXPECT_EQ(lots(run, 2), -3);
  EXPECT_EQ(cash(run, 2), 2'000'000'000 - 728'000'000 - (uncovered - first_share));
  EXPECT_EQ(cash(run, 2), 1'201'302'788);
  EXPECT_EQ(lots(run, 3), -2);
  EXPECT_EQ(run.metrics.ledger.adl_haircut, uncovered);
  EXPECT_EQ(run.metrics.ledger.bad_debt, 0);
  EXPECT_DOUBLE_EQ(run.metrics.adl_notional_usd, 1288.0);
  EXPECT_EQ(run.metrics.ledger.conservation_residual, 0);
}

// Only accounts with equity E > 0 are candidates. Here an account's equity reaches exactly 0 in
// the first pair's ADL (the equity cap), and its profitable position in another market is then
// left alone; the next candidate pays instead.
//
// Three markets; step 1: market 0 100 -> 80, market 1 100 -> 85, market 2 100 -> 80.
//   account 0, L: long 10 of markets 0 and 2 at 100, collateral 50: K = -1950,
//                 E = -1950 + 800 + 800 = -350: liquidated in both; n_0 = n_2 = 800, U = 350e6:
//                 targets floor(350e6 * 800 / 1600) = 175e6 on (0, long) and 175e6 on (2, long).
//   account 1, C: short 10 of market 0, long 20 of market 1, short 10 of market 2, all at 100,
//                 collateral 70: K = 70 - (-1000 + 2000 - 1000) = 70. At step 1,
//                 E = 70 + 200 - 300 + 200 = 170 against MM 0.05 (800 + 1700 + 800) = 165: healthy.
//   account 2, W: short 10 of market 2 at 100, collateral 1000: K = 2000, E = 1200, u = 200.
// Pairs in market order. (0, long): C alone holds a market-0 short, u = 200:
//   h = min(175, 200, 170) = 170, closing ceil(170 / 200 * 10) = ceil(8.5) = 9 lots at 80 (720):
//   K_C = 70 - 720 - 170 = -820, E_C = -820 - 80 + 1700 - 800 = 0. 5 left uncovered.
// (2, long): C's market-2 short has u = 200 but E_C = 0: not a candidate. W pays
//   h = min(175, 200, 1200) = 175, closing ceil(8.75) = 9 lots at 80 (720):
//   K_W = 2000 - 720 - 175 = 1105, q = -1.
// Haircut 170 + 175 = 345, bad debt 5, ADL notional 720 + 720 = 1440.
TEST(MechanicsAdl, AnAccountWithoutPositiveEquityIsNotDeleveraged) {
  const ModelConfig config = adl_config(3);
  const Portfolio book = hand_portfolio(config, {{50.0, {{0, 10, 100.0}, {2, 10, 100.0}}},
                                                 {70.0, {{0, -10, 100.0}, {1, 20, 100.0}, {2, -10, 100.0}}},
                                                 {1000.0, {{2, -10, 100.0}}}});
  const ScenarioRun run = run_cpu_scenario(config, book, hand_paths({{{100.0, 100.0, 100.0}, {80.0, 85.0, 80.0}}}));

  ASSERT_EQ(run.metrics.liquidation_count[0], 1);
  ASSERT_EQ(run.metrics.liquidation_count[1], 0);  // C was healthy
  ASSERT_EQ(run.metrics.liquidation_count[2], 1);
  EXPECT_EQ(cash(run, 1), -820'000'000);
  EXPECT_EQ(lots(run, 2), -1);   // C, market 0
  EXPECT_EQ(lots(run, 3), 20);   // C, market 1
  EXPECT_EQ(lots(run, 4), -10);  // C, market 2: profitable, but C's equity is 0
  EXPECT_EQ(cash(run, 2), 1'105'000'000);
  EXPECT_EQ(lots(run, 5), -1);
  EXPECT_EQ(run.metrics.ledger.adl_haircut, 345'000'000);
  EXPECT_EQ(run.metrics.ledger.bad_debt, 5'000'000);
  EXPECT_DOUBLE_EQ(run.metrics.adl_notional_usd, 1440.0);
  EXPECT_EQ(run.metrics.ledger.conservation_residual, 0);
}

// ---------------------------------------------------------------------------------------------
// Impact.

// The price band: a round's impact is truncated so that |J| <= b.
//
// One market, depth 1000 (linear), band b = 0.1, step 1 at F = 92.
//   account 0, L:  long 10 at 100, collateral 50: E = -30 < MM 46: liquidated in round 1.
//   account 1, L2: long 10 at 100, collateral 150: healthy at 92 (E = 70 >= 46).
// Round 1: n = -10 * 92 = -920, i = -0.92, i' = clamp(0 - 0.92, -0.1, 0.1) - 0 = -0.1: J = -0.1,
//   X = 92 e^-0.1 (~83.25). L fills there (bankrupt).
// Round 2: L2 at 83.25: E = -850 + 832.5 = -17.5 < MM: liquidated. Its flow is truncated
//   entirely, i' = clamp(-0.1 - 0.83, -0.1, 0.1) + 0.1 = 0: it fills at the same X.
// Round 3: nobody. The mark stays at F e^-b exactly: 2 rounds, 20 lots at 92 e^-0.1.
TEST(MechanicsImpact, ThePriceBandStopsTheMarkAtTheEdge) {
  ModelConfig config = hand_config(1, 1000.0);
  config.impact.max_log_deviation = 0.1;
  const Portfolio book = hand_portfolio(config, {{50.0, {{0, 10, 100.0}}}, {150.0, {{0, 10, 100.0}}}});
  const BatchResults results = run_cpu(config, book, hand_paths({{{100.0}, {92.0}}}));
  const ScenarioMetrics& metrics = results.scenarios[0];

  const double edge = 92.0 * std::exp(-0.1);
  ASSERT_EQ(metrics.liquidation_count[0], 2);
  EXPECT_EQ(results.series.cascade_rounds[results.series.step_index(0, 0)], 2);
  EXPECT_DOUBLE_EQ(results.series.mark_price_usd[results.series.market_index(0, 0, 0)], edge);
  EXPECT_DOUBLE_EQ(metrics.liquidated_notional_usd[0], 10.0 * edge + 10.0 * edge);
  EXPECT_NEAR(metrics.peak_impact[0], 1.0 - std::exp(-0.1), 1e-12);
  EXPECT_EQ(metrics.ledger.conservation_residual, 0);
}

// Temporary impact decays by 2^(-step / half-life) at the start of every step.
//
// One market, depth 10,000 (linear), permanent fraction 0.5, half-life h. Path F = 100, 92, 92, 92.
// L: long 10 at 100, collateral 50, liquidated at step 1:
//   n = -920, i' = -0.092: J^perm = 0.5 i', J^temp = 0.5 i'; end of step 1: M = 92 e^(J^perm + J^temp).
//   With h = 300 s = the step, J^temp halves every step: step 2 M = 92 e^(J^perm + J^temp / 2),
//   step 3 M = 92 e^(J^perm + J^temp / 4). With h = 600 s it shrinks by 2^-0.5 = 0.7071 a step.
// L is flat after step 1, so nothing else trades.
TEST(MechanicsImpact, TemporaryImpactDecaysWithItsHalfLife) {
  for (const double half_life_seconds : {300.0, 600.0}) {
    SCOPED_TRACE(half_life_seconds);
    ModelConfig config = hand_config(1, 10000.0);
    config.impact.permanent_fraction = 0.5;
    config.impact.temporary_half_life_seconds = half_life_seconds;
    ASSERT_EQ(config.run.step_seconds, 300.0);
    const Portfolio book = hand_portfolio(config, {{50.0, {{0, 10, 100.0}}}});
    const BatchResults results = run_cpu(config, book, hand_paths({{{100.0}, {92.0}, {92.0}, {92.0}}}));
    ASSERT_EQ(results.scenarios[0].liquidation_count[0], 1);

    const double impact = std::clamp(0.0 + -920.0 / 10000.0, -1.0, 1.0) - 0.0;
    const double permanent = 0.5 * impact;
    double temporary = (1.0 - 0.5) * impact;
    const double decay = std::exp2(-300.0 / half_life_seconds);
    const auto mark = [&](std::int64_t t) {
      return results.series.mark_price_usd[results.series.market_index(0, t - 1, 0)];
    };
    EXPECT_DOUBLE_EQ(mark(1), 92.0 * std::exp(permanent + temporary));
    temporary *= decay;
    EXPECT_DOUBLE_EQ(mark(2), 92.0 * std::exp(permanent + temporary));
    temporary *= decay;
    EXPECT_DOUBLE_EQ(mark(3), 92.0 * std::exp(permanent + temporary));
    EXPECT_GT(mark(2), mark(1));  // the premise: the price recovers as the temporary part fades
  }
}

// A square-root-law cascade, worked like the linear one of cascade_test.cpp.
//
// One market, depth 100,000, i = sign(n) sqrt(|n| / D), all permanent, fee 1 %, fund 1000.
//   A: long 10 at 100, collateral 150: liquidatable below 89.47.
//   B: long 10 at 100, collateral 200: liquidatable below 84.21.
//   C: short 5 at 100, collateral 1000: safe, profitable as the price falls.
// Step 1 at F = 89. Round 1: only A; n1 = -890, i1 = -sqrt(0.0089) = -0.0943, J = i1,
//   X1 = 89 e^i1 (~80.99 < 84.21). A fills at X1: K = -850 + 10 X1 < 0, bankrupt, no fee.
// Round 2: B; n2 = -10 X1, i2 = -sqrt(10 X1 / 1e5) = -0.0900, i2' = clamp(J + i2, -1, 1) - J,
//   J = i1 + i2', X2 = 89 e^J (~74.0). B fills at X2, bankrupt. C: E = 1500 - 5 X2 ~ 1130, safe.
// Round 3: nobody. The fund (1000) pays X_A + X_B in full; step 2 (F = 89) is quiet.
TEST(MechanicsCascade, SquareRootLawCascadeByHand) {
  ModelConfig config = hand_config(1, 100000.0);
  config.impact.law = ImpactLaw::square_root;
  config.liquidation.fee_rate = 0.01;
  config.insurance_fund.initial_balance_usd = 1000.0;
  const Portfolio book =
      hand_portfolio(config, {{150.0, {{0, 10, 100.0}}}, {200.0, {{0, 10, 100.0}}}, {1000.0, {{0, -5, 100.0}}}});
  const BatchResults results = run_cpu(config, book, hand_paths({{{100.0}, {89.0}, {89.0}}}));
  const ScenarioMetrics& metrics = results.scenarios[0];

  const double i1 = -std::sqrt(890.0 / 100000.0);
  double j = std::clamp(0.0 + i1, -1.0, 1.0) - 0.0;
  const double x1 = 89.0 * std::exp(j);
  ASSERT_LT(x1, 800.0 / 9.5);  // the premise: A's sale reaches B
  ASSERT_GT(x1, 80.0);
  const double i2 = -std::sqrt(10.0 * x1 / 100000.0);
  j += std::clamp(j + i2, -1.0, 1.0) - j;
  const double x2 = 89.0 * std::exp(j);
  const micro_usd deficit_a = -(to_micro_usd(-850.0) + to_micro_usd(10.0 * x1));
  const micro_usd deficit_b = -(to_micro_usd(-800.0) + to_micro_usd(10.0 * x2));
  ASSERT_GT(deficit_a, 0);
  ASSERT_GT(deficit_b, 0);

  EXPECT_EQ(results.series.cascade_rounds[results.series.step_index(0, 0)], 2);
  EXPECT_EQ(results.series.cascade_rounds[results.series.step_index(0, 1)], 0);
  EXPECT_EQ(metrics.liquidation_count[0], 2);
  EXPECT_DOUBLE_EQ(results.series.mark_price_usd[results.series.market_index(0, 0, 0)], x2);
  EXPECT_DOUBLE_EQ(results.series.mark_price_usd[results.series.market_index(0, 1, 0)], x2);
  EXPECT_DOUBLE_EQ(metrics.liquidated_notional_usd[0], 10.0 * x1 + 10.0 * x2);
  EXPECT_NEAR(metrics.peak_impact[0], 1.0 - x2 / 89.0, 1e-12);
  EXPECT_EQ(metrics.ledger.liquidation_fees, 0);
  EXPECT_EQ(metrics.fund_exhausted, 0);
  EXPECT_EQ(metrics.ledger.insurance_payout, deficit_a + deficit_b);
  EXPECT_EQ(metrics.insurance_fund_end, 1'000'000'000 - deficit_a - deficit_b);
  EXPECT_EQ(metrics.ledger.adl_haircut, 0);
  EXPECT_EQ(metrics.ledger.bad_debt, 0);
  EXPECT_EQ(metrics.ledger.conservation_residual, 0);
}

// ---------------------------------------------------------------------------------------------
// The margin policy observes the mark, impact included (section 4).
//
// One market, sigma_ref = 0.5, volatility_scaled with lambda 0.94, floor 1, cap 3; depth 100,000,
// all impact permanent. Path F = 100, 99.5, 99.5, 99.5. L: long 10 at 100, collateral 50, is
// liquidatable at any price below 100 (E = 10 M - 950 < 0.5 M), so it is sold at step 1:
//   n = -995, i = -0.00995, mark M1 = 99.5 e^i; then the mark stays at M1 (J is permanent).
//   v0 = sigma_ref^2 dt,  s(1) = clamp(sqrt(v0 / dt) / sigma_ref, 1, 3)   (= 1)
//   r1 = ln(M1 / 100) (~ -0.0150, while the fundamental moved only ln 0.995 ~ -0.0050)
//   v1 = lambda v0 + (1 - lambda) r1^2,  s(2) = clamp(sqrt(v1 / dt) / sigma_ref, 1, 3)   (~2.57)
//   r2 = 0, v2 = lambda v1,              s(3) = clamp(sqrt(v2 / dt) / sigma_ref, 1, 3)   (~2.49)
// Fed the fundamental's returns instead, s(2) would be ~1.25.
TEST(MechanicsPolicy, TheMarginScaleFollowsMarkReturnsIncludingImpact) {
  ModelConfig config = hand_config(1, 100000.0);
  config.margin_policy.kind = MarginPolicyKind::volatility_scaled;
  config.margin_policy.ewma_lambda = 0.94;
  config.margin_policy.scale_floor = 1.0;
  config.margin_policy.scale_cap = 3.0;
  const Portfolio book = hand_portfolio(config, {{50.0, {{0, 10, 100.0}}}});
  const BatchResults results = run_cpu(config, book, hand_paths({{{100.0}, {99.5}, {99.5}, {99.5}}}));
  ASSERT_EQ(results.scenarios[0].liquidation_count[0], 1);

  const double sigma = 0.5;
  const double lambda = 0.94;
  const double dt = 300.0 / (365.0 * 86400.0);
  const auto scale = [&](double v) { return std::clamp(std::sqrt(v / dt) / sigma, 1.0, 3.0); };
  const double m1 = 99.5 * std::exp(std::clamp(0.0 + -995.0 / 100000.0, -1.0, 1.0) - 0.0);
  const double v0 = sigma * sigma * dt;
  const double r1 = std::log(m1 / 100.0);
  const double v1 = lambda * v0 + (1.0 - lambda) * (r1 * r1);
  const double v2 = lambda * v1 + (1.0 - lambda) * 0.0;
  const double expected[] = {scale(v0), scale(v1), scale(v2)};
  ASSERT_GT(expected[1], 2.0);  // the premise: the impact shows in the scale, unclamped
  ASSERT_LT(expected[1], 3.0);

  for (std::int64_t t = 1; t <= 3; ++t) {
    const std::size_t at = results.series.market_index(0, t - 1, 0);
    EXPECT_DOUBLE_EQ(results.series.mark_price_usd[at], m1) << "step " << t;
    expect_within_ulps(results.series.margin_scale[at], expected[t - 1], 1, "margin scale");
  }
  EXPECT_DOUBLE_EQ(results.scenarios[0].max_margin_scale[0], expected[1]);
}

// ---------------------------------------------------------------------------------------------
// The liquidation fee is charged on the fill price x (section 7), which differs from both the
// fundamental and the mark when the oracle deviates and the sale has impact.
//
// One market, depth 10,000, fee 0.5 %. F = 100 at steps 0 and 1; at step 1 the oracle reads
// 0.89 F. L: long 10 at 100, collateral 150: at M = 89, E = -850 + 890 = 40 < MM 44.5.
// The sale: n = -10 * X = -1000 at the market price X = 100 (not the mark), i = -0.1,
//   x = 100 e^-0.1 (~90.48), the mark 0.89 x (~80.53).
// L receives round(10 x 1e6) and is left with E = -850 + 10 x ~ 54.84 > 0, so the fee is not
// capped: round(0.005 * 10 x * 1e6) = 4,524,187 (on F it would be 5,000,000, on the mark 4,026,653).
TEST(MechanicsFee, TheFeeIsChargedOnTheFillPrice) {
  ModelConfig config = hand_config(1, 10000.0);
  const Portfolio book = hand_portfolio(config, {{150.0, {{0, 10, 100.0}}}});
  ScenarioPaths paths = hand_paths({{{100.0}, {100.0}}});
  paths.oracle_factor[paths.price_index(0, 1, 0)] = 0.89;
  const ScenarioRun run = run_cpu_scenario(config, book, paths);
  ASSERT_EQ(run.metrics.liquidation_count[0], 1);

  const double fill = 100.0 * std::exp(std::clamp(0.0 + -1000.0 / 10000.0, -1.0, 1.0) - 0.0);
  const micro_usd proceeds = -to_micro_usd(-10.0 * 1.0 * fill);
  const micro_usd fee = to_micro_usd(0.005 * (10.0 * 1.0 * fill));
  ASSERT_EQ(fee, 4'524'187);  // the hand figure above
  EXPECT_DOUBLE_EQ(run.metrics.liquidated_notional_usd[0], 10.0 * fill);
  EXPECT_DOUBLE_EQ(run.series.mark_price_usd[0], fill * 0.89);
  EXPECT_EQ(run.metrics.ledger.liquidation_fees, fee);
  EXPECT_EQ(run.metrics.insurance_fund_end, fee);
  EXPECT_EQ(cash(run, 0), -850'000'000 + proceeds - fee);
  EXPECT_EQ(run.metrics.ledger.bad_debt, 0);
  EXPECT_EQ(run.metrics.ledger.conservation_residual, 0);
}

// ---------------------------------------------------------------------------------------------
// The fund's minimum is over the balances after each step's settlement (section 11), not the
// initial balance: a fund that only grows reports the balance after step 1.
//
// Fund 10. L: long 10 at 100, collateral 150; F = 100 throughout, no impact; the oracle reads
// 0.89 at step 1 only, so L is liquidated then, fills at 100 and pays the fee 0.5 % of 1000 = 5
// (its equity 150 covers it). The fund is 15 after step 1 and after step 2: min = 15.
TEST(MechanicsFund, TheMinimumIsTakenAfterEachStepsSettlement) {
  ModelConfig config = hand_config(1, no_impact_depth_usd);
  config.insurance_fund.initial_balance_usd = 10.0;
  const Portfolio book = hand_portfolio(config, {{150.0, {{0, 10, 100.0}}}});
  ScenarioPaths paths = hand_paths({{{100.0}, {100.0}, {100.0}}});
  paths.oracle_factor[paths.price_index(0, 1, 0)] = 0.89;
  const BatchResults results = run_cpu(config, book, paths);
  const ScenarioMetrics& metrics = results.scenarios[0];

  ASSERT_EQ(metrics.ledger.liquidation_fees, 5'000'000);
  EXPECT_EQ(results.series.insurance_fund_usd[results.series.step_index(0, 0)], 15.0);
  EXPECT_EQ(results.series.insurance_fund_usd[results.series.step_index(0, 1)], 15.0);
  EXPECT_EQ(metrics.insurance_fund_end, 15'000'000);
  EXPECT_EQ(metrics.insurance_fund_min, 15'000'000);
}

// ---------------------------------------------------------------------------------------------
// A cascade cut by the round cap: the account still liquidatable is liquidated, and its deficit
// settled, in the next step.
//
// The book and path of cascade_test.cpp (A, B long 10 at 100 with collateral 150 and 200, C short
// 5 with 1000; depth 10,000 linear, fee 1 %, fund 1000, F = 100, 89, 89), with the cap at 1.
// Step 1, round 1: A sells 10 at M1 = 89 e^i1, i1 = -890 / 10000: bankrupt, deficit
//   X_A = 850 - 10 M1. The cap stops the cascade with B below maintenance (M1 < 84.21): a cap hit.
//   Settlement pays X_A only: the fund is 1000 - X_A after step 1.
// Step 2: J^perm = i1 stays (no temporary part), so the step opens at M1 and B is liquidated in
//   its round 1: i2 = -10 M1 / 10000, i2' = clamp(i1 + i2, -1, 1) - i1, M2 = 89 e^(i1 + i2');
//   B fills at M2, deficit X_B = 800 - 10 M2, paid now: the fund is 1000 - X_A - X_B after step 2.
//   Nobody is left below maintenance, so step 2 is not a cap hit.
TEST(MechanicsCascade, TheRoundCapDefersTheNextLiquidationAndItsSettlement) {
  ModelConfig config = hand_config(1, 10000.0);
  config.liquidation.fee_rate = 0.01;
  config.liquidation.max_cascade_rounds = 1;
  config.insurance_fund.initial_balance_usd = 1000.0;
  const Portfolio book =
      hand_portfolio(config, {{150.0, {{0, 10, 100.0}}}, {200.0, {{0, 10, 100.0}}}, {1000.0, {{0, -5, 100.0}}}});
  const BatchResults results = run_cpu(config, book, hand_paths({{{100.0}, {89.0}, {89.0}}}));
  const ScenarioMetrics& metrics = results.scenarios[0];
  const StepSeries& series = results.series;

  const double i1 = std::clamp(0.0 + -890.0 / 10000.0, -1.0, 1.0) - 0.0;
  const double m1 = 89.0 * std::exp(i1);
  const double i2 = std::clamp(i1 + -10.0 * m1 / 10000.0, -1.0, 1.0) - i1;
  const double m2 = 89.0 * std::exp(i1 + i2);
  const micro_usd deficit_a = -(to_micro_usd(-850.0) + to_micro_usd(10.0 * m1));
  const micro_usd deficit_b = -(to_micro_usd(-800.0) + to_micro_usd(10.0 * m2));

  EXPECT_EQ(metrics.round_cap_hits, 1);
  EXPECT_EQ(series.cascade_rounds[series.step_index(0, 0)], 1);
  EXPECT_EQ(series.cascade_rounds[series.step_index(0, 1)], 1);
  EXPECT_DOUBLE_EQ(series.mark_price_usd[series.market_index(0, 0, 0)], m1);
  EXPECT_DOUBLE_EQ(series.mark_price_usd[series.market_index(0, 1, 0)], m2);
  EXPECT_DOUBLE_EQ(series.liquidated_notional_usd[series.market_index(0, 0, 0)], 10.0 * m1);
  EXPECT_DOUBLE_EQ(series.liquidated_notional_usd[series.market_index(0, 1, 0)], 10.0 * m2);
  // Reported as micro-dollars / 1e6 (docs/model.md section 1).
  EXPECT_EQ(series.insurance_fund_usd[series.step_index(0, 0)], static_cast<double>(1'000'000'000 - deficit_a) / 1e6);
  EXPECT_EQ(series.insurance_fund_usd[series.step_index(0, 1)],
            static_cast<double>(1'000'000'000 - deficit_a - deficit_b) / 1e6);
  EXPECT_EQ(metrics.insurance_fund_end, 1'000'000'000 - deficit_a - deficit_b);
  EXPECT_EQ(metrics.insurance_fund_min, metrics.insurance_fund_end);
  EXPECT_EQ(metrics.ledger.insurance_payout, deficit_a + deficit_b);
  EXPECT_EQ(metrics.ledger.bad_debt, 0);
  EXPECT_EQ(metrics.ledger.conservation_residual, 0);
}

}  // namespace
}  // namespace margin_stress::testing
