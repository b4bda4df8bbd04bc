// Regime-switching jump-diffusion paths (scenarios/price_paths) against the model's closed forms
// (docs/model.md, section 10), with and without GARCH variance and Student-t shocks, plus batch and
// thread invariance and pinned default paths. Statistical checks use fixed seeds and bounds of 5
// standard errors computed from the sample size.
#include "scenarios/price_paths.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/io/config_file.hpp"
#include "scenarios/regime_chain.hpp"
#include "scenarios/rng.hpp"

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

// busy_config with a GARCH variance in two regimes, Student-t shocks in two, and both in one.
ModelConfig busy_garch_config() {
  ModelConfig config = busy_config();
  config.regimes.states[0].student_t_dof = 5.0;
  config.regimes.states[1].garch_alpha = 0.1;
  config.regimes.states[1].garch_beta = 0.85;
  config.regimes.states[2].garch_alpha = 0.25;
  config.regimes.states[2].garch_beta = 0.5;
  config.regimes.states[2].student_t_dof = 3.5;
  return config;
}

void expect_scenario_alone_equals_batch(const ModelConfig& config) {
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

TEST(PathInvariance, ScenarioAloneEqualsTheSameScenarioInABatch) { expect_scenario_alone_equals_batch(busy_config()); }

TEST(PathInvariance, ScenarioAloneEqualsTheSameScenarioInABatchWithGarchAndStudentT) {
  expect_scenario_alone_equals_batch(busy_garch_config());
}

void expect_thread_count_invariance(ModelConfig config) {
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

TEST(PathInvariance, OneThreadAndTwoThreadsGiveIdenticalPaths) { expect_thread_count_invariance(busy_config()); }

TEST(PathInvariance, OneThreadAndTwoThreadsGiveIdenticalPathsWithGarchAndStudentT) {
  expect_thread_count_invariance(busy_garch_config());
}

TEST(PathInvariance, GarchAndStudentTChangeThePathsButNotTheRegimes) {
  // Guards the two tests above: the options must really be in effect in busy_garch_config.
  const ScenarioPaths plain = generate_regime_paths(busy_config(), 0, 8);
  const ScenarioPaths garch = generate_regime_paths(busy_garch_config(), 0, 8);
  EXPECT_EQ(plain.regime, garch.regime);
  EXPECT_NE(plain.fundamental_price_usd, garch.fundamental_price_usd);
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

// ---------------------------------------------------------------------------------------------
// The default configuration's paths, pinned

struct PinnedPrice {
  std::int64_t step = 0;
  std::int64_t market = 0;
  double price_usd = 0.0;
};

struct PinnedScenario {
  std::int64_t scenario = 0;
  std::string regimes;  // k(0) .. k(96), one digit per step
  std::vector<PinnedPrice> prices;
};

// Produced by the code before GARCH and Student-t shocks existed (Debian 12, x86-64, glibc libm).
// The default has garch_alpha = garch_beta = student_t_dof = 0 everywhere, which must leave its
// paths unchanged to the bit. Scenario 51 switches regime 7 times and visits the crisis regime,
// 84 starts in it and jumps, 499 stays calm. A libm that rounds exp differently in the last bit
// would move the prices but not the regimes.
TEST(DefaultPaths, AreThoseOfTheModelWithoutGarchBitForBit) {
  const ModelConfig config = default_config();
  ASSERT_EQ(config.run.steps, 96);
  ASSERT_EQ(config.run.seed, 20261126u);
  ASSERT_EQ(config.market_count(), 4u);
  for (const RegimeState& state : config.regimes.states) {
    ASSERT_EQ(state.garch_alpha, 0.0) << state.name;
    ASSERT_EQ(state.garch_beta, 0.0) << state.name;
    ASSERT_EQ(state.student_t_dof, 0.0) << state.name;
  }
  const std::vector<PinnedScenario> pins = {
      {51,
       "2222222222222222233333332111111111111222222222222222233333322111111111111111111111111111111111111",
       {{1, 0, 0x1.d6b5d9659bf81p+15},    // 60250.924603342086
        {1, 1, 0x1.775390e01a71cp+11},    // 3002.6114349857799
        {1, 2, 0x1.2e32132c539ccp+7},     // 151.09780252953203
        {1, 3, 0x1.350ff37ca6f2ap-3},     // 0.15090933059843198
        {17, 0, 0x1.d2bb2f07df09p+15},    // 59741.591856927727
        {17, 1, 0x1.7710798785acdp+11},   // 3000.514835129818
        {17, 2, 0x1.2bc09f885d7f3p+7},    // 149.87621713773078
        {17, 3, 0x1.36b81a20dc7c4p-3},    // 0.15171833431992188
        {96, 0, 0x1.c80ca846615a6p+15},   // 58374.328661958963
        {96, 1, 0x1.68907a647144p+11},    // 2884.5149404728145
        {96, 2, 0x1.2faf16205c576p+7},    // 151.84196568610395
        {96, 3, 0x1.29a3eebb65776p-3}}},  // 0.14533220776928218
      {84,
       "3333333333322211111111110000000000000000000000000000000000000000000000000000000000000000000000000",
       {{1, 0, 0x1.d3134550f13bbp+15},    // 59785.635383165871
        {1, 1, 0x1.772bb3a6499a8p+11},    // 3001.365679878003
        {1, 2, 0x1.2a04af35b2ef6p+7},     // 149.00914924439684
        {1, 3, 0x1.3443886b3812dp-3},     // 0.1505194337578443
        {17, 0, 0x1.6eb8ef7884efep+15},   // 46940.467716364175
        {17, 1, 0x1.24134d7c8c41fp+11},   // 2336.6032088031202
        {17, 2, 0x1.a57b5ce936d47p+6},    // 105.37047161481051
        {17, 3, 0x1.b6f6cbc27ecfep-4},    // 0.10716895669604651
        {96, 0, 0x1.6d5a3a12f68e7p+15},   // 46765.113425927055
        {96, 1, 0x1.259d5b92f036cp+11},   // 2348.9174284640958
        {96, 2, 0x1.a351fb7832288p+6},    // 104.83006084257261
        {96, 3, 0x1.b1da3c1f9ee0fp-4}}},  // 0.10592101560353505
      {499,
       "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
       {{1, 0, 0x1.d589a768ce4fbp+15},    // 60100.826971480587
        {1, 1, 0x1.76baa594a9784p+11},    // 2997.8327124891239
        {1, 2, 0x1.2c488b18da8b5p+7},     // 150.14168622653747
        {1, 3, 0x1.32ca8a794e11bp-3},     // 0.14980037863438941
        {17, 0, 0x1.d7002e6b626acp+15},   // 60288.09066302827
        {17, 1, 0x1.75c9953043fc1p+11},   // 2990.2994614913773
        {17, 2, 0x1.2fdc39340bf91p+7},    // 151.93012392660287
        {17, 3, 0x1.300b9c43720eep-3},    // 0.1484596450884576
        {96, 0, 0x1.d4e3e4e067bbep+15},   // 60017.947024575886
        {96, 1, 0x1.75111d42e3de4p+11},   // 2984.5348219347525
        {96, 2, 0x1.37f513092964fp+7},    // 155.97866085653592
        {96, 3, 0x1.2eabf06607a44p-3}}},  // 0.14778888522501366
  };
  for (const PinnedScenario& pin : pins) {
    const ScenarioPaths paths = generate_regime_paths(config, pin.scenario, 1);
    std::string regimes;
    for (std::int64_t t = 0; t <= paths.steps; ++t)
      regimes += static_cast<char>('0' + paths.regime[paths.regime_index(0, t)]);
    EXPECT_EQ(regimes, pin.regimes) << "scenario " << pin.scenario;
    for (const PinnedPrice& price : pin.prices) {
      EXPECT_EQ(paths.fundamental_price_usd[paths.price_index(0, price.step, price.market)], price.price_usd)
          << "scenario " << pin.scenario << " step " << price.step << " market " << price.market
          << " (reproduce: generate_regime_paths(default_config(), " << pin.scenario << ", 1))";
    }
  }
}

// ---------------------------------------------------------------------------------------------
// GARCH(1,1) variance inside the regimes and Student-t shocks

// The diffusive shock e_m(t) of a path without jumps: the log return less the regime's drift term.
double diffusive_shock(const ScenarioPaths& paths, const RegimeState& state, double dt_years, std::int64_t s,
                       std::int64_t t, std::int64_t m) {
  const auto market = static_cast<std::size_t>(m);
  const double volatility = state.volatility[market];
  return log_return(paths, s, t, m) - (state.drift[market] - volatility * volatility / 2.0) * dt_years;
}

TEST(GarchPaths, VarianceFollowsTheDocumentedRecursionAcrossRegimeSwitches) {
  // Three regimes that switch often: two with GARCH (one with Student-t shocks) and one with
  // constant volatility and Student-t shocks. The test rebuilds every shock from the documented
  // draws and recursion, in which every GARCH regime's variance moves every step, active or not.
  ModelConfig config = base_config(1, 400);
  config.regimes.states = {quiet_state("garch", 1), quiet_state("garch_t", 1), quiet_state("constant_t", 1)};
  RegimeState* states = config.regimes.states.data();
  states[0].volatility = {0.5};
  states[0].drift = {0.3};
  states[0].garch_alpha = 0.05;
  states[0].garch_beta = 0.9;
  states[1].volatility = {1.2};
  states[1].drift = {-0.4};
  states[1].garch_alpha = 0.2;
  states[1].garch_beta = 0.7;
  states[1].student_t_dof = 5.0;
  states[2].volatility = {0.8};
  states[2].student_t_dof = 3.5;
  config.regimes.transition = {0.8, 0.1, 0.1, 0.1, 0.8, 0.1, 0.2, 0.2, 0.6};
  const double dt_years = config.run.step_seconds / seconds_per_year;
  const ScenarioPaths paths = generate_regime_paths(config, 0, 10);
  const rng::philox_key key = rng::make_key(config.run.seed);

  // The documented start: with p the starting law (here the stationary distribution), the
  // expected squared shock m = (p_2 v_2 + sum_{k=0,1} p_k omega_k / (1 - beta_k)) /
  // (1 - sum_{k=0,1} p_k alpha_k / (1 - beta_k)), and h_k(1) = (omega_k + alpha_k m) / (1 - beta_k).
  const std::vector<double> law = stationary_distribution(config.regimes.transition, 3);
  auto unconditional = [&](std::size_t k) { return states[k].volatility[0] * states[k].volatility[0] * dt_years; };
  auto omega = [&](std::size_t k) { return unconditional(k) * ((1.0 - states[k].garch_alpha) - states[k].garch_beta); };
  const double m = (law[2] * unconditional(2) + law[0] * omega(0) / (1.0 - states[0].garch_beta) +
                    law[1] * omega(1) / (1.0 - states[1].garch_beta)) /
                   (1.0 - law[0] * states[0].garch_alpha / (1.0 - states[0].garch_beta) -
                    law[1] * states[1].garch_alpha / (1.0 - states[1].garch_beta));
  std::vector<int> visits(3, 0);
  for (std::int64_t s = 0; s < paths.scenarios; ++s) {
    std::vector<double> variance(3);
    for (std::size_t k = 0; k < 2; ++k)
      variance[k] = (omega(k) + states[k].garch_alpha * m) / (1.0 - states[k].garch_beta);
    for (std::int64_t t = 1; t <= paths.steps; ++t) {
      const std::size_t k = paths.regime[paths.regime_index(s, t)];
      ++visits[k];
      const RegimeState& state = states[k];
      double z = rng::normal_number(key, rng::scenario_counter(s, t, rng::stream_diffusion, 0), 0);
      if (state.student_t_dof > 0.0) {
        const double w =
            rng::chi_square_draw(key, rng::scenario_counter(s, t, rng::stream_student_t, 0), state.student_t_dof);
        z *= std::sqrt((state.student_t_dof - 2.0) / w);
      }
      const bool garch = state.garch_alpha != 0.0 || state.garch_beta != 0.0;
      const double expected = (garch ? std::sqrt(variance[k]) : state.volatility[0] * std::sqrt(dt_years)) * z;
      // The prices round-trip through exp and log: 1e-12 is about 1e-9 of a typical shock.
      ASSERT_NEAR(diffusive_shock(paths, state, dt_years, s, t, 0), expected, 1e-12)
          << "scenario " << s << " step " << t << " regime " << k;
      for (std::size_t j = 0; j < 3; ++j) {
        const RegimeState& other = states[j];
        variance[j] = (omega(j) + other.garch_alpha * (expected * expected)) + other.garch_beta * variance[j];
      }
    }
  }
  for (int count : visits) EXPECT_GT(count, 100);
}

// One market, one regime with GARCH(1,1) and normal shocks. For alpha = 0.1, beta = 0.8 the
// shocks have finite moments up to the 8th (E[(beta + alpha z^2)^4] = 0.79 < 1), which the
// standard errors of the variance and of the autocorrelation of squared shocks need.
constexpr double clustered_alpha = 0.1;
constexpr double clustered_beta = 0.8;

struct GarchSample {
  ModelConfig config;
  ScenarioPaths paths;
};

const GarchSample& garch_sample() {
  static const GarchSample sample = [] {
    GarchSample result;
    result.config = base_config(1, 5000);
    RegimeState& state = result.config.regimes.states[0];
    state.volatility = {0.8};
    state.garch_alpha = clustered_alpha;
    state.garch_beta = clustered_beta;
    result.paths = generate_regime_paths(result.config, 0, 200);
    return result;
  }();
  return sample;
}

TEST(GarchPaths, UnconditionalVarianceIsOmegaOverOneMinusAlphaMinusBeta) {
  const GarchSample& sample = garch_sample();
  const RegimeState& state = sample.config.regimes.states[0];
  const double dt_years = sample.config.run.step_seconds / seconds_per_year;
  const double unconditional = state.volatility[0] * state.volatility[0] * dt_years;
  // E h(1) = omega / (1 - alpha - beta) and E h(t+1) = omega + (alpha + beta) E h(t), so every
  // step's E e^2 is the unconditional variance. Squared shocks are correlated in time, so the
  // standard error comes from batch means: the scenarios are independent batches.
  std::vector<double> batch_means;
  for (std::int64_t s = 0; s < sample.paths.scenarios; ++s) {
    double sum = 0.0;
    for (std::int64_t t = 1; t <= sample.paths.steps; ++t) {
      const double shock = diffusive_shock(sample.paths, state, dt_years, s, t, 0);
      sum += shock * shock;
    }
    batch_means.push_back(sum / static_cast<double>(sample.paths.steps));
  }
  const Moments batches = moments(batch_means);
  const double standard_error = std::sqrt(batches.variance / static_cast<double>(batch_means.size()));
  ASSERT_GT(standard_error, 0.0);
  ASSERT_LT(5.0 * standard_error, 0.1 * unconditional);  // sharp enough to see a wrong omega
  EXPECT_NEAR(batches.mean, unconditional, 5.0 * standard_error);
}

TEST(GarchPaths, SquaredShocksAreAutocorrelatedAsGarchOneOnePredicts) {
  const GarchSample& sample = garch_sample();
  const RegimeState& state = sample.config.regimes.states[0];
  const double dt_years = sample.config.run.step_seconds / seconds_per_year;
  const double a = clustered_alpha;
  const double b = clustered_beta;
  // Lag-1 autocorrelation of e^2 for a stationary GARCH(1,1) with normal shocks (Bollerslev 1988).
  const double expected = a * (1.0 - b * b - a * b) / (1.0 - 2.0 * a * b - b * b);
  // Paths start at h = omega / (1 - alpha - beta), not in the stationary law; E e^4 converges at
  // the rate (3 a^2 + 2 a b + b^2)^t = 0.83^t, so after 500 steps the start no longer shows.
  const std::int64_t burn_in = 500;
  std::vector<std::vector<double>> squares(static_cast<std::size_t>(sample.paths.scenarios));
  double total = 0.0;
  double count = 0.0;
  for (std::int64_t s = 0; s < sample.paths.scenarios; ++s) {
    for (std::int64_t t = burn_in + 1; t <= sample.paths.steps; ++t) {
      const double shock = diffusive_shock(sample.paths, state, dt_years, s, t, 0);
      squares[static_cast<std::size_t>(s)].push_back(shock * shock);
      total += shock * shock;
      count += 1.0;
    }
  }
  const double mean = total / count;
  // Pooled ratio estimator sum N_s / sum D_s; its standard error by the delta method over the
  // independent scenarios, from the spread of N_s - rho D_s.
  std::vector<double> lagged(squares.size());
  std::vector<double> centred(squares.size());
  for (std::size_t s = 0; s < squares.size(); ++s) {
    const std::vector<double>& x = squares[s];
    for (std::size_t t = 0; t < x.size(); ++t) {
      centred[s] += (x[t] - mean) * (x[t] - mean);
      if (t > 0) lagged[s] += (x[t] - mean) * (x[t - 1] - mean);
    }
  }
  double lagged_sum = 0.0;
  double centred_sum = 0.0;
  for (std::size_t s = 0; s < squares.size(); ++s) {
    lagged_sum += lagged[s];
    centred_sum += centred[s];
  }
  const double autocorrelation = lagged_sum / centred_sum;
  std::vector<double> residuals;
  for (std::size_t s = 0; s < squares.size(); ++s) residuals.push_back(lagged[s] - autocorrelation * centred[s]);
  const double batches = static_cast<double>(squares.size());
  const double standard_error = std::sqrt(moments(residuals).variance / batches) / (centred_sum / batches);
  ASSERT_GT(standard_error, 0.0);
  ASSERT_GT(expected, 10.0 * standard_error);  // the test can tell clustering from none
  EXPECT_NEAR(autocorrelation, expected, 5.0 * standard_error);
}

// Standardised diffusive shocks z_m(t) = e_m(t) / (volatility sqrt(dt_years)) of one regime with
// constant volatility and Student-t shocks of `dof` degrees of freedom, per market.
std::vector<std::vector<double>> student_t_shocks(double dof, const std::vector<double>& correlation,
                                                  std::size_t markets) {
  ModelConfig config = base_config(markets, 5000);
  RegimeState& state = config.regimes.states[0];
  state.volatility.assign(markets, 0.7);
  state.correlation = correlation;
  state.student_t_dof = dof;
  const double dt_years = config.run.step_seconds / seconds_per_year;
  const ScenarioPaths paths = generate_regime_paths(config, 0, 100);
  std::vector<std::vector<double>> shocks(markets);
  for (std::int64_t s = 0; s < paths.scenarios; ++s) {
    for (std::int64_t t = 1; t <= paths.steps; ++t) {
      for (std::size_t m = 0; m < markets; ++m) {
        const double shock = diffusive_shock(paths, state, dt_years, s, t, static_cast<std::int64_t>(m));
        shocks[m].push_back(shock / (state.volatility[m] * std::sqrt(dt_years)));
      }
    }
  }
  return shocks;
}

// E[s^(2k)] for the Student-t scale s^2 = (nu - 2) / W, W ~ chi-square(nu): (nu - 2)^k E[W^-k],
// with E[W^-k] = 1 / ((nu - 2)(nu - 4)...(nu - 2k)) for nu > 2k.
double student_t_scale_moment(double dof, int k) {
  double moment = 1.0;
  for (int i = 1; i <= k; ++i) moment *= (dof - 2.0) / (dof - 2.0 * i);
  return moment;
}

// P(|z| > c) for z a Student-t with even `dof` scaled to unit variance: with T = z sqrt(nu / (nu -
// 2)) and theta = atan(T / sqrt(nu)), P(|T| < T) = sin(theta) sum_{j < nu/2} c_j cos(theta)^(2j),
// c_0 = 1, c_j = c_(j-1) (2j - 1) / (2j) (Abramowitz and Stegun 26.7.3).
double student_t_two_sided_tail(double c, int dof) {
  const double nu = static_cast<double>(dof);
  const double theta = std::atan(c * std::sqrt(nu / (nu - 2.0)) / std::sqrt(nu));
  const double cos_squared = std::cos(theta) * std::cos(theta);
  double term = 1.0;
  double sum = 1.0;
  for (int j = 1; j < dof / 2; ++j) {
    term *= cos_squared * (2.0 * j - 1.0) / (2.0 * j);
    sum += term;
  }
  return 1.0 - std::sin(theta) * sum;
}

TEST(StudentTShocks, EightDegreesOfFreedomHaveUnitVarianceTheTailsAndTheCorrelation) {
  const double dof = 8.0;
  const double rho = 0.6;
  const std::vector<std::vector<double>> z = student_t_shocks(dof, {1.0, rho, rho, 1.0}, 2);
  const double n = static_cast<double>(z[0].size());
  // E z^4 = 3 (nu - 2) / (nu - 4), finite for nu > 4: se(mean z^2) = sqrt((E z^4 - 1) / n).
  const double fourth_moment = 3.0 * student_t_scale_moment(dof, 2);
  for (std::size_t m = 0; m < 2; ++m) {
    double squares = 0.0;
    for (double x : z[m]) squares += x * x;
    EXPECT_NEAR(squares / n, 1.0, 5.0 * std::sqrt((fourth_moment - 1.0) / n)) << "market " << m;
    for (double c : {2.0, 3.0, 4.0}) {
      const double p = student_t_two_sided_tail(c, 8);
      double beyond = 0.0;
      for (double x : z[m]) beyond += std::fabs(x) > c ? 1.0 : 0.0;
      // The normal's tail is 1.2e-2, 5.7e-4 ... at 3 and 4: far outside these bounds.
      EXPECT_NEAR(beyond / n, p, 5.0 * std::sqrt(p * (1.0 - p) / n)) << "market " << m << ", |z| > " << c;
    }
  }
  // The shared chi-square keeps the correlation: E z1 z2 = rho, and with s^2 common to both,
  // E z1^2 z2^2 = E s^4 (1 + 2 rho^2), so se(mean z1 z2) = sqrt((E s^4 (1 + 2 rho^2) - rho^2) / n).
  double products = 0.0;
  for (std::size_t i = 0; i < z[0].size(); ++i) products += z[0][i] * z[1][i];
  const double product_variance = student_t_scale_moment(dof, 2) * (1.0 + 2.0 * rho * rho) - rho * rho;
  EXPECT_NEAR(products / n, rho, 5.0 * std::sqrt(product_variance / n));
}

TEST(StudentTShocks, TwelveDegreesOfFreedomHaveTheExcessKurtosisAndShareTheirScale) {
  // The kurtosis is checked at nu = 12 rather than 8: the standard error of a sample fourth
  // moment needs E z^8, which is finite only for nu > 8.
  const double dof = 12.0;
  const std::vector<std::vector<double>> z = student_t_shocks(dof, {1.0, 0.0, 0.0, 1.0}, 2);
  const double n = static_cast<double>(z[0].size());
  // E eps^4 = 3, E eps^8 = 105 for standard normals; z = s eps.
  const double fourth_moment = 3.0 * student_t_scale_moment(dof, 2);
  const double eighth_moment = 105.0 * student_t_scale_moment(dof, 4);
  EXPECT_DOUBLE_EQ(fourth_moment - 3.0, 6.0 / (dof - 4.0));
  for (std::size_t m = 0; m < 2; ++m) {
    double fourth = 0.0;
    for (double x : z[m]) fourth += x * x * x * x;
    const double standard_error = std::sqrt((eighth_moment - fourth_moment * fourth_moment) / n);
    ASSERT_GT(fourth_moment - 3.0, 10.0 * standard_error);  // the test can tell t from normal
    EXPECT_NEAR(fourth / n - 3.0, 6.0 / (dof - 4.0), 5.0 * standard_error) << "market " << m;
  }
  // Uncorrelated markets share the step's chi-square draw, so their squared shocks are correlated:
  // E z1^2 z2^2 = E s^4 = (nu - 2) / (nu - 4), not 1; E z1^4 z2^4 = 9 E s^8.
  double products = 0.0;
  for (std::size_t i = 0; i < z[0].size(); ++i) products += z[0][i] * z[0][i] * z[1][i] * z[1][i];
  const double expected = student_t_scale_moment(dof, 2);
  const double standard_error = std::sqrt((9.0 * student_t_scale_moment(dof, 4) - expected * expected) / n);
  ASSERT_GT(expected - 1.0, 10.0 * standard_error);
  EXPECT_NEAR(products / n, expected, 5.0 * standard_error);
}

// ---------------------------------------------------------------------------------------------
// The chi-square draw of the Student-t shocks (scenarios/rng.hpp)

std::vector<double> chi_square_sample(double dof, std::int64_t count) {
  const rng::philox_key key = rng::make_key(20261126);
  std::vector<double> sample;
  for (std::int64_t i = 0; i < count; ++i) {
    const double w = rng::chi_square_draw(key, rng::scenario_counter(i, 1, rng::stream_student_t, 0), dof);
    EXPECT_TRUE(std::isfinite(w) && w > 0.0) << "draw " << i << " = " << w;
    sample.push_back(w);
  }
  return sample;
}

void expect_chi_square_moments(double dof) {
  const std::vector<double> sample = chi_square_sample(dof, 200000);
  const Moments m = moments(sample);
  const double n = static_cast<double>(sample.size());
  // Chi-square(nu): mean nu, variance 2 nu, central fourth moment 12 nu (nu + 4), so
  // se(sample variance) = sqrt((12 nu (nu + 4) - 4 nu^2) / n).
  EXPECT_NEAR(m.mean, dof, 5.0 * std::sqrt(2.0 * dof / n)) << "dof " << dof;
  EXPECT_NEAR(m.variance, 2.0 * dof, 5.0 * std::sqrt((8.0 * dof * dof + 48.0 * dof) / n)) << "dof " << dof;
}

TEST(ChiSquareDraw, OneDegreeOfFreedomHasMeanNuAndVarianceTwoNu) { expect_chi_square_moments(1.0); }
TEST(ChiSquareDraw, ThreeDegreesOfFreedomHaveMeanNuAndVarianceTwoNu) { expect_chi_square_moments(3.0); }
TEST(ChiSquareDraw, EightDegreesOfFreedomHaveMeanNuAndVarianceTwoNu) { expect_chi_square_moments(8.0); }
TEST(ChiSquareDraw, ThirtyDegreesOfFreedomHaveMeanNuAndVarianceTwoNu) { expect_chi_square_moments(30.0); }

void expect_distribution_function(double dof, const std::vector<double>& points, double (*cdf)(double)) {
  const std::vector<double> sample = chi_square_sample(dof, 200000);
  const double n = static_cast<double>(sample.size());
  for (double x : points) {
    double below = 0.0;
    for (double w : sample) below += w <= x ? 1.0 : 0.0;
    const double p = cdf(x);
    EXPECT_NEAR(below / n, p, 5.0 * std::sqrt(p * (1.0 - p) / n)) << "dof " << dof << ", P(W <= " << x << ")";
  }
}

TEST(ChiSquareDraw, TwoDegreesOfFreedomAreExponential) {
  // Shape 1: Marsaglia-Tsang without the shape < 1 step. P(W <= x) = 1 - exp(-x / 2).
  expect_distribution_function(2.0, {0.05, 0.5, 2.0, 6.0, 12.0}, [](double x) { return 1.0 - std::exp(-x / 2.0); });
}

TEST(ChiSquareDraw, OneDegreeOfFreedomIsASquaredNormal) {
  // Shape 1/2: Gamma(3/2) U^2. P(W <= x) = P(|N| <= sqrt(x)) = erf(sqrt(x / 2)); the small points
  // look at the left tail that the U^(1/a) step makes.
  expect_distribution_function(1.0, {1e-4, 0.01, 0.1, 1.0, 3.84, 9.0},
                               [](double x) { return std::erf(std::sqrt(x / 2.0)); });
}

}  // namespace
}  // namespace margin_stress
