// The reverse search (host/analysis/reverse_search.cpp) on outcomes whose breaking severity is
// known by construction, its report of a non-monotone outcome, the breaking conditions and the
// severity's effect on a configuration.
#include "host/analysis/reverse_search.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "host/io/config_file.hpp"
#include "host/model/input_error.hpp"

namespace margin_stress {
namespace {

// Mean bad debt = 10,000 (s - 0.3) above s = 0.3, else 0: above 1,234 USD exactly above s = 0.4234.
ReverseEvaluation linear_losses(double severity) {
  ReverseEvaluation evaluation;
  evaluation.bad_debt.mean_usd = std::max(0.0, 10000.0 * (severity - 0.3));
  return evaluation;
}

BreakingCondition mean_bad_debt_above(double usd) {
  BreakingCondition condition;
  condition.outcome = BreakingOutcome::bad_debt;
  condition.statistic = LossStatistic::mean;
  condition.threshold = usd;
  return condition;
}

TEST(ReverseSearch, BisectsToTheBreakingSeverityOfAMonotoneOutcome) {
  int runs = 0;
  const ReverseOutcome outcome =
      search_least_breaking({0.1, 0.9, 5, 0.001}, mean_bad_debt_above(1234.0), [&](double severity) {
        ++runs;
        return linear_losses(severity);
      });
  ASSERT_TRUE(outcome.least_breaking);
  ASSERT_TRUE(outcome.just_below);
  EXPECT_GT(outcome.least_breaking->severity, 0.4234);
  EXPECT_LT(outcome.just_below->severity, 0.4234);
  EXPECT_LE(outcome.least_breaking->severity - outcome.just_below->severity, 0.001);
  EXPECT_TRUE(outcome.non_monotone.empty());
  // The grid 0.1, 0.3, 0.5, 0.7, 0.9 brackets it in [0.3, 0.5]; 0.2 / 2^8 < 0.001 takes 8 halvings.
  EXPECT_EQ(runs, 5 + 8);
  ASSERT_EQ(outcome.evaluations.size(), 13u);
  EXPECT_TRUE(
      std::is_sorted(outcome.evaluations.begin(), outcome.evaluations.end(),
                     [](const ReverseEvaluation& a, const ReverseEvaluation& b) { return a.severity < b.severity; }));
  int on_grid = 0;
  for (const ReverseEvaluation& evaluation : outcome.evaluations) {
    EXPECT_EQ(evaluation.outcome, evaluation.bad_debt.mean_usd);
    EXPECT_EQ(evaluation.breaks, evaluation.outcome > 1234.0);
    on_grid += evaluation.on_grid ? 1 : 0;
  }
  EXPECT_EQ(on_grid, 5);
}

TEST(ReverseSearch, AnOutcomeThatFallsIsReportedWhereItFalls) {
  // Losses rise, fall back at 0.5 (a deeper crash that liquidates earlier, on a deeper book), rise
  // again: on the grid 0.1, 0.3, ..., 0.9 only 0.5 is below its predecessor.
  const auto dipping = [](double severity) {
    ReverseEvaluation evaluation;
    evaluation.bad_debt.mean_usd = std::fabs(severity - 0.5) < 1e-12 ? 100.0 : 5000.0 * severity;
    return evaluation;
  };
  const ReverseOutcome outcome = search_least_breaking({0.1, 0.9, 5, 0.05}, mean_bad_debt_above(1200.0), dipping);
  ASSERT_EQ(outcome.non_monotone.size(), 1u);
  EXPECT_DOUBLE_EQ(outcome.non_monotone.front().severity, 0.5);
  // Every grid point from 0.7 up breaks; the bisection runs between 0.5 and 0.7.
  ASSERT_TRUE(outcome.least_breaking);
  EXPECT_GT(outcome.least_breaking->severity, 0.5);
  EXPECT_LE(outcome.least_breaking->severity, 0.7);
  // 0.3 breaks too (1,500 USD), below the answer: why the summary warns that a lower severity may
  // break.
  const auto at_0_3 =
      std::find_if(outcome.evaluations.begin(), outcome.evaluations.end(),
                   [](const ReverseEvaluation& evaluation) { return std::fabs(evaluation.severity - 0.3) < 1e-12; });
  ASSERT_NE(at_0_3, outcome.evaluations.end());
  EXPECT_TRUE(at_0_3->breaks);
}

TEST(ReverseSearch, NothingBreakingAndTheLowEndBreaking) {
  const ReverseOutcome none = search_least_breaking({0.1, 0.35, 3, 0.01}, mean_bad_debt_above(1000.0), linear_losses);
  EXPECT_FALSE(none.least_breaking);
  EXPECT_FALSE(none.just_below);
  const ReverseOutcome all = search_least_breaking({0.5, 0.9, 3, 0.01}, mean_bad_debt_above(1000.0), linear_losses);
  ASSERT_TRUE(all.least_breaking);
  EXPECT_EQ(all.least_breaking->severity, 0.5);
  EXPECT_FALSE(all.just_below);
  EXPECT_EQ(all.evaluations.size(), 3u);
}

TEST(BreakingCondition, WatchesTheNamedStatisticOfTheNamedOutcome) {
  ReverseEvaluation evaluation;
  evaluation.fund_exhaustion_probability = 0.25;
  evaluation.bad_debt = {1.0, 0.1, 2.0, {}, 3.0, {}};
  evaluation.platform_loss = {4.0, 0.1, 5.0, {}, 6.0, {}};
  evaluation.adl_haircut = {7.0, 0.1, 8.0, {}, 9.0, {}};
  BreakingCondition condition;
  condition.outcome = BreakingOutcome::fund_exhausted;
  condition.threshold = 0.25;
  EXPECT_EQ(condition.watched(evaluation), 0.25);
  EXPECT_TRUE(condition.broken_by(evaluation));  // a probability breaks at the threshold
  condition.threshold = 0.26;
  EXPECT_FALSE(condition.broken_by(evaluation));
  const struct {
    BreakingOutcome outcome;
    LossStatistic statistic;
    double expected;
  } cases[] = {{BreakingOutcome::bad_debt, LossStatistic::mean, 1.0},
               {BreakingOutcome::bad_debt, LossStatistic::var_99, 2.0},
               {BreakingOutcome::bad_debt, LossStatistic::es_999, 3.0},
               {BreakingOutcome::platform_loss, LossStatistic::mean, 4.0},
               {BreakingOutcome::platform_loss, LossStatistic::var_99, 5.0},
               {BreakingOutcome::platform_loss, LossStatistic::es_999, 6.0},
               {BreakingOutcome::adl_haircut, LossStatistic::mean, 7.0},
               {BreakingOutcome::adl_haircut, LossStatistic::var_99, 8.0},
               {BreakingOutcome::adl_haircut, LossStatistic::es_999, 9.0}};
  for (const auto& test : cases) {
    condition.outcome = test.outcome;
    condition.statistic = test.statistic;
    condition.threshold = test.expected;
    EXPECT_EQ(condition.watched(evaluation), test.expected);
    EXPECT_FALSE(condition.broken_by(evaluation)) << "a loss breaks only above the threshold";
    condition.threshold = test.expected - 0.5;
    EXPECT_TRUE(condition.broken_by(evaluation));
  }
  EXPECT_EQ(breaking_outcome_from_name("adl"), BreakingOutcome::adl_haircut);
  EXPECT_EQ(loss_statistic_from_name("es_999"), LossStatistic::es_999);
  EXPECT_THROW(breaking_outcome_from_name("collapse"), InputError);
  EXPECT_THROW(loss_statistic_from_name("median"), InputError);
}

TEST(ShockSeverityTest, CrashDepthSetsTheNamedCrashShocksSize) {
  const ModelConfig base = parse_config(
      "[[scenario.shocks]]\nname = \"thin\"\nkind = \"depth\"\nstart_step = 2\nduration_steps = 3\nmultiplier = 0.2\n"
      "[[scenario.shocks]]\nname = \"btc\"\nkind = \"crash\"\nstart_step = 2\nduration_steps = 3\nsize = -0.1\nmarkets "
      "= [\"BTC\"]\n",
      "base.toml");
  const ModelConfig deeper = with_severity(base, ShockSeverity::crash_depth, "", 0.35);
  ASSERT_EQ(deeper.scenario.shocks.size(), 2u);
  EXPECT_EQ(deeper.scenario.shocks[1].size, -0.35);
  EXPECT_EQ(deeper.scenario.shocks[0].multiplier, 0.2);  // the depth shock is not the crash
  EXPECT_EQ(with_severity(base, ShockSeverity::crash_depth, "btc", 0.2).scenario.shocks[1].size, -0.2);
  EXPECT_THROW(with_severity(base, ShockSeverity::crash_depth, "thin", 0.2), InputError);
  const ModelConfig two = parse_config(
      "[[scenario.shocks]]\nname = \"a\"\nkind = \"crash\"\nstart_step = 2\nduration_steps = 3\nsize = -0.1\n"
      "[[scenario.shocks]]\nname = \"b\"\nkind = \"crash\"\nstart_step = 2\nduration_steps = 3\nsize = -0.2\n",
      "two.toml");
  EXPECT_THROW(with_severity(two, ShockSeverity::crash_depth, "", 0.2), InputError);
  EXPECT_EQ(with_severity(two, ShockSeverity::crash_depth, "b", 0.4).scenario.shocks[1].size, -0.4);
  EXPECT_EQ(with_severity(two, ShockSeverity::crash_depth, "b", 0.4).scenario.shocks[0].size, -0.1);
  EXPECT_EQ(shock_severity_from_name("crash_depth"), ShockSeverity::crash_depth);
  EXPECT_THROW(shock_severity_from_name("depth"), InputError);
}

}  // namespace
}  // namespace margin_stress
