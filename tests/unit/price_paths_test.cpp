// Regime-switching jump-diffusion paths (scenarios/price_paths) against the model's closed forms
// (docs/model.md, "Price process"), plus batch and thread invariance. Statistical checks use
// fixed seeds and bounds of 5 standard errors computed from the sample size.
#include "scenarios/price_paths.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "scenarios/regime_chain.hpp"

namespace margin_stress {
namespace {

constexpr double seconds_per_day = 86400.0;
constexpr double seconds_per_year = 365.0 * seconds_per_day;

RegimeState quiet_state(const std::string& name, std::size_t markets) {
  RegimeState state;
  state.name = name;
  state.volatility.assign(markets, 0.0);
  state.drift.assign(markets, 0.0);
  state.jump_mean.assign(markets, 0.0);
  state.jump_stddev.assign(markets, 0.0);
  state.correlation.assign(markets * markets, 0.0);
  for (std::size_t m = 0; m < markets; ++m) state.correlation[m * markets + m] = 1.0;
  return state;
}

// One regime, `markets` markets at prices 100, 200, ..., no volatility, drift or jumps.
ModelConfig base_config(std::size_t markets, std::int64_t steps) {
  ModelConfig config;
  config.run.steps = steps;
  config.run.step_seconds = 300.0;
  config.run.seed = 20261126;
  config.run.threads = 2;
  for (std::size_t m = 0; m < markets; ++m) {
    MarketSpec market;
    market.name = "M" + std::to_string(m);
    market.initial_price_usd = 100.0 * static_cast<double>(m + 1);
    market.lot_size = 0.01;
    market.depth_usd = 1e8;
    market.initial_margin_fraction = 0.1;
    market.maintenance_margin_fraction = 0.05;
    market.reference_volatility = 0.6;
    config.markets.push_back(market);
  }
  config.regimes.states = {quiet_state("only", markets)};
  config.regimes.transition = {1.0};
  return config;
}

// Three regimes with jumps everywhere, for the invariance tests.
ModelConfig busy_config() {
  ModelConfig config = base_config(3, 60);
  config.regimes.states.clear();
  const double volatility[3] = {0.4, 1.0, 2.5};
  const double intensity[3] = {2.0, 20.0, 200.0};
  for (std::size_t k = 0; k < 3; ++k) {
    RegimeState state = quiet_state("regime" + std::to_string(k), 3);
    state.volatility = {volatility[k], 1.2 * volatility[k], 0.8 * volatility[k]};
    state.drift = {0.05, -0.1, 0.0};
    state.jump_mean = {-0.01, -0.02, 0.005};
    state.jump_stddev = {0.02, 0.03, 0.01};
    state.jump_intensity_per_day = intensity[k];
    state.correlation = {1.0, 0.6, 0.3, 0.6, 1.0, 0.5, 0.3, 0.5, 1.0};
    config.regimes.states.push_back(state);
  }
  config.regimes.transition = {0.9, 0.08, 0.02, 0.1, 0.8, 0.1, 0.1, 0.3, 0.6};
  return config;
}

double log_return(const ScenarioPaths& paths, std::int64_t s, std::int64_t t, std::int64_t m) {
  return std::log(paths.fundamental_price_usd[paths.price_index(s, t, m)] /
                  paths.fundamental_price_usd[paths.price_index(s, t - 1, m)]);
}

struct Moments {
  double mean = 0.0;
  double variance = 0.0;  // unbiased
};

Moments moments(const std::vector<double>& sample) {
  double sum = 0.0;
  for (double x : sample) sum += x;
  const double mean = sum / static_cast<double>(sample.size());
  double squares = 0.0;
  for (double x : sample) squares += (x - mean) * (x - mean);
  return {mean, squares / static_cast<double>(sample.size() - 1)};
}

// The 3-state chain of the occupancy and sojourn tests, started from its stationary distribution.
const std::vector<double> chain_transition = {0.95, 0.04, 0.01,  //
                                              0.10, 0.85, 0.05,  //
                                              0.20, 0.20, 0.60};

const ScenarioPaths& long_chain_paths() {
  static const ScenarioPaths paths = [] {
    ModelConfig config = base_config(1, 10000);
    config.regimes.states = {quiet_state("calm", 1), quiet_state("stressed", 1), quiet_state("crisis", 1)};
    config.regimes.transition = chain_transition;
    return generate_regime_paths(config, 0, 100);
  }();
  return paths;
}

TEST(RegimePaths, OccupancyMatchesTheStationaryDistribution) {
  const ScenarioPaths& paths = long_chain_paths();
  const std::vector<double> pi = stationary_distribution(chain_transition, 3);
  for (std::uint8_t k = 0; k < 3; ++k) {
    // Scenarios are independent and start in the stationary law, so each scenario's occupancy
    // fraction is an unbiased estimate; the standard error comes from their spread.
    std::vector<double> occupancy;
    for (std::int64_t s = 0; s < paths.scenarios; ++s) {
      std::int64_t visits = 0;
      for (std::int64_t t = 0; t <= paths.steps; ++t) visits += paths.regime[paths.regime_index(s, t)] == k ? 1 : 0;
      occupancy.push_back(static_cast<double>(visits) / static_cast<double>(paths.steps + 1));
    }
    const Moments m = moments(occupancy);
    const double standard_error = std::sqrt(m.variance / static_cast<double>(occupancy.size()));
    ASSERT_GT(standard_error, 0.0);
    EXPECT_NEAR(m.mean, pi[k], 5.0 * standard_error) << "regime " << int{k};
  }
}

TEST(RegimePaths, MeanSojournTimeIsOneOverOneMinusStayProbability) {
  const ScenarioPaths& paths = long_chain_paths();
  // Only runs that start at least `horizon` steps before the end are measured: whether a run is
  // measured then depends on its start alone, and P(a run outlasts the horizon) <= 0.95^1000.
  const std::int64_t horizon = 1000;
  for (std::uint8_t k = 0; k < 3; ++k) {
    const double stay = chain_transition[k * 3 + k];
    double total_length = 0.0;
    double runs = 0.0;
    for (std::int64_t s = 0; s < paths.scenarios; ++s) {
      for (std::int64_t t = 0; t <= paths.steps - horizon; ++t) {
        const bool starts_run =
            paths.regime[paths.regime_index(s, t)] == k && (t == 0 || paths.regime[paths.regime_index(s, t - 1)] != k);
        if (!starts_run) continue;
        std::int64_t end = t;
        while (end <= paths.steps && paths.regime[paths.regime_index(s, end)] == k) ++end;
        total_length += static_cast<double>(end - t);
        runs += 1.0;
      }
    }
    ASSERT_GT(runs, 1000.0);
    // Geometric sojourn: mean 1 / (1 - p), variance p / (1 - p)^2.
    const double expected = 1.0 / (1.0 - stay);
    const double standard_error = std::sqrt(stay) / (1.0 - stay) / std::sqrt(runs);
    EXPECT_NEAR(total_length / runs, expected, 5.0 * standard_error) << "regime " << int{k};
  }
}

TEST(RegimePaths, InitialDistributionIsHonoured) {
  ModelConfig config = busy_config();
  config.regimes.initial_distribution = {0.0, 0.0, 1.0};
  const ScenarioPaths paths = generate_regime_paths(config, 0, 50);
  for (std::int64_t s = 0; s < paths.scenarios; ++s) EXPECT_EQ(paths.regime[paths.regime_index(s, 0)], 2);
}

TEST(DiffusionPaths, RealisedVolatilityDriftAndCorrelationMatchTheInput) {
  ModelConfig config = base_config(3, 2000);
  // Daily steps make the -sigma^2/2 term of the mean (0.003 for sigma = 1.5) some 17 standard
  // errors wide, so the mean check sees it.
  config.run.step_seconds = seconds_per_day;
  RegimeState& state = config.regimes.states[0];
  state.volatility = {0.6, 0.9, 1.5};
  state.drift = {2.0, -3.0, 0.0};
  state.correlation = {1.0, 0.6, -0.3, 0.6, 1.0, 0.2, -0.3, 0.2, 1.0};
  const ScenarioPaths paths = generate_regime_paths(config, 0, 100);
  const double dt_years = config.run.step_seconds / seconds_per_year;

  std::vector<std::vector<double>> returns(3);
  for (std::int64_t s = 0; s < paths.scenarios; ++s) {
    for (std::int64_t t = 1; t <= paths.steps; ++t) {
      for (std::int64_t m = 0; m < 3; ++m) returns[static_cast<std::size_t>(m)].push_back(log_return(paths, s, t, m));
    }
  }
  const double n = static_cast<double>(returns[0].size());
  std::vector<Moments> market(3);
  for (std::size_t m = 0; m < 3; ++m) {
    market[m] = moments(returns[m]);
    const double sigma = state.volatility[m];
    const double variance = sigma * sigma * dt_years;
    // Gaussian returns: se(mean) = sigma sqrt(dt) / sqrt(n), se(sample variance) = variance sqrt(2 / (n - 1)).
    EXPECT_NEAR(market[m].mean, (state.drift[m] - sigma * sigma / 2.0) * dt_years, 5.0 * std::sqrt(variance / n))
        << "market " << m;
    EXPECT_NEAR(market[m].variance, variance, 5.0 * variance * std::sqrt(2.0 / (n - 1.0))) << "market " << m;
  }
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = i + 1; j < 3; ++j) {
      double covariance = 0.0;
      for (std::size_t r = 0; r < returns[i].size(); ++r) {
        covariance += (returns[i][r] - market[i].mean) * (returns[j][r] - market[j].mean);
      }
      covariance /= n - 1.0;
      const double correlation = covariance / std::sqrt(market[i].variance * market[j].variance);
      const double rho = state.correlation[i * 3 + j];
      // Sample correlation of bivariate normals: se = (1 - rho^2) / sqrt(n).
      EXPECT_NEAR(correlation, rho, 5.0 * (1.0 - rho * rho) / std::sqrt(n)) << "markets " << i << ", " << j;
    }
  }
}

