// The least-margin search (host/analysis/frontier.cpp) on families whose answer is known by
// construction, and the knobs' effect on a policy.
#include "host/analysis/frontier.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "host/io/config_file.hpp"
#include "host/model/input_error.hpp"

namespace margin_stress {
namespace {

// P(exhausted) = max(0, 1 - k / 2): the target P <= 0.1 holds exactly from k = 1.8 on.
FrontierPoint linear_family(double knob) {
  FrontierPoint point;
  point.fund_exhaustion_probability = std::max(0.0, 1.0 - knob / 2.0);
  point.mean_required_margin_usd = 1000.0 * knob;
  return point;
}

TEST(LeastMarginSearch, BisectsToTheThresholdOfAMonotoneFamily) {
  TailTarget target;
  target.max_fund_exhaustion_probability = 0.1;
  int runs = 0;
  const SearchOutcome outcome = search_least_margin({0.5, 3.0, 6, 0.01}, target, [&](double knob) {
    ++runs;
    return linear_family(knob);
  });
  ASSERT_TRUE(outcome.answer);
  ASSERT_TRUE(outcome.just_below);
  EXPECT_TRUE(outcome.answer->meets_target);
  EXPECT_FALSE(outcome.just_below->meets_target);
  EXPECT_GE(outcome.answer->knob, 1.8);
  EXPECT_LT(outcome.just_below->knob, 1.8);
  EXPECT_LE(outcome.answer->knob - outcome.just_below->knob, 0.01);
  // The grid's bracket [1.5, 2] of width 0.5 halves 6 times to 0.0078.
  EXPECT_EQ(runs, 6 + 6);
  EXPECT_EQ(outcome.frontier.size(), 12u);
  EXPECT_TRUE(std::is_sorted(outcome.frontier.begin(), outcome.frontier.end(),
                             [](const FrontierPoint& a, const FrontierPoint& b) { return a.knob < b.knob; }));
  EXPECT_EQ(outcome.frontier.front().knob, 0.5);
  EXPECT_EQ(outcome.frontier.back().knob, 3.0);
}

TEST(LeastMarginSearch, AFeasiblePointBelowAnInfeasibleOneIsNotTheAnswer) {
  // Feasible at 1 (luck of the scenarios), missed at 1.5, feasible from 2 on: the answer is where
  // every point above meets the target, between 1.5 and 2.
  TailTarget target;
  target.max_fund_exhaustion_probability = 0.0;
  const SearchOutcome outcome = search_least_margin({0.5, 3.0, 6, 0.1}, target, [](double knob) {
    FrontierPoint point;
    point.fund_exhaustion_probability = (knob == 1.0 || knob >= 1.75) ? 0.0 : 0.5;
    return point;
  });
  ASSERT_TRUE(outcome.answer);
  EXPECT_GE(outcome.answer->knob, 1.75);
  EXPECT_LE(outcome.answer->knob, 2.0);
  EXPECT_LT(outcome.just_below->knob, 1.75);
  EXPECT_GE(outcome.just_below->knob, 1.5);
}

TEST(LeastMarginSearch, TargetOutOfReachAndTargetMetEverywhere) {
  TailTarget strict;
  strict.max_fund_exhaustion_probability = 0.0;
  strict.max_bad_debt_es_999_usd = 10.0;
  const SearchOutcome missed = search_least_margin({0.5, 1.0, 3, 0.01}, strict, [](double) {
    FrontierPoint point;
    point.bad_debt.es_999_usd = 11.0;
    return point;
  });
  EXPECT_FALSE(missed.answer);
  EXPECT_FALSE(missed.just_below);
  EXPECT_EQ(missed.frontier.size(), 3u);

  const SearchOutcome everywhere =
      search_least_margin({0.5, 1.0, 3, 0.01}, strict, [](double) { return FrontierPoint{}; });
  ASSERT_TRUE(everywhere.answer);
  EXPECT_EQ(everywhere.answer->knob, 0.5);
  EXPECT_FALSE(everywhere.just_below);
}

TEST(LeastMarginSearch, EveryBoundOfTheTargetMustHold) {
  TailTarget target;
  target.max_fund_exhaustion_probability = 0.01;
  target.max_bad_debt_var_99_usd = 100.0;
  FrontierPoint point;
  point.fund_exhaustion_probability = 0.01;
  point.bad_debt.var_99_usd = 100.0;
  EXPECT_TRUE(target.met_by(point));
  point.bad_debt.var_99_usd = 100.5;
  EXPECT_FALSE(target.met_by(point));
  point.bad_debt.var_99_usd = 0.0;
  point.fund_exhaustion_probability = 0.02;
  EXPECT_FALSE(target.met_by(point));
}

TEST(LeastMarginSearch, APlatformLossTargetBoundsTheWholeLossNotOnlyBadDebt) {
  TailTarget target;
  target.max_fund_exhaustion_probability = 1.0;
  target.max_platform_loss_var_99_usd = 1000.0;
  target.max_platform_loss_es_999_usd = 5000.0;
  FrontierPoint point;  // no bad debt, but the fund and the traders paid
  point.platform_loss.var_99_usd = 1000.0;
  point.platform_loss.es_999_usd = 5000.0;
  EXPECT_TRUE(target.met_by(point));
  point.platform_loss.var_99_usd = 1000.5;
  EXPECT_FALSE(target.met_by(point));
  point.platform_loss.var_99_usd = 0.0;
  point.platform_loss.es_999_usd = 5001.0;
  EXPECT_FALSE(target.met_by(point));
}

TEST(LeastMarginSearch, RefusesAnEmptyRange) {
  EXPECT_THROW(search_least_margin({1.0, 1.0, 3, 0.1}, TailTarget{}, linear_family), std::invalid_argument);
  EXPECT_THROW(search_least_margin({0.0, 1.0, 1, 0.1}, TailTarget{}, linear_family), std::invalid_argument);
  EXPECT_THROW(search_least_margin({0.0, 1.0, 3, 0.0}, TailTarget{}, linear_family), std::invalid_argument);
}

TEST(MarginKnob, EachKnobRaisesItsSetting) {
  const ModelConfig policy = default_config();
  const MarketSpec& first = policy.markets[0];
  const ModelConfig doubled = with_knob(policy, MarginKnob::margin_multiplier, 2.0);
  EXPECT_DOUBLE_EQ(doubled.markets[0].initial_margin_fraction, 2.0 * first.initial_margin_fraction);
  EXPECT_DOUBLE_EQ(doubled.markets[0].maintenance_margin_fraction, 2.0 * first.maintenance_margin_fraction);
  // Capped: imf at 1, mmf at the imf.
  const ModelConfig huge = with_knob(policy, MarginKnob::margin_multiplier, 1e6);
  EXPECT_EQ(huge.markets[0].initial_margin_fraction, 1.0);
  EXPECT_EQ(huge.markets[0].maintenance_margin_fraction, 1.0);

  const ModelConfig floored = with_knob(policy, MarginKnob::scale_floor, policy.margin_policy.scale_cap + 1.0);
  EXPECT_EQ(floored.margin_policy.scale_floor, policy.margin_policy.scale_cap + 1.0);
  EXPECT_EQ(floored.margin_policy.scale_cap, policy.margin_policy.scale_cap + 1.0);
  EXPECT_EQ(with_knob(policy, MarginKnob::buffer, 0.3).margin_policy.buffer, 0.3);
  EXPECT_EQ(with_knob(policy, MarginKnob::stressed_weight, 0.25).margin_policy.stressed_weight, 0.25);

  ModelConfig tiered = policy;
  tiered.markets[1].margin_tiers = {{50e3, 0.004, 125}};
  EXPECT_THROW(with_knob(tiered, MarginKnob::margin_multiplier, 2.0), InputError);
  EXPECT_EQ(margin_knob_from_name("buffer"), MarginKnob::buffer);
  EXPECT_THROW(margin_knob_from_name("leverage"), InputError);
}

}  // namespace
}  // namespace margin_stress
