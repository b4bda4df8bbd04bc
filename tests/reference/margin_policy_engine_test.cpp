// The margin policy inside the engine (docs/model.md, section 4): the scale of each step follows
// the marks the platform observed, through the clamp, the speed limit and the announcement lag.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "host/engine/cpu/cpu_engine.hpp"
#include "host/io/config_file.hpp"
#include "host/portfolio/generator.hpp"
#include "scenarios/scenario_builder.hpp"
#include "scenarios/validate_config.hpp"

namespace margin_stress {
namespace {

// Flat prices, no impact (a huge depth), and BTC gaps -30 % at step 5: the only observed return is
// r = ln 0.7 at step 5, so v(5) = lambda v0 + (1 - lambda) r^2 and v(t) = lambda^(t-5) ... after.
ModelConfig gap_config(const std::string& policy) {
  ModelConfig config = parse_config(R"(
[run]
steps = 12
[scenario]
base = "flat"
[[scenario.shocks]]
kind = "gap"
markets = ["BTC"]
start_step = 5
size = -0.3
[portfolio]
accounts = 50
)" + policy,
                                    "policy.toml");
  for (MarketSpec& market : config.markets) market.depth_usd = 1e300;
  validate_config(config);
  return config;
}

std::vector<double> btc_scales(const ModelConfig& config) {
  const Portfolio book = generate_portfolio(config.portfolio, config.markets);
  const BatchResults results = make_cpu_engine(1)->run(config, book, build_scenarios(config, 0, 1), nullptr);
  std::vector<double> scales;
  for (std::int64_t t = 0; t < config.run.steps; ++t)
    scales.push_back(results.series.margin_scale[results.series.market_index(0, t, 0)]);
  return scales;
}

// The volatility-scaled scale by hand: 1 until the gap is observed, then sqrt(v / dt) / 0.5.
std::vector<double> expected_scales(double lambda, double cap) {
  const double dt = 900.0 / (365.0 * 86400.0);
  double v = 0.5 * 0.5 * dt;
  std::vector<double> scales;
  for (int t = 1; t <= 12; ++t) {
    scales.push_back(std::clamp(std::sqrt(v / dt) / 0.5, 1.0, cap));
    const double r = t == 5 ? std::log(0.7) : 0.0;
    v = lambda * v + (1.0 - lambda) * r * r;
  }
  return scales;
}

TEST(MarginPolicyEngine, ScaleFollowsTheObservedMarkWithAOneStepLag) {
  const std::vector<double> scales = btc_scales(gap_config(""));
  const std::vector<double> expected = expected_scales(0.94, 3.0);
  for (int t = 0; t < 12; ++t)
    EXPECT_NEAR(scales[static_cast<std::size_t>(t)], expected[static_cast<std::size_t>(t)], 1e-12) << "step " << t + 1;
  EXPECT_EQ(scales[4], 1.0);  // step 5: the gap happens, not yet observed
  EXPECT_EQ(scales[5], 3.0);  // step 6: observed; sqrt(0.06) ln(1/0.7) / (0.5 sqrt(dt)) is far above the cap
}

TEST(MarginPolicyEngine, AnnouncementLagAndSpeedLimit) {
  // Lag of two steps: the raise decided for step 6 applies from step 8.
  const std::vector<double> lagged = btc_scales(gap_config("[margin_policy]\nannouncement_lag_seconds = 1800.0\n"));
  const std::vector<double> expected = expected_scales(0.94, 3.0);
  EXPECT_EQ(lagged[5], 1.0);
  EXPECT_EQ(lagged[6], 1.0);
  EXPECT_NEAR(lagged[7], std::min({expected[5], expected[6], expected[7]}), 1e-12);
  // Speed limit +100 % an hour: 2^(1/4) per 15-minute step from step 6 on.
  const std::vector<double> limited = btc_scales(gap_config("[margin_policy]\nmax_increase_per_hour = 1.0\n"));
  EXPECT_NEAR(limited[5], std::pow(2.0, 0.25), 1e-12);
  EXPECT_NEAR(limited[6], std::pow(2.0, 0.5), 1e-12);
}

}  // namespace
}  // namespace margin_stress