void expect_poisson_jump_counts(double mean_per_step) {
  ModelConfig config = base_config(2, 2000);
  RegimeState& state = config.regimes.states[0];
  state.jump_mean = {0.001, -0.002};
  state.jump_intensity_per_day = mean_per_step * seconds_per_day / config.run.step_seconds;
  const double expected_mean = state.jump_intensity_per_day * (config.run.step_seconds / seconds_per_day);
  const ScenarioPaths paths = generate_regime_paths(config, 0, 100);

  std::vector<double> counts;
  for (std::int64_t s = 0; s < paths.scenarios; ++s) {
    for (std::int64_t t = 1; t <= paths.steps; ++t) {
      // Without diffusion and with fixed jump sizes, each market's log return is N times its jump.
      const double count = log_return(paths, s, t, 0) / state.jump_mean[0];
      const auto n = std::llround(count);
      ASSERT_NEAR(count, static_cast<double>(n), 1e-6) << "scenario " << s << " step " << t;
      // Jumps are market-wide: the other market saw the same arrivals.
      ASSERT_EQ(std::llround(log_return(paths, s, t, 1) / state.jump_mean[1]), n) << "scenario " << s << " step " << t;
      counts.push_back(static_cast<double>(n));
    }
  }
  const Moments m = moments(counts);
  const double n = static_cast<double>(counts.size());
  ASSERT_GT(m.mean, 0.0);
  // Poisson: mean = variance = lambda; se(sample variance) = sqrt((lambda + 2 lambda^2) / n).
  EXPECT_NEAR(m.mean, expected_mean, 5.0 * std::sqrt(expected_mean / n));
  EXPECT_NEAR(m.variance, expected_mean, 5.0 * std::sqrt((expected_mean + 2.0 * expected_mean * expected_mean) / n));
}

