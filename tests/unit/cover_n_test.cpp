// Cover-N (host/analysis/cover_n.cpp) against deficits summed by hand.
#include "host/analysis/cover_n.hpp"

#include <gtest/gtest.h>

namespace margin_stress {
namespace {

ScenarioAccounts with_deficits(std::int64_t scenario, const std::vector<micro_usd>& deficits) {
  ScenarioAccounts accounts;
  accounts.scenario = scenario;
  for (const micro_usd deficit : deficits) {
    AccountOutcome account;
    account.deficit = deficit;
    accounts.accounts.push_back(account);
  }
  return accounts;
}

TEST(CoverN, TheLargestDeficitsAgainstTheFund) {
  // Deficits 500, 2,500, 1,000 and 400 USD (two accounts without one) against a fund of 3,000:
  // the largest, 2,500, is covered (Cover-1); the two largest, 3,500, are not (Cover-2 fails), so
  // the 2 largest defaults exhaust it.
  const ScenarioCover cover =
      scenario_cover(with_deficits(7, {0, 500'000'000, 2'500'000'000, 1'000'000'000, 0, 400'000'000}), 3'000'000'000);
  EXPECT_EQ(cover.scenario, 7);
  EXPECT_EQ(cover.largest_deficit, 2'500'000'000);
  EXPECT_EQ(cover.two_largest_deficits, 3'500'000'000);
  EXPECT_TRUE(cover.cover_1);
  EXPECT_FALSE(cover.cover_2);
  EXPECT_EQ(cover.defaults_to_exhaust, 2);
  // A fund of exactly 3,500 covers the two largest (covered means at most the fund); 4,000 more
  // than all four together (4,400) is never exhausted; 2,499.999999 is exhausted by the largest.
  EXPECT_TRUE(scenario_cover(with_deficits(0, {500'000'000, 2'500'000'000, 1'000'000'000}), 3'500'000'000).cover_2);
  EXPECT_EQ(scenario_cover(with_deficits(0, {500'000'000, 2'500'000'000, 1'000'000'000, 400'000'000}), 4'400'000'000)
                .defaults_to_exhaust,
            0);
  EXPECT_EQ(scenario_cover(with_deficits(0, {500'000'000, 2'500'000'000, 1'000'000'000, 400'000'000}), 4'399'999'999)
                .defaults_to_exhaust,
            4);
  const ScenarioCover one = scenario_cover(with_deficits(0, {0, 2'500'000'000}), 2'499'999'999);
  EXPECT_FALSE(one.cover_1);
  EXPECT_FALSE(one.cover_2);
  EXPECT_EQ(one.two_largest_deficits, 2'500'000'000);  // one default: the two largest are that one
  EXPECT_EQ(one.defaults_to_exhaust, 1);
  const ScenarioCover none = scenario_cover(with_deficits(0, {0, 0}), 0);
  EXPECT_TRUE(none.cover_1);
  EXPECT_TRUE(none.cover_2);
  EXPECT_EQ(none.defaults_to_exhaust, 0);
}

TEST(CoverN, SummaryCountsScenarios) {
  const micro_usd fund = 1'000;
  const std::vector<ScenarioCover> covers = {scenario_cover(with_deficits(0, {0}), fund),
                                             scenario_cover(with_deficits(1, {600, 600}), fund),
                                             scenario_cover(with_deficits(2, {1'200, 10}), fund),
                                             scenario_cover(with_deficits(3, {300, 300, 300, 300}), fund)};
  const CoverSummary summary = summarize_cover(covers);
  EXPECT_EQ(summary.scenarios, 4);
  EXPECT_EQ(summary.cover_1_held, 3);           // all but scenario 2
  EXPECT_EQ(summary.cover_2_held, 2);           // scenarios 0 and 3 (600 + 600 and 1,200 + 10 exceed 1,000)
  EXPECT_EQ(summary.exhausted_by_defaults, 3);  // 1 (by 2), 2 (by 1), 3 (by 4)
  EXPECT_EQ(summary.fewest_defaults_to_exhaust, 1);
}

}  // namespace
}  // namespace margin_stress
