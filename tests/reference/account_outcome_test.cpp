// Per-account outcomes of a captured scenario (docs/model.md section 11, "Per account"): worked by
// hand on the three accounts of tests/reference/cascade_test.cpp, and, on violent runs, adding up
// to the scenario's ledger to the cent (conservation of money, account by account) while the
// capture leaves the run's own results as they were.
#include <gtest/gtest.h>

#include <cmath>
#include <ostream>

#include "host/engine/cpu/cpu_engine.hpp"
#include "host/io/config_file.hpp"
#include "host/model/money.hpp"
#include "host/portfolio/generator.hpp"
#include "scenarios/scenario_builder.hpp"
#include "scenarios/validate_config.hpp"
#include "tests/reference/engine_fixture.hpp"

namespace margin_stress::testing {
namespace {

// tests/reference/cascade_test.cpp's book: A (long 10, collateral 150) and B (long 10, collateral
// 200) are liquidated in two rounds at M1 = 89 e^-0.089 and M2 = 89 e^(-0.089 - M1/1000), both
// bankrupt; C is short `c_lots` at 100 with collateral 1000. A fund of 20 USD pays pro rata.
struct Hand {
  double m1, m2;
  micro_usd deficit_a, deficit_b, paid_a, paid_b;
};

Hand hand() {
  Hand h{};
  const double impact1 = -890.0 / 10000.0;
  h.m1 = 89.0 * std::exp(impact1);
  h.m2 = 89.0 * std::exp(impact1 + -10.0 * h.m1 / 10000.0);
  h.deficit_a = -(to_micro_usd(-850.0) + to_micro_usd(10.0 * h.m1));
  h.deficit_b = -(to_micro_usd(-800.0) + to_micro_usd(10.0 * h.m2));
  const micro_usd fund = 20'000'000;
  h.paid_a = h.deficit_a * fund / (h.deficit_a + h.deficit_b);
  h.paid_b = h.deficit_b * fund / (h.deficit_a + h.deficit_b);
  return h;
}

struct Captured {
  ScenarioMetrics metrics;
  std::vector<AccountOutcome> accounts;
};

Captured capture_hand_book(std::int64_t c_lots) {
  ModelConfig config = hand_config(1, 10000.0);
  config.liquidation.fee_rate = 0.01;
  config.insurance_fund.initial_balance_usd = 20.0;
  const Portfolio book =
      hand_portfolio(config, {{150.0, {{0, 10, 100.0}}}, {200.0, {{0, 10, 100.0}}}, {1000.0, {{0, -c_lots, 100.0}}}});
  std::vector<ScenarioAccounts> accounts;
  const BatchResults results = make_cpu_engine(1)
                                   ->load(config, book)
                                   ->run_capturing_accounts(hand_paths({{{100.0}, {89.0}, {89.0}}}), nullptr, accounts);
  EXPECT_EQ(accounts.size(), 1u);
  EXPECT_EQ(accounts[0].scenario, 0);
  return {results.scenarios[0], accounts[0].accounts};
}

// C short 5: its profit 5 (100 - M2), about 125 USD, covers what the fund left: all of it is ADL.
TEST(AccountOutcomes, ThreeAccountsByHand) {
  const Hand h = hand();
  const Captured run = capture_hand_book(5);
  ASSERT_EQ(run.accounts.size(), 3u);
  const AccountOutcome& a = run.accounts[0];
  const AccountOutcome& b = run.accounts[1];
  const AccountOutcome& c = run.accounts[2];

  // Equity at step 0: collateral, the positions opened at the mark.
  EXPECT_DOUBLE_EQ(a.initial_equity_usd, 150.0);
  EXPECT_DOUBLE_EQ(b.initial_equity_usd, 200.0);
  EXPECT_DOUBLE_EQ(c.initial_equity_usd, 1000.0);
  // A sold 10 lots at M1, B 10 at M2; both were bankrupt after their fills, so no fee.
  EXPECT_DOUBLE_EQ(a.liquidated_notional_usd, 10.0 * h.m1);
  EXPECT_DOUBLE_EQ(b.liquidated_notional_usd, 10.0 * h.m2);
  EXPECT_EQ(a.liquidation_fees + b.liquidation_fees + c.liquidation_fees, 0);
  EXPECT_EQ(a.deficit, h.deficit_a);
  EXPECT_EQ(b.deficit, h.deficit_b);
  EXPECT_EQ(a.insurance_payout, h.paid_a);
  EXPECT_EQ(b.insurance_payout, h.paid_b);
  // Both deficits are in (market 0, long): one pair, whose walk collected its whole target.
  EXPECT_EQ(a.adl_received, h.deficit_a - h.paid_a);
  EXPECT_EQ(b.adl_received, h.deficit_b - h.paid_b);
  EXPECT_EQ(a.bad_debt, 0);
  EXPECT_EQ(b.bad_debt, 0);
  const micro_usd haircut = h.deficit_a - h.paid_a + h.deficit_b - h.paid_b;
  EXPECT_EQ(c.adl_haircut_paid, haircut);
  EXPECT_EQ(c.deficit, 0);
  EXPECT_EQ(a.adl_haircut_paid + b.adl_haircut_paid, 0);
  // Bankrupt accounts end at zero; C keeps 1500 cash less 5 M2 at the mark, less the haircut (its
  // ADL close is value-neutral but for the micro-dollar rounding of its cash).
  EXPECT_EQ(a.final_equity_usd, 0.0);
  EXPECT_EQ(b.final_equity_usd, 0.0);
  EXPECT_NEAR(c.final_equity_usd, 1500.0 - 5.0 * h.m2 - to_usd(haircut), 1e-6);
  EXPECT_FALSE(a.backstopped || b.backstopped || c.backstopped);
  EXPECT_EQ(a.backstop_vault_pnl_usd + b.backstop_vault_pnl_usd + c.backstop_vault_pnl_usd, 0.0);
  EXPECT_EQ(run.metrics.ledger.adl_haircut, haircut);
}

// C short 1: its profit 100 - M2, about 25 USD, is all ADL can take. The pair's walk collects that,
// and it is shared in proportion to A's and B's uncovered deficits, floored, B (the last) taking the
// remainder; the rest is each account's bad debt.
TEST(AccountOutcomes, AdlShortOfTheTargetIsSharedInProportion) {
  const Hand h = hand();
  const Captured run = capture_hand_book(1);
  const AccountOutcome& a = run.accounts[0];
  const AccountOutcome& b = run.accounts[1];
  const AccountOutcome& c = run.accounts[2];
  const micro_usd uncovered_a = h.deficit_a - h.paid_a;
  const micro_usd uncovered_b = h.deficit_b - h.paid_b;
  const micro_usd collected = to_micro_usd(1.0 * (100.0 - h.m2));
  ASSERT_LT(collected, uncovered_a + uncovered_b);  // the premise: ADL falls short
  EXPECT_EQ(c.adl_haircut_paid, collected);
  const micro_usd cover_a = uncovered_a * collected / (uncovered_a + uncovered_b);
  EXPECT_EQ(a.adl_received, cover_a);
  EXPECT_EQ(b.adl_received, collected - cover_a);
  EXPECT_EQ(a.bad_debt, uncovered_a - cover_a);
  EXPECT_EQ(b.bad_debt, uncovered_b - (collected - cover_a));
  EXPECT_EQ(a.bad_debt + b.bad_debt, run.metrics.ledger.bad_debt);
  EXPECT_GT(run.metrics.ledger.bad_debt, 0);
}

// The default model started in its crisis regime, with a thin fund and a small book
// (tests/reference/conservation_test.cpp's), in three variants that between them make every kind of
// per-account figure non-zero.
ModelConfig violent_config() {
  ModelConfig config = default_config();
  config.run.scenarios = 8;
  config.run.steps = 96;
  config.run.threads = 2;
  config.portfolio.accounts = 3000;
  config.insurance_fund.initial_balance_usd = 2000.0;
  config.regimes.initial_distribution.assign(config.regime_count(), 0.0);
  config.regimes.initial_distribution.back() = 1.0;
  for (MarketSpec& market : config.markets) market.depth_usd /= 100.0;
  return config;
}

struct Variant {
  const char* name;
  void (*change)(ModelConfig&);
};

const Variant variants[] = {
    {"adl", [](ModelConfig&) {}},
    {"no_adl", [](ModelConfig& config) { config.insurance_fund.auto_deleveraging = false; }},
    {"backstop_and_margin_calls",
     [](ModelConfig& config) {
       config.liquidation.mode = LiquidationMode::fixed_fraction;
       config.liquidation.fixed_fraction_threshold_usd = 20000.0;
       config.liquidation.backstop_fraction = 2.0 / 3.0;
       config.margin_policy.kind = MarginPolicyKind::volatility_scaled;
       config.margin_policy.scale_cap = 5.0;
       config.trader_response.enabled = true;
       config.trader_response.top_up_probability = 0.5;
       config.trader_response.top_up_delay_steps = 1;
     }},
};

void PrintTo(const Variant& variant, std::ostream* out) { *out << variant.name; }

class AccountConservation : public ::testing::TestWithParam<Variant> {};

TEST_P(AccountConservation, AccountsAddUpToTheScenarioToTheCent) {
  ModelConfig config = violent_config();
  GetParam().change(config);
  validate_config(config);
  const Portfolio book = generate_portfolio(config.portfolio, config.markets);
  const ScenarioPaths paths = build_scenarios(config, 0, config.run.scenarios);
  const std::unique_ptr<LoadedBook> loaded = make_cpu_engine(2)->load(config, book);
  const BatchResults plain = loaded->run(paths, nullptr);
  std::vector<ScenarioAccounts> accounts;
  const BatchResults captured = loaded->run_capturing_accounts(paths, nullptr, accounts);
  ASSERT_EQ(accounts.size(), static_cast<std::size_t>(config.run.scenarios));

  micro_usd bad_debt = 0, payouts = 0, adl = 0, fees = 0, deposits = 0;
  double vault_loss_usd = 0.0;
  for (std::size_t s = 0; s < accounts.size(); ++s) {
    const ScenarioMetrics& metrics = captured.scenarios[s];
    const ScenarioLedger& ledger = metrics.ledger;
    // Capturing changes nothing of the run.
    EXPECT_EQ(ledger, plain.scenarios[s].ledger) << "scenario " << s;
    EXPECT_EQ(captured.series.mark_price_usd, plain.series.mark_price_usd);
    ASSERT_EQ(accounts[s].accounts.size(), book.account_count());
    EXPECT_EQ(accounts[s].scenario, static_cast<std::int64_t>(s));

    AccountOutcome sum;
    double equity_change_usd = 0.0;
    std::int64_t backstopped = 0;
    for (const AccountOutcome& account : accounts[s].accounts) {
      sum.deficit += account.deficit;
      sum.insurance_payout += account.insurance_payout;
      sum.adl_received += account.adl_received;
      sum.bad_debt += account.bad_debt;
      sum.adl_haircut_paid += account.adl_haircut_paid;
      sum.liquidation_fees += account.liquidation_fees;
      sum.deposits += account.deposits;
      sum.liquidated_notional_usd += account.liquidated_notional_usd;
      sum.backstop_vault_pnl_usd += account.backstop_vault_pnl_usd;
      equity_change_usd += account.final_equity_usd - account.initial_equity_usd;
      backstopped += account.backstopped ? 1 : 0;
      // Each account's deficit is paid, covered by ADL or written off, exactly.
      EXPECT_EQ(account.deficit, account.insurance_payout + account.adl_received + account.bad_debt);
      EXPECT_GE(account.bad_debt, 0);
      EXPECT_GE(account.adl_received, 0);
    }
    // Integers: exact, so certainly to the cent.
    EXPECT_EQ(sum.bad_debt, ledger.bad_debt) << "scenario " << s;
    EXPECT_EQ(sum.insurance_payout, ledger.insurance_payout) << "scenario " << s;
    EXPECT_EQ(sum.adl_received, ledger.adl_haircut) << "scenario " << s;
    EXPECT_EQ(sum.adl_haircut_paid, ledger.adl_haircut) << "scenario " << s;
    EXPECT_EQ(sum.liquidation_fees, ledger.liquidation_fees) << "scenario " << s;
    EXPECT_EQ(sum.deposits, ledger.deposits) << "scenario " << s;
    EXPECT_EQ(backstopped, metrics.backstopped_accounts) << "scenario " << s;
    // Values at marks: the scenario rounds once per party, the accounts once each.
    EXPECT_NEAR(sum.backstop_vault_pnl_usd, to_usd(ledger.vault_pnl), 0.01) << "scenario " << s;
    EXPECT_NEAR(equity_change_usd, to_usd(ledger.trader_equity_change), 0.01) << "scenario " << s;
    double liquidated_usd = 0.0;
    for (const double notional : metrics.liquidated_notional_usd) liquidated_usd += notional;
    EXPECT_NEAR(sum.liquidated_notional_usd, liquidated_usd, 1e-9 * liquidated_usd + 0.01) << "scenario " << s;
    bad_debt += ledger.bad_debt;
    payouts += ledger.insurance_payout;
    adl += ledger.adl_haircut;
    fees += ledger.liquidation_fees;
    deposits += ledger.deposits;
    vault_loss_usd += std::fabs(to_usd(ledger.vault_pnl));
  }
  // The runs are violent enough to test something.
  EXPECT_GT(payouts, 0);
  EXPECT_GT(fees, 0);
  const std::string variant = GetParam().name;
  if (variant == "adl") {
    EXPECT_GT(adl, 0);
  }
  if (variant == "no_adl") {
    EXPECT_GT(bad_debt, 0);
  }
  if (variant == "backstop_and_margin_calls") {
    EXPECT_GT(vault_loss_usd, 0.0);
    EXPECT_GT(deposits, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Violent, AccountConservation, ::testing::ValuesIn(variants),
                         [](const ::testing::TestParamInfo<Variant>& param) { return std::string(param.param.name); });

}  // namespace
}  // namespace margin_stress::testing
