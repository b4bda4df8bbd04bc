// The plausibility bounds of a calibrated model (scenarios/calibration/plausibility.hpp,
// docs/calibration.md "Plausibility") on hand-made fits: each warning appears just beyond its bound
// and not just within it, the trend's not when the drift is written as zero, which --zero-drift
// does.
#include "scenarios/calibration/plausibility.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "host/io/config_file.hpp"
#include "scenarios/calibration/model_output.hpp"

namespace margin_stress::calibration {
namespace {

constexpr double bar_seconds = 3600.0;
constexpr double bars_per_year = seconds_per_year / bar_seconds;  // 8,760 hourly bars

// A one-market (BTC), two-regime Gaussian fit whose crisis regime has the given annualised
// volatility and trend of the log price (the calm one: 0.3 and no trend).
RegimeFit gaussian_fit(double crisis_volatility, double crisis_log_drift) {
  RegimeFit fit;
  fit.markets = 1;
  fit.states = {
      {{0.0}, {0.3 * 0.3 / bars_per_year}, 0.0, 0.0},
      {{crisis_log_drift / bars_per_year}, {crisis_volatility * crisis_volatility / bars_per_year}, 0.0, 0.0}};
  fit.transition = {0.9, 0.1, 0.2, 0.8};
  fit.initial_distribution = {0.5, 0.5};
  return fit;
}

std::vector<std::string> warnings_of(const RegimeFit& fit, DriftChoice drift, const std::vector<double>& returns = {}) {
  const ModelConfig model =
      calibrated_config(default_config(), {"BTC"}, fit, bar_seconds, bar_seconds, "model.toml", drift);
  return plausibility_warnings(fit, model, returns, bar_seconds, drift);
}

TEST(Plausibility, NoWarningWithinTheBounds) {
  EXPECT_TRUE(warnings_of(gaussian_fit(5.9, 0.49), DriftChoice::fitted).empty());
  EXPECT_TRUE(warnings_of(gaussian_fit(5.9, -0.49), DriftChoice::fitted).empty());
}

TEST(Plausibility, VolatilityAboveSixAYear) {
  const std::vector<std::string> warnings = warnings_of(gaussian_fit(6.1, 0.0), DriftChoice::fitted);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("crisis, BTC: volatility 6.1 a year is above 6"), std::string::npos) << warnings[0];
}

TEST(Plausibility, TrendBeyondHalfAYearEitherWayUnlessTheDriftIsZero) {
  for (const double trend : {0.51, -0.51}) {
    const std::vector<std::string> warnings = warnings_of(gaussian_fit(1.0, trend), DriftChoice::fitted);
    ASSERT_EQ(warnings.size(), 1u) << trend;
    EXPECT_NE(warnings[0].find(trend > 0 ? "crisis, BTC: the fitted trend of the log price is +0.51 a year"
                                         : "crisis, BTC: the fitted trend of the log price is -0.51 a year"),
              std::string::npos)
        << warnings[0];
    EXPECT_NE(warnings[0].find("--zero-drift"), std::string::npos) << warnings[0];
    EXPECT_TRUE(warnings_of(gaussian_fit(1.0, trend), DriftChoice::zero).empty()) << trend;
  }
}

TEST(Plausibility, ZeroDriftWritesZeroAndFittedWritesTheTrendPlusHalfTheVariance) {
  const RegimeFit fit = gaussian_fit(2.0, -0.4);
  const ModelConfig zero =
      calibrated_config(default_config(), {"BTC"}, fit, bar_seconds, bar_seconds, "model.toml", DriftChoice::zero);
  const ModelConfig fitted =
      calibrated_config(default_config(), {"BTC"}, fit, bar_seconds, bar_seconds, "model.toml", DriftChoice::fitted);
  EXPECT_EQ(zero.regimes.states[1].drift[0], 0.0);
  EXPECT_EQ(zero.regimes.states[1].volatility, fitted.regimes.states[1].volatility);
  EXPECT_NEAR(fitted.regimes.states[1].drift[0], -0.4 + 2.0 * 2.0 / 2.0, 1e-12);  // 1.6
}

// An MS-GARCH regime over returns that are all 0 (its mean): h_t = L + beta^t (v - L) with
// L = v (1 - alpha - beta) / (1 - beta), so over 1,001 returns the median is L to 1e-30 and the
// start ratio sqrt(v / L) = sqrt((1 - beta) / (1 - alpha - beta)).
RegimeFit garch_fit(double alpha, double beta) {
  RegimeFit fit = gaussian_fit(1.0, 0.0);
  fit.emission = EmissionModel::ms_garch;
  for (RegimeEstimate& state : fit.states) {
    state.garch_alpha = alpha;
    state.garch_beta = beta;
  }
  return fit;
}

TEST(Plausibility, MsGarchStartFarFromTheMedianConditionalSd) {
  const std::vector<double> flat(1001, 0.0);
  // alpha 0.5, beta 0.4: ratio sqrt(0.6 / 0.1) = 2.449 > 2, in both regimes.
  const std::vector<std::string> far = warnings_of(garch_fit(0.5, 0.4), DriftChoice::fitted, flat);
  ASSERT_EQ(far.size(), 2u);
  EXPECT_NE(far[0].find("calm: a run starts this MS-GARCH regime at sqrt(v) = 2.45 times"), std::string::npos)
      << far[0];
  EXPECT_NE(far[1].find("crisis: "), std::string::npos) << far[1];
  // alpha 0.1, beta 0.8: ratio sqrt(0.2 / 0.1) = 1.414, within [0.5, 2].
  EXPECT_TRUE(warnings_of(garch_fit(0.1, 0.8), DriftChoice::fitted, flat).empty());
  // A Gaussian fit has no start to check, whatever the returns.
  EXPECT_TRUE(warnings_of(gaussian_fit(1.0, 0.0), DriftChoice::fitted, flat).empty());
}

}  // namespace
}  // namespace margin_stress::calibration