TEST(JumpPaths, CountsArePoissonWithMeanPointThree) { expect_poisson_jump_counts(0.3); }

TEST(JumpPaths, CountsArePoissonWithMeanThree) { expect_poisson_jump_counts(3.0); }

TEST(JumpPaths, LogJumpSizesHaveTheCompoundPoissonMoments) {
  ModelConfig config = base_config(1, 2000);
  RegimeState& state = config.regimes.states[0];
  state.jump_mean = {-0.01};
  state.jump_stddev = {0.02};
  state.jump_intensity_per_day = 144.0;  // 0.5 per 300-second step
  const double lambda = state.jump_intensity_per_day * (config.run.step_seconds / seconds_per_day);
  const ScenarioPaths paths = generate_regime_paths(config, 0, 100);
  std::vector<double> returns;
  for (std::int64_t s = 0; s < paths.scenarios; ++s) {
    for (std::int64_t t = 1; t <= paths.steps; ++t) returns.push_back(log_return(paths, s, t, 0));
  }
  const Moments m = moments(returns);
  const double n = static_cast<double>(returns.size());
  const double mu = state.jump_mean[0];
  const double sd = state.jump_stddev[0];
  // Compound Poisson: mean lambda mu, variance lambda (s^2 + mu^2).
  const double variance = lambda * (sd * sd + mu * mu);
  EXPECT_NEAR(m.mean, lambda * mu, 5.0 * std::sqrt(variance / n));
  // Fourth cumulant lambda E[Y^4], Y ~ N(mu, s^2): se(sample variance) = sqrt((k4 + 2 var^2) / n).
  const double fourth_moment = mu * mu * mu * mu + 6.0 * mu * mu * sd * sd + 3.0 * sd * sd * sd * sd;
  EXPECT_NEAR(m.variance, variance, 5.0 * std::sqrt((lambda * fourth_moment + 2.0 * variance * variance) / n));
}

