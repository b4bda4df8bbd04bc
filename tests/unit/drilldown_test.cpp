// The drill-down's arithmetic on cases worked by hand: which scenarios are the worst by platform
// loss, who the top contributors are and their shares, how ADL's collection is shared among the
// accounts it covered, and the accounts file's rows.
#include "host/analysis/drilldown.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "host/engine/settlement.hpp"
#include "host/io/accounts_file.hpp"

namespace margin_stress {
namespace {

ScenarioMetrics scenario_losing(micro_usd bad_debt, micro_usd payout, micro_usd adl, micro_usd vault_pnl) {
  ScenarioMetrics metrics;
  metrics.ledger.bad_debt = bad_debt;
  metrics.ledger.insurance_payout = payout;
  metrics.ledger.adl_haircut = adl;
  metrics.ledger.vault_pnl = vault_pnl;
  return metrics;
}

// Platform losses (USD): 3, 10 (bad debt 4 + fund 6), 10 (ADL 10), 0, 12 (vault -12), 1. Scenario
// numbers start at 40. Worst first: 44 (12), then 41 and 42 tied at 10 (the lower number first), 40.
TEST(WorstScenarios, LargestPlatformLossFirstTiesByTheLowerNumber) {
  const std::vector<ScenarioMetrics> scenarios = {
      scenario_losing(3'000'000, 0, 0, 0),   scenario_losing(4'000'000, 6'000'000, 0, 0),
      scenario_losing(0, 0, 10'000'000, 0),  scenario_losing(0, 0, 0, 0),
      scenario_losing(0, 0, 0, -12'000'000), scenario_losing(1'000'000, 0, 0, 0)};
  EXPECT_EQ(worst_scenarios(scenarios, 40, 1), (std::vector<std::int64_t>{44}));
  EXPECT_EQ(worst_scenarios(scenarios, 40, 4), (std::vector<std::int64_t>{44, 41, 42, 40}));
  EXPECT_EQ(worst_scenarios(scenarios, 40, 6), (std::vector<std::int64_t>{44, 41, 42, 40, 45, 43}));
  EXPECT_THROW(worst_scenarios(scenarios, 40, 0), std::invalid_argument);
  EXPECT_THROW(worst_scenarios(scenarios, 40, 7), std::invalid_argument);
}

// Seven accounts; bad debt 30 USD in all: accounts 1 (10), 2 (10), 4 (6), 5 (2), 0 (1) and 6 (1);
// account 3 bore none. The top five: 1 and 2 tied (the lower index first), 4, 5, then 0 of the tied 0
// and 6. ADL 8 USD, all from account 3.
TEST(CaptureSummary, TopContributorsWithTheirShares) {
  ScenarioAccounts accounts;
  accounts.scenario = 7;
  accounts.accounts.resize(7);
  const micro_usd bad_debt[] = {1'000'000, 10'000'000, 10'000'000, 0, 6'000'000, 2'000'000, 1'000'000};
  for (std::size_t a = 0; a < 7; ++a) accounts.accounts[a].bad_debt = bad_debt[a];
  accounts.accounts[3].adl_haircut_paid = 8'000'000;
  const CapturedScenario captured = capture_summary(scenario_losing(30'000'000, 5'000'000, 8'000'000, 0), accounts);
  EXPECT_EQ(captured.scenario, 7);
  EXPECT_DOUBLE_EQ(captured.platform_loss_usd, 43.0);
  EXPECT_DOUBLE_EQ(captured.bad_debt_usd, 30.0);
  EXPECT_DOUBLE_EQ(captured.adl_haircut_usd, 8.0);
  ASSERT_EQ(captured.bad_debt_contributors.size(), top_contributor_count);
  const std::int64_t order[] = {1, 2, 4, 5, 0};
  const double amounts[] = {10.0, 10.0, 6.0, 2.0, 1.0};
  for (std::size_t i = 0; i < top_contributor_count; ++i) {
    EXPECT_EQ(captured.bad_debt_contributors[i].account, order[i]) << i;
    EXPECT_DOUBLE_EQ(captured.bad_debt_contributors[i].amount_usd, amounts[i]) << i;
    EXPECT_DOUBLE_EQ(captured.bad_debt_contributors[i].share, amounts[i] / 30.0) << i;
  }
  ASSERT_EQ(captured.adl_contributors.size(), 1u);
  EXPECT_EQ(captured.adl_contributors[0].account, 3);
  EXPECT_DOUBLE_EQ(captured.adl_contributors[0].share, 1.0);
  EXPECT_TRUE(captured.vault_contributors.empty());
}

// The backstop vault lost 12 USD on account 0 and 3 on account 2, and gained 5 on account 1: a net
// loss of 10, so the shares are 1.2 and 0.3. Had it gained on the whole, the shares are NaN.
TEST(CaptureSummary, TheVaultsLossByAccount) {
  ScenarioAccounts accounts;
  accounts.accounts.resize(3);
  accounts.accounts[0].backstop_vault_pnl_usd = -12.0;
  accounts.accounts[1].backstop_vault_pnl_usd = 5.0;
  accounts.accounts[2].backstop_vault_pnl_usd = -3.0;
  const CapturedScenario captured = capture_summary(scenario_losing(0, 0, 0, -10'000'000), accounts);
  EXPECT_DOUBLE_EQ(captured.backstop_vault_loss_usd, 10.0);
  EXPECT_DOUBLE_EQ(captured.platform_loss_usd, 10.0);
  ASSERT_EQ(captured.vault_contributors.size(), 2u);
  EXPECT_EQ(captured.vault_contributors[0].account, 0);
  EXPECT_DOUBLE_EQ(captured.vault_contributors[0].amount_usd, 12.0);
  EXPECT_DOUBLE_EQ(captured.vault_contributors[0].share, 1.2);
  EXPECT_EQ(captured.vault_contributors[1].account, 2);
  EXPECT_DOUBLE_EQ(captured.vault_contributors[1].share, 0.3);
  const CapturedScenario gained = capture_summary(scenario_losing(0, 0, 0, 1'000'000), accounts);
  ASSERT_EQ(gained.vault_contributors.size(), 2u);
  EXPECT_TRUE(std::isnan(gained.vault_contributors[0].share));
}

// Two bankrupt accounts over one market (pairs 0 long, 1 short). Account 0's uncovered 10 USD was
// liquidated as 300 USD long and 100 USD short: shares floor(10e6 * 300 / 400) = 7.5e6 and the
// remainder 2.5e6. Account 1's 6 USD, all long. Targets: long 13.5e6, short 2.5e6. The long walk
// collects 9e6 of its 13.5e6: account 0 gets floor(7.5e6 * 9e6 / 13.5e6) = 5e6, account 1 the rest,
// 4e6. The short walk collects 1 micro-dollar: account 0 (the only one there) gets it.
TEST(AdlCover, CollectionSharedInProportionToTheTargetsExactly) {
  const std::vector<micro_usd> uncovered = {10'000'000, 6'000'000};
  const std::vector<double> notional = {300.0, 100.0, 50.0, 0.0};
  const std::vector<micro_usd> shares = adl_shares(uncovered, notional, 1);
  EXPECT_EQ(shares, (std::vector<micro_usd>{7'500'000, 2'500'000, 6'000'000, 0}));
  EXPECT_EQ(adl_targets(uncovered, notional, 1), (std::vector<micro_usd>{13'500'000, 2'500'000}));
  EXPECT_EQ(adl_cover(shares, {9'000'000, 1}, 1), (std::vector<micro_usd>{5'000'001, 4'000'000}));
  // A walk that collects its whole target covers every share in full.
  EXPECT_EQ(adl_cover(shares, {13'500'000, 2'500'000}, 1), uncovered);
  // Floors that leave a remainder give it to the last account with a share: 1 USD collected over
  // shares of 1 and 2 USD is floor(1e6 / 3) = 333,333 micro-dollars and the remaining 666,667.
  EXPECT_EQ(adl_cover({1'000'000, 0, 2'000'000, 0}, {1'000'000, 0}, 1), (std::vector<micro_usd>{333'333, 666'667}));
}

TEST(AccountsFile, HeaderAndRowsInScenarioOrder) {
  ScenarioAccounts later;
  later.scenario = 9;
  later.accounts.resize(1);
  ScenarioAccounts earlier;
  earlier.scenario = 3;
  earlier.accounts.resize(2);
  AccountOutcome& bankrupt = earlier.accounts[1];
  bankrupt.initial_equity_usd = 150.0;
  bankrupt.final_equity_usd = 2.6669709999999998;  // to_usd(2666971): printed as the micro-dollars
  bankrupt.liquidated_notional_usd = 814.2000004;  // rounded to the micro-dollar
  bankrupt.deficit = 35'800'001;
  bankrupt.insurance_payout = 8'000'000;
  bankrupt.adl_received = 20'000'000;
  bankrupt.bad_debt = 7'800'001;
  later.accounts[0].backstopped = true;
  later.accounts[0].backstop_vault_pnl_usd = -12.5;
  later.accounts[0].liquidation_fees = 250'000;
  // The formatting of a sign and of a leading zero: amounts the engine does not make in these columns.
  later.accounts[0].adl_haircut_paid = -1'050'000;
  later.accounts[0].deposits = 1;
  EXPECT_EQ(accounts_csv({later, earlier}),
            "scenario,account,initial_equity_usd,final_equity_usd,deposits_usd,liquidated_notional_usd,"
            "liquidation_fees_usd,deficit_usd,insurance_payout_usd,adl_received_usd,bad_debt_usd,adl_haircut_paid_usd,"
            "backstopped,vault_pnl_usd\n"
            "3,0,0,0,0,0,0,0,0,0,0,0,0,0\n"
            "3,1,150,2.666971,0,814.2,0,35.800001,8,20,7.800001,0,0,0\n"
            "9,0,0,0,0.000001,0,0.25,0,0,0,0,-1.05,1,-12.5\n");
}

}  // namespace
}  // namespace margin_stress
