// The margin policy library (docs/model.md, section 4): estimators, the anti-procyclicality tools
// and the platform's regime filter, each against hand-computed values.
#include "host/engine/margin_policy.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "host/engine/regime_filter.hpp"
#include "host/io/config_file.hpp"

namespace margin_stress {
namespace {

MarginPolicyParams policy_with_defaults() {
  MarginPolicyParams policy;
  policy.kind = MarginPolicyKind::volatility_scaled;
  policy.scale_floor = 1.0;
  policy.scale_cap = 10.0;
  return policy;
}

TEST(MarginPolicy, GarchForecast) {
  MarginPolicyParams policy = policy_with_defaults();
  policy.volatility_estimator = VolatilityEstimator::garch;
  policy.garch_alpha = 0.1;
  policy.garch_beta = 0.8;
  // omega = 0.5^2 * 0.01 * (1 - 0.1 - 0.8) = 2.5e-4; v' = 2.5e-4 + 0.1 * 0.05^2 + 0.8 * 0.003 = 2.9e-3.
  EXPECT_NEAR(update_policy_variance(policy, 0.003, 0.05, 0.5, 0.01), 2.5e-4 + 2.5e-4 + 2.4e-3, 1e-15);
  // At the unconditional variance with a return of the same size, the forecast stays put.
  const double v0 = initial_ewma_variance(0.5, 0.01);
  EXPECT_NEAR(update_policy_variance(policy, v0, std::sqrt(v0), 0.5, 0.01), v0, 1e-15);
}

TEST(MarginPolicy, StressedWeightMixesInAStressedVolatility) {
  MarginPolicyParams policy = policy_with_defaults();
  policy.stressed_weight = 0.25;
  policy.stressed_volatility_ratio = 3.0;
  // Observed at the reference: sigma_eff^2 = 0.75 sigma^2 + 0.25 * 9 sigma^2 = 3 sigma^2.
  EXPECT_NEAR(margin_scale(policy, initial_ewma_variance(0.5, 0.01), 0.5, 0.01), std::sqrt(3.0), 1e-12);
}

// Step 1 is computed from the estimates' starting values like any other step (docs/model.md
// section 4, "Step 1"): a stressed weight and a buffer act from the first step.
TEST(MarginPolicy, StepOneUsesTheStartingEstimatesWithEveryTool) {
  ModelConfig config = default_config();
  config.margin_policy = policy_with_defaults();
  config.margin_policy.stressed_weight = 0.25;
  config.margin_policy.stressed_volatility_ratio = 2.0;
  MarginPolicy stressed(config);
  for (std::size_t m = 0; m < config.markets.size(); ++m) {
    EXPECT_NEAR(stressed.next_scale(m), std::sqrt(0.75 + 0.25 * 4.0), 1e-12);  // 1.3229
  }
  config.margin_policy = policy_with_defaults();
  config.margin_policy.buffer = 0.25;
  config.margin_policy.buffer_release_scale = 1.5;
  MarginPolicy buffered(config);
  EXPECT_NEAR(buffered.next_scale(0), 1.25, 1e-12);
}

TEST(MarginPolicy, BufferHeldInCalmReleasedInStress) {
  MarginPolicyParams policy = policy_with_defaults();
  policy.buffer = 0.25;
  policy.buffer_release_scale = 1.5;
  EXPECT_DOUBLE_EQ(clamp_and_buffer(policy, 1.0), 1.25);
  EXPECT_DOUBLE_EQ(clamp_and_buffer(policy, 1.4), 1.75);
  EXPECT_DOUBLE_EQ(clamp_and_buffer(policy, 1.6), 1.875);  // flat at 1.5 * 1.25 while the buffer is used
  EXPECT_DOUBLE_EQ(clamp_and_buffer(policy, 1.8), 1.875);
  EXPECT_DOUBLE_EQ(clamp_and_buffer(policy, 2.0), 2.0);    // the buffer is gone
  EXPECT_DOUBLE_EQ(clamp_and_buffer(policy, 20.0), 10.0);  // the cap still binds
}

TEST(MarginPolicy, SpeedLimitPerHour) {
  MarginPolicyParams policy = policy_with_defaults();
  policy.max_increase_per_hour = 1.0;  // at most doubling per hour: 2^(1/4) per 15-minute step
  policy.max_decrease_per_hour = 0.5;  // at most halving per hour
  MarginScaleSchedule schedule(policy, 900.0);
  const double up = std::pow(2.0, 0.25);
  EXPECT_DOUBLE_EQ(schedule.apply(1.0), 1.0);
  EXPECT_DOUBLE_EQ(schedule.apply(3.0), up);
  EXPECT_DOUBLE_EQ(schedule.apply(3.0), up * up);
  double scale = up * up;
  for (int i = 0; i < 4; ++i) scale = schedule.apply(3.0);
  EXPECT_DOUBLE_EQ(scale, std::pow(2.0, 1.5));  // 2^(6/4) = 2.83 after six steps of 2^(1/4)
  EXPECT_DOUBLE_EQ(schedule.apply(3.0), 3.0);   // the seventh reaches the target
  EXPECT_DOUBLE_EQ(schedule.apply(1.0), 3.0 * std::pow(0.5, 0.25));
}

TEST(MarginPolicy, AnnouncementLagDelaysRaisesNotCuts) {
  MarginPolicyParams policy = policy_with_defaults();
  policy.announcement_lag_seconds = 3600.0;  // four 15-minute steps
  MarginScaleSchedule schedule(policy, 900.0);
  const double targets[] = {1, 1, 3, 3, 3, 3, 3, 1.5, 2};
  const double applied[] = {1, 1, 1, 1, 1, 1, 3, 1.5, 1.5};
  for (int t = 0; t < 9; ++t) EXPECT_EQ(schedule.apply(targets[t]), applied[t]) << "step " << t + 1;
}

TEST(MarginPolicy, RegimeScaleWeightsTheFilteredProbabilities) {
  MarginPolicyParams policy = policy_with_defaults();
  policy.kind = MarginPolicyKind::regime_aware;
  policy.regime_scales = {1.0, 4.0};
  EXPECT_DOUBLE_EQ(regime_margin_scale(policy, {0.75, 0.25}), 1.75);
}

// Two regimes, one market, sticky chain: P = [[0.9, 0.1], [0.2, 0.8]], prior (0.5, 0.5),
// per-step volatility 0.01 (calm) and 0.04 (crisis), zero drift. Observing r = 0.05:
//   predicted = (0.5*0.9 + 0.5*0.2, 0.5*0.1 + 0.5*0.8) = (0.55, 0.45)
//   means m_k = -sigma_k^2/2 (per step): -5e-5 and -8e-4
//   densities f_k = exp(-(r - m_k)^2 / (2 s_k^2)) / (s_k sqrt(2 pi))
//   posterior_k = predicted_k f_k / sum.
TEST(RegimeFilterTest, OneObservationByHand) {
  ModelConfig config;
  config.run.step_seconds = 365.0 * 86400.0;  // dt = 1 year, so volatility is per step
  MarketSpec market;
  market.name = "X";
  config.markets.push_back(market);
  for (double volatility : {0.01, 0.04}) {
    RegimeState state;
    state.volatility = {volatility};
    state.drift = {0.0};
    state.correlation = {1.0};
    config.regimes.states.push_back(state);
  }
  config.regimes.transition = {0.9, 0.1, 0.2, 0.8};
  config.regimes.initial_distribution = {0.5, 0.5};
  const RegimeFilter filter(config);
  std::vector<double> probabilities = filter.prior();
  filter.update(probabilities, {0.05});
  const double pi = 3.14159265358979323846;
  auto density = [&](double s) {
    const double mean = -s * s / 2.0;
    return std::exp(-(0.05 - mean) * (0.05 - mean) / (2 * s * s)) / (s * std::sqrt(2 * pi));
  };
  const double calm = 0.55 * density(0.01);
  const double crisis = 0.45 * density(0.04);
  EXPECT_NEAR(probabilities[0], calm / (calm + crisis), 1e-12);
  EXPECT_NEAR(probabilities[1], crisis / (calm + crisis), 1e-12);
  EXPECT_GT(probabilities[1], 0.999);  // a 5-sigma calm move is a crisis
  // A return a calm regime finds ordinary moves the filter back (P(crisis -> calm) = 0.2 per step).
  for (int i = 0; i < 30; ++i) filter.update(probabilities, {0.0});
  EXPECT_GT(probabilities[0], 0.9);
}

}  // namespace
}  // namespace margin_stress