TEST(PathInvariance, ScenarioAloneEqualsTheSameScenarioInABatch) {
  const ModelConfig config = busy_config();
  const ScenarioPaths batch = generate_regime_paths(config, 10, 20);
  for (std::int64_t global : {10, 17, 29}) {
    const ScenarioPaths alone = generate_regime_paths(config, global, 1);
    const std::int64_t local = global - 10;
    const std::size_t points = static_cast<std::size_t>(config.run.steps + 1);
    ASSERT_EQ(alone.fundamental_price_usd.size(), points * 3);
    EXPECT_EQ(std::memcmp(alone.fundamental_price_usd.data(),
                          &batch.fundamental_price_usd[batch.price_index(local, 0, 0)], points * 3 * sizeof(double)),
              0)
        << "scenario " << global;
    EXPECT_EQ(std::memcmp(alone.regime.data(), &batch.regime[batch.regime_index(local, 0)], points), 0)
        << "scenario " << global;
  }
  // The batch visits every regime, so the comparison covers jumps and regime changes.
  std::vector<int> visits(3, 0);
  for (std::uint8_t k : batch.regime) ++visits[k];
  for (int count : visits) EXPECT_GT(count, 0);
}

TEST(PathInvariance, OneThreadAndTwoThreadsGiveIdenticalPaths) {
  ModelConfig config = busy_config();
  config.run.threads = 1;
  const ScenarioPaths one = generate_regime_paths(config, 3, 41);
  config.run.threads = 2;
  const ScenarioPaths two = generate_regime_paths(config, 3, 41);
  ASSERT_EQ(one.fundamental_price_usd.size(), two.fundamental_price_usd.size());
  EXPECT_EQ(std::memcmp(one.fundamental_price_usd.data(), two.fundamental_price_usd.data(),
                        one.fundamental_price_usd.size() * sizeof(double)),
            0);
  EXPECT_EQ(one.regime, two.regime);
}

TEST(PathInvariance, DifferentSeedsGiveDifferentPaths) {
  ModelConfig config = busy_config();
  const ScenarioPaths first = generate_regime_paths(config, 0, 4);
  config.run.seed += 1;
  const ScenarioPaths second = generate_regime_paths(config, 0, 4);
  EXPECT_NE(first.fundamental_price_usd, second.fundamental_price_usd);
}

TEST(QuietPaths, NoVolatilityDriftOrJumpsKeepsPricesConstantExactly) {
  ModelConfig config = base_config(4, 288);
  config.regimes.states[0].jump_mean = {0.1, 0.1, 0.1, 0.1};  // sizes do not matter without arrivals
  const ScenarioPaths paths = generate_regime_paths(config, 0, 20);
  ASSERT_EQ(paths.fundamental_price_usd.size(), static_cast<std::size_t>(20 * 289 * 4));
  for (std::int64_t s = 0; s < paths.scenarios; ++s) {
    for (std::int64_t t = 0; t <= paths.steps; ++t) {
      for (std::int64_t m = 0; m < 4; ++m) {
        ASSERT_EQ(paths.fundamental_price_usd[paths.price_index(s, t, m)],
                  config.markets[static_cast<std::size_t>(m)].initial_price_usd)
            << "scenario " << s << " step " << t << " market " << m;
      }
    }
  }
}

TEST(PathLayout, FillsTheDocumentedShape) {
  const ModelConfig config = busy_config();
  const ScenarioPaths paths = generate_regime_paths(config, 5, 7);
  EXPECT_EQ(paths.first_scenario, 5);
  EXPECT_EQ(paths.scenarios, 7);
  EXPECT_EQ(paths.steps, config.run.steps);
  EXPECT_EQ(paths.markets, 3);
  EXPECT_EQ(paths.regime.size(), static_cast<std::size_t>(7 * (config.run.steps + 1)));
  for (double price : paths.fundamental_price_usd) ASSERT_TRUE(std::isfinite(price) && price > 0.0) << price;
  const ScenarioPaths empty = generate_regime_paths(config, 5, 0);
  EXPECT_TRUE(empty.fundamental_price_usd.empty());
}

TEST(PathLayout, ScenarioIndicesBeyondOneCounterWordAreRejected) {
  ModelConfig config = base_config(1, 2);
  EXPECT_NO_THROW(generate_regime_paths(config, 4294967295LL, 1));
  EXPECT_THROW(generate_regime_paths(config, 4294967295LL, 2), std::invalid_argument);
  EXPECT_THROW(generate_regime_paths(config, -1, 1), std::invalid_argument);
  EXPECT_THROW(generate_regime_paths(config, 0, -1), std::invalid_argument);
}

}  // namespace
}  // namespace margin_stress
