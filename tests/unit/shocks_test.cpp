// Committee shocks (docs/model.md, section 10.3): each shape exactly as written, layered exactly on
// any base, and every misuse a clear error naming the shock and the field.
#include "scenarios/shocks.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "host/io/config_file.hpp"
#include "host/model/input_error.hpp"
#include "scenarios/scenario_builder.hpp"
#include "scenarios/validate_config.hpp"

namespace margin_stress {
namespace {

ShockSpec price_shock(ShockKind kind, double size, std::int64_t start, std::int64_t down, std::int64_t up,
                      ShockShape shape) {
  ShockSpec shock;
  shock.kind = kind;
  shock.size = size;
  shock.start_step = start;
  shock.duration_steps = down;
  shock.recovery_steps = up;
  shock.shape = shape;
  return shock;
}

TEST(ShockShape, GapIsInstantAndPermanent) {
  const ShockSpec gap = price_shock(ShockKind::gap, -0.25, 5, 1, 0, ShockShape::linear);
  EXPECT_EQ(shock_price_factor(gap, 4), 1.0);
  EXPECT_EQ(shock_price_factor(gap, 5), 0.75);
  EXPECT_EQ(shock_price_factor(gap, 500), 0.75);
}

TEST(ShockShape, LinearCrashFallsEvenlyInPrice) {
  // -40 % over 4 steps from step 3: 0.9, 0.8, 0.7, 0.6, then held.
  const ShockSpec crash = price_shock(ShockKind::crash, -0.4, 3, 4, 0, ShockShape::linear);
  EXPECT_EQ(shock_price_factor(crash, 2), 1.0);
  EXPECT_DOUBLE_EQ(shock_price_factor(crash, 3), 0.9);
  EXPECT_DOUBLE_EQ(shock_price_factor(crash, 4), 0.8);
  EXPECT_DOUBLE_EQ(shock_price_factor(crash, 5), 0.7);
  EXPECT_DOUBLE_EQ(shock_price_factor(crash, 6), 0.6);
  EXPECT_DOUBLE_EQ(shock_price_factor(crash, 60), 0.6);
}

TEST(ShockShape, ExponentialCrashFallsEvenlyInLogPrice) {
  // -75 % over 2 steps: 0.25^(1/2) = 0.5, then 0.25.
  const ShockSpec crash = price_shock(ShockKind::crash, -0.75, 1, 2, 0, ShockShape::exponential);
  EXPECT_DOUBLE_EQ(shock_price_factor(crash, 1), 0.5);
  EXPECT_DOUBLE_EQ(shock_price_factor(crash, 2), 0.25);
}

TEST(ShockShape, VShapeFallsThenRecovers) {
  // -20 % over 2 steps (0.9, 0.8), back over 4 steps (0.85, 0.9, 0.95, 1).
  const ShockSpec v = price_shock(ShockKind::v_shape, -0.2, 10, 2, 4, ShockShape::linear);
  const double expected[] = {1.0, 0.9, 0.8, 0.85, 0.9, 0.95, 1.0, 1.0};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(shock_price_factor(v, 9 + i), expected[i], 1e-15) << "step " << 9 + i;
}

ModelConfig config_with(const std::string& toml) {
  ModelConfig config = parse_config(toml, "shock.toml");
  validate_config(config);
  return config;
}

TEST(Shocks, FlatBaseReproducesTheShapeExactly) {
  const ModelConfig config = config_with(R"(
[run]
steps = 20
[scenario]
base = "flat"
[[scenario.shocks]]
kind = "v_shape"
markets = ["ETH"]
start_step = 3
duration_steps = 5
recovery_steps = 4
size = -0.3
shape = "exponential"
)");
  const ScenarioPaths paths = build_scenarios(config, 0, 2);
  const ShockSpec& shock = config.scenario.shocks[0];
  for (std::int64_t s = 0; s < 2; ++s) {
    for (std::int64_t t = 0; t <= 20; ++t) {
      for (std::int64_t m = 0; m < paths.markets; ++m) {
        const double initial = config.markets[static_cast<std::size_t>(m)].initial_price_usd;
        const double expected = m == 1 ? initial * shock_price_factor(shock, t) : initial;
        EXPECT_EQ(paths.fundamental_price_usd[paths.price_index(s, t, m)], expected) << "s " << s << " t " << t;
      }
    }
  }
  // Independently of shock_price_factor: the bottom (step 7) is 3000 x 0.7, three steps into the
  // fall it is 3000 x 0.7^(3/5), and from step 11 on ETH is back at 3000.
  EXPECT_DOUBLE_EQ(paths.fundamental_price_usd[paths.price_index(0, 7, 1)], 3000.0 * 0.7);
  EXPECT_DOUBLE_EQ(paths.fundamental_price_usd[paths.price_index(0, 5, 1)], 3000.0 * std::pow(0.7, 0.6));
  EXPECT_EQ(paths.fundamental_price_usd[paths.price_index(0, 11, 1)], 3000.0);
  // The flat base sits in the flat regime ("normal", depth multiplier 0.8).
  EXPECT_EQ(paths.regime[paths.regime_index(1, 7)], 1);
  EXPECT_EQ(paths.depth_multiplier[paths.price_index(1, 7, 0)], 0.8);
}

TEST(Shocks, LayeredOnMonteCarloMultipliesTheBasePath) {
  const std::string base = "[run]\nsteps = 30\n";
  const ModelConfig plain = config_with(base);
  const ModelConfig shocked = config_with(base + R"(
[[scenario.shocks]]
kind = "crash"
start_step = 10
duration_steps = 6
size = -0.5
)");
  const ScenarioPaths x = build_scenarios(plain, 7, 3);
  const ScenarioPaths y = build_scenarios(shocked, 7, 3);
  bool moved = false;
  for (std::int64_t s = 0; s < 3; ++s) {
    for (std::int64_t t = 0; t <= 30; ++t) {
      for (std::int64_t m = 0; m < x.markets; ++m) {
        const std::size_t at = x.price_index(s, t, m);
        const double factor = shock_price_factor(shocked.scenario.shocks[0], t);
        EXPECT_EQ(y.fundamental_price_usd[at], x.fundamental_price_usd[at] * factor);
        moved = moved || factor != 1.0;
      }
    }
  }
  EXPECT_TRUE(moved);
}

// Two uncorrelated markets, one regime, no jumps: the noise is all diffusion, so the noise shocks
// can be checked exactly (volatility) and against their closed form (correlation).
const char* two_market_model = R"(
[run]
steps = 30
step_seconds = 3600.0
[[markets]]
name = "A"
initial_price_usd = 100.0
lot_size = 1.0
depth_usd = 1e9
initial_margin_fraction = 0.1
maintenance_margin_fraction = 0.05
reference_volatility = 0.5
[[markets]]
name = "B"
initial_price_usd = 50.0
lot_size = 1.0
depth_usd = 1e9
initial_margin_fraction = 0.1
maintenance_margin_fraction = 0.05
reference_volatility = 0.5
[regimes]
transition = [[1.0]]
[[regimes.states]]
name = "only"
volatility = [0.8, 0.6]
drift = [0.0, 0.0]
jump_intensity_per_day = 0.0
jump_mean = [0.0, 0.0]
jump_stddev = [0.0, 0.0]
depth_multiplier = 1.0
correlation = [[1.0, 0.0], [0.0, 1.0]]
[portfolio]
open_interest_share = [0.5, 0.5]
long_fraction = [0.5, 0.5]
)";

double step_log_return(const ScenarioPaths& paths, std::int64_t s, std::int64_t t, std::int64_t m) {
  return std::log(paths.fundamental_price_usd[paths.price_index(s, t, m)] /
                  paths.fundamental_price_usd[paths.price_index(s, t - 1, m)]);
}

TEST(Shocks, VolatilityShockScalesTheSameNoise) {
  const ModelConfig plain = config_with(two_market_model);
  const ModelConfig shocked = config_with(std::string(two_market_model) + R"(
[[scenario.shocks]]
kind = "volatility"
markets = ["B"]
start_step = 11
duration_steps = 5
multiplier = 3.0
)");
  const ScenarioPaths x = build_scenarios(plain, 0, 4);
  const ScenarioPaths y = build_scenarios(shocked, 0, 4);
  // The log return is drift + shock; the drift term (-sigma^2/2 dt) is the same in both.
  const double drift = -0.6 * 0.6 / 2.0 * (3600.0 / (365.0 * 86400.0));
  for (std::int64_t s = 0; s < 4; ++s) {
    for (std::int64_t t = 1; t <= 30; ++t) {
      EXPECT_NEAR(step_log_return(y, s, t, 0), step_log_return(x, s, t, 0), 1e-12);  // A is not named
      const double factor = (t >= 11 && t <= 15) ? 3.0 : 1.0;
      EXPECT_NEAR(step_log_return(y, s, t, 1) - drift, factor * (step_log_return(x, s, t, 1) - drift), 1e-12)
          << "s " << s << " t " << t;
    }
  }
}

TEST(Shocks, CorrelationShockPullsCorrelationTowardsOne) {
  const ModelConfig shocked = config_with(std::string(two_market_model) + R"(
[[scenario.shocks]]
kind = "correlation"
start_step = 11
duration_steps = 10
weight = 0.8
)");
  const ScenarioPaths paths = build_scenarios(shocked, 0, 2000);
  // Sample correlation of the two markets' log returns inside and outside the window. With n
  // pairs its standard error is about (1 - rho^2) / sqrt(n): 0.36 / sqrt(20000) = 0.0025 inside
  // (rho = 0.8), 1 / sqrt(20000) = 0.007 outside (rho = 0); the bounds are 5 of them.
  auto correlation = [&](std::int64_t first, std::int64_t last) {
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, n = 0;
    for (std::int64_t s = 0; s < paths.scenarios; ++s) {
      for (std::int64_t t = first; t <= last; ++t) {
        const double a = step_log_return(paths, s, t, 0);
        const double b = step_log_return(paths, s, t, 1);
        sa += a;
        sb += b;
        saa += a * a;
        sbb += b * b;
        sab += a * b;
        n += 1;
      }
    }
    const double cov = sab / n - (sa / n) * (sb / n);
    return cov / std::sqrt((saa / n - (sa / n) * (sa / n)) * (sbb / n - (sb / n) * (sb / n)));
  };
  EXPECT_NEAR(correlation(11, 20), 0.8, 5 * 0.0025);
  EXPECT_NEAR(correlation(1, 10), 0.0, 5 * 0.0071);
  EXPECT_NEAR(correlation(21, 30), 0.0, 5 * 0.0071);
}

TEST(Shocks, DepthOracleAndCollateralWindows) {
  const ModelConfig config = config_with(R"(
[run]
steps = 12
[scenario]
base = "flat"
[[scenario.shocks]]
kind = "depth"
markets = ["BTC"]
start_step = 2
duration_steps = 3
multiplier = 0.1
[[scenario.shocks]]
kind = "oracle_deviation"
markets = ["SOL"]
start_step = 4
duration_steps = 2
deviation = 0.25
[[scenario.shocks]]
kind = "collateral_depeg"
start_step = 5
duration_steps = 4
value = 0.88
[[scenario.shocks]]
kind = "gap"
markets = ["DOGE"]
start_step = 6
size = -0.5
[[scenario.shocks]]
kind = "oracle_stale"
markets = ["DOGE"]
start_step = 6
duration_steps = 3
)");
  const ScenarioPaths paths = build_scenarios(config, 0, 1);
  for (std::int64_t t = 0; t <= 12; ++t) {
    EXPECT_EQ(paths.depth_multiplier[paths.price_index(0, t, 0)], (t >= 2 && t <= 4) ? 0.8 * 0.1 : 0.8) << t;
    EXPECT_EQ(paths.depth_multiplier[paths.price_index(0, t, 1)], 0.8);
    EXPECT_EQ(paths.oracle_factor[paths.price_index(0, t, 2)], (t == 4 || t == 5) ? 1.25 : 1.0) << t;
    EXPECT_EQ(paths.collateral_value[paths.regime_index(0, t)], (t >= 5 && t <= 8) ? 0.88 : 1.0) << t;
    // DOGE halves at step 6; its stale oracle keeps reading 0.15 for steps 6..8: F o = 0.15.
    const double doge = paths.fundamental_price_usd[paths.price_index(0, t, 3)];
    EXPECT_EQ(doge, t >= 6 ? 0.15 * 0.5 : 0.15);
    EXPECT_DOUBLE_EQ(doge * paths.oracle_factor[paths.price_index(0, t, 3)], (t >= 6 && t <= 8) ? 0.15 : doge) << t;
  }
}

// Two overlapping stale windows on one market: the oracle reads the price before the window that
// is in force, never a product of the two (a linear crash of -50 % over 10 steps from step 3 on a
// flat BTC at 60000: F(t) = 60000 (1 - 0.05 (t - 2)), so F(4) = 54000 and F(5) = 51000).
TEST(Shocks, OverlappingStaleOraclesDoNotCompound) {
  const ModelConfig config = config_with(R"(
[run]
steps = 20
[scenario]
base = "flat"
[[scenario.shocks]]
kind = "crash"
markets = ["BTC"]
start_step = 3
duration_steps = 10
size = -0.5
[[scenario.shocks]]
kind = "oracle_stale"
markets = ["BTC"]
start_step = 5
duration_steps = 4
[[scenario.shocks]]
kind = "oracle_stale"
markets = ["BTC"]
start_step = 6
duration_steps = 10
)");
  const ScenarioPaths paths = build_scenarios(config, 0, 1);
  auto mark = [&](std::int64_t t) {
    const std::size_t at = paths.price_index(0, t, 0);
    return paths.fundamental_price_usd[at] * paths.oracle_factor[at];
  };
  EXPECT_DOUBLE_EQ(mark(5), 54000.0);
  for (std::int64_t t = 6; t <= 15; ++t) EXPECT_DOUBLE_EQ(mark(t), 51000.0) << t;  // the later window wins
}

TEST(Shocks, RoundTripThroughTheConfigText) {
  const ModelConfig config = config_with(R"(
[[scenario.shocks]]
name = "committee case 3"
kind = "v_shape"
markets = ["BTC", "ETH"]
start_step = 3
duration_steps = 5
recovery_steps = 4
size = -0.3
shape = "exponential"
[[scenario.shocks]]
kind = "collateral_depeg"
start_step = 1
duration_steps = 2
value = 0.9
)");
  const ModelConfig again = parse_config(config.source_text, "again.toml");
  ASSERT_EQ(again.scenario.shocks.size(), 2u);
  const ShockSpec& v = again.scenario.shocks[0];
  EXPECT_EQ(v.name, "committee case 3");
  EXPECT_EQ(v.kind, ShockKind::v_shape);
  EXPECT_EQ(v.markets, (std::vector<std::string>{"BTC", "ETH"}));
  EXPECT_EQ(v.start_step, 3);
  EXPECT_EQ(v.duration_steps, 5);
  EXPECT_EQ(v.recovery_steps, 4);
  EXPECT_EQ(v.size, -0.3);
  EXPECT_EQ(v.shape, ShockShape::exponential);
  EXPECT_EQ(again.scenario.shocks[1].value, 0.9);
  EXPECT_EQ(again.source_text, config.source_text);
}

void expect_error(const std::string& toml, std::initializer_list<std::string> parts) {
  try {
    config_with(toml);
    ADD_FAILURE() << "no error for:\n" << toml;
  } catch (const InputError& error) {
    const std::string message = error.what();
    for (const std::string& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
  }
}

TEST(Shocks, MisuseIsAClearError) {
  expect_error("[[scenario.shocks]]\nkind = \"gap\"\nstart_step = 3\nsize = -0.2\nmultiplier = 2.0\n",
               {"shock.toml", "scenario.shocks[0].multiplier", "not a setting of a shock of kind \"gap\""});
  expect_error("[[scenario.shocks]]\nkind = \"gap\"\nstart_step = 3\nsize = -1.0\n", {"scenario.shocks[0].size", "-1"});
  expect_error("[[scenario.shocks]]\nkind = \"gap\"\nstart_step = 300\nsize = -0.1\n",
               {"scenario.shocks[0].start_step", "300", "run.steps = 96"});
  expect_error("[[scenario.shocks]]\nkind = \"gap\"\nmarkets = [\"LUNA\"]\nstart_step = 3\nsize = -0.1\n",
               {"scenario.shocks[0].markets", "LUNA"});
  expect_error("[[scenario.shocks]]\nkind = \"tsunami\"\nstart_step = 3\n", {"scenario.shocks[0].kind", "tsunami"});
  expect_error("[[scenario.shocks]]\nkind = \"collateral_depeg\"\nstart_step = 3\nduration_steps = 2\nvalue = 1.5\n",
               {"scenario.shocks[0].value", "1.5"});
  expect_error(
      "[[scenario.shocks]]\nkind = \"collateral_depeg\"\nmarkets = [\"BTC\"]\nstart_step = 3\n"
      "duration_steps = 2\nvalue = 0.5\n",
      {"scenario.shocks[0].markets", "collateral_depeg"});
  expect_error(
      "[scenario]\nbase = \"flat\"\n[[scenario.shocks]]\nkind = \"volatility\"\nstart_step = 3\n"
      "duration_steps = 2\nmultiplier = 2.0\n",
      {"scenario.shocks[0].kind", "flat"});
  expect_error("[scenario]\nbase = \"flat\"\nflat_regime = \"apocalypse\"\n", {"scenario.flat_regime", "apocalypse"});
  expect_error(
      "[[scenario.replays]]\nmarket = \"BTC\"\nfile = \"x.csv\"\nstart_utc = \"2024-01-01T00:00:00Z\"\n"
      "[[scenario.shocks]]\nkind = \"volatility\"\nstart_step = 3\nduration_steps = 2\nmultiplier = 2.0\n",
      {"scenario.shocks[0].markets", "BTC", "replayed"});
}

}  // namespace
}  // namespace margin_stress
