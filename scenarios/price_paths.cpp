#include "scenarios/price_paths.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "scenarios/regime_chain.hpp"
#include "scenarios/rng.hpp"

namespace margin_stress {
namespace {

constexpr double seconds_per_day = 86400.0;
constexpr double seconds_per_year = 365.0 * seconds_per_day;

// Per-regime constants of one call, computed once so the step loop only draws and adds.
struct RegimeCoefficients {
  std::vector<double> transition_cumulative;  // running sums of the regime's transition row
  std::vector<double> cholesky;               // M x M lower factor of the correlation matrix
  std::vector<double> drift_per_step;         // (drift - volatility^2 / 2) * dt_years, per market
  std::vector<double> diffusion_per_step;     // volatility * sqrt(dt_years), per market
  std::vector<double> jump_mean;
  std::vector<double> jump_stddev;
  double jump_count_mean = 0.0;  // jump_intensity_per_day * dt_days
};

struct PathModel {
  std::size_t regimes = 0;
  std::size_t markets = 0;
  std::int64_t steps = 0;
  rng::philox_key key{};
  std::vector<double> initial_cumulative;
  std::vector<double> initial_price_usd;
  std::vector<RegimeCoefficients> regime;
};

std::vector<double> running_sums(const double* probabilities, std::size_t count) {
  std::vector<double> sums(count);
  double sum = 0.0;
  for (std::size_t k = 0; k < count; ++k) {
    sum += probabilities[k];
    sums[k] = sum;
  }
  return sums;
}

PathModel make_path_model(const ModelConfig& config) {
  PathModel model;
  model.regimes = config.regime_count();
  model.markets = config.market_count();
  model.steps = config.run.steps;
  model.key = rng::make_key(config.run.seed);
  const double dt_years = config.run.step_seconds / seconds_per_year;
  const double dt_days = config.run.step_seconds / seconds_per_day;
  const double sqrt_dt_years = std::sqrt(dt_years);

  const std::vector<double> initial = config.regimes.initial_distribution.empty()
                                          ? stationary_distribution(config.regimes.transition, model.regimes)
                                          : config.regimes.initial_distribution;
  model.initial_cumulative = running_sums(initial.data(), model.regimes);
  for (const MarketSpec& market : config.markets) model.initial_price_usd.push_back(market.initial_price_usd);

  for (std::size_t k = 0; k < model.regimes; ++k) {
    const RegimeState& state = config.regimes.states[k];
    RegimeCoefficients coefficients;
    coefficients.transition_cumulative = running_sums(&config.regimes.transition[k * model.regimes], model.regimes);
    coefficients.cholesky = cholesky_lower(state.correlation, model.markets);
    for (std::size_t m = 0; m < model.markets; ++m) {
      const double volatility = state.volatility[m];
      coefficients.drift_per_step.push_back((state.drift[m] - volatility * volatility / 2.0) * dt_years);
      coefficients.diffusion_per_step.push_back(volatility * sqrt_dt_years);
    }
    coefficients.jump_mean = state.jump_mean;
    coefficients.jump_stddev = state.jump_stddev;
    coefficients.jump_count_mean = state.jump_intensity_per_day * dt_days;
    model.regime.push_back(std::move(coefficients));
  }
  return model;
}

// Scratch space of one worker, reused across its scenarios.
struct PathScratch {
  std::vector<double> epsilon;     // independent standard normals, per market
  std::vector<double> log_jump;    // J_m of the step
  std::vector<double> log_return;  // X_m(t) = ln F_m(t) - ln F_m(0)
};

// Fills scenario `local` of `paths` (global index paths.first_scenario + local).
void generate_scenario(const PathModel& model, std::int64_t local, PathScratch& scratch, ScenarioPaths& paths) {
  const std::int64_t global = paths.first_scenario + local;
  const std::size_t markets = model.markets;
  scratch.epsilon.assign(markets, 0.0);
  scratch.log_jump.assign(markets, 0.0);
  scratch.log_return.assign(markets, 0.0);

  const double u0 =
      rng::first_uniform(rng::draw_block(model.key, rng::scenario_counter(global, 0, rng::stream_regime, 0)));
  std::size_t k = rng::inverse_cdf_index(model.initial_cumulative.data(), model.regimes, u0);
  paths.regime[paths.regime_index(local, 0)] = static_cast<std::uint8_t>(k);
  for (std::size_t m = 0; m < markets; ++m) {
    paths.fundamental_price_usd[paths.price_index(local, 0, static_cast<std::int64_t>(m))] = model.initial_price_usd[m];
  }

  for (std::int64_t t = 1; t <= model.steps; ++t) {
    // (a) regime
    const double u_regime =
        rng::first_uniform(rng::draw_block(model.key, rng::scenario_counter(global, t, rng::stream_regime, 0)));
    k = rng::inverse_cdf_index(model.regime[k].transition_cumulative.data(), model.regimes, u_regime);
    const RegimeCoefficients& regime = model.regime[k];
    paths.regime[paths.regime_index(local, t)] = static_cast<std::uint8_t>(k);

    // (b) eps_m = normal number m of the diffusion stream: two markets per Philox block.
    for (std::size_t m = 0; m < markets; m += 2) {
      const auto block = static_cast<std::uint32_t>(m / 2);
      const rng::normal_pair pair = rng::normals_from_block(
          rng::draw_block(model.key, rng::scenario_counter(global, t, rng::stream_diffusion, block)));
      scratch.epsilon[m] = pair.z0;
      if (m + 1 < markets) scratch.epsilon[m + 1] = pair.z1;
    }

    // (c) market-wide jump count; a regime without jumps draws nothing (counters are independent).
    std::int64_t jumps = 0;
    if (regime.jump_count_mean > 0.0) {
      const double u_jumps =
          rng::first_uniform(rng::draw_block(model.key, rng::scenario_counter(global, t, rng::stream_jump_count, 0)));
      jumps = rng::poisson_inverse_cdf(regime.jump_count_mean, u_jumps);
    }

    // (d) J_m = sum over j < N of (jump_mean + jump_stddev * xi_{j,m}), xi_{j,m} = normal j*M+m.
    std::fill(scratch.log_jump.begin(), scratch.log_jump.end(), 0.0);
    const auto jump_normals = static_cast<std::uint64_t>(jumps) * markets;
    rng::normal_pair pair;
    for (std::uint64_t n = 0; n < jump_normals; ++n) {
      if (n % 2 == 0) {
        const auto block = static_cast<std::uint32_t>(n / 2);
        pair = rng::normals_from_block(
            rng::draw_block(model.key, rng::scenario_counter(global, t, rng::stream_jump_size, block)));
      }
      const double xi = (n % 2 == 0) ? pair.z0 : pair.z1;
      const auto m = static_cast<std::size_t>(n % markets);
      scratch.log_jump[m] += regime.jump_mean[m] + regime.jump_stddev[m] * xi;
    }

    // (e) z = L eps, then the log-price step. Prices are F(0) * exp(X(t)) rather than
    // exp(ln F(0) + X(t)) so that a path whose steps are all zero stays at F(0) exactly.
    for (std::size_t m = 0; m < markets; ++m) {
      double z = 0.0;
      for (std::size_t j = 0; j <= m; ++j) z += regime.cholesky[m * markets + j] * scratch.epsilon[j];
      const double step = regime.drift_per_step[m] + regime.diffusion_per_step[m] * z + scratch.log_jump[m];
      scratch.log_return[m] += step;
      paths.fundamental_price_usd[paths.price_index(local, t, static_cast<std::int64_t>(m))] =
          model.initial_price_usd[m] * std::exp(scratch.log_return[m]);
    }
  }
}

int worker_count(int configured_threads, std::int64_t scenarios) {
  const int threads =
      configured_threads > 0 ? configured_threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  return static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(threads, scenarios)));
}

}  // namespace

ScenarioPaths generate_regime_paths(const ModelConfig& config, std::int64_t first_scenario, std::int64_t scenarios) {
  if (first_scenario < 0 || scenarios < 0 || scenarios > rng::max_scenario_index + 1 - first_scenario) {
    throw std::invalid_argument("generate_regime_paths: scenarios [" + std::to_string(first_scenario) + ", " +
                                std::to_string(first_scenario) + " + " + std::to_string(scenarios) +
                                ") do not fit the scenario index range [0, 2^32)");
  }
  if (config.run.steps < 0 || config.run.steps > rng::max_scenario_index) {
    throw std::invalid_argument("generate_regime_paths: steps = " + std::to_string(config.run.steps) +
                                " is outside [0, 2^32)");
  }
  const PathModel model = make_path_model(config);

  ScenarioPaths paths;
  paths.first_scenario = first_scenario;
  paths.scenarios = scenarios;
  paths.steps = model.steps;
  paths.markets = static_cast<std::int64_t>(model.markets);
  const auto points = static_cast<std::size_t>(scenarios * (model.steps + 1));
  paths.fundamental_price_usd.assign(points * model.markets, 0.0);
  paths.regime.assign(points, 0);

  // Each worker takes the next scenario and writes only that scenario's slots, so the paths are
  // the same for any number of workers.
  std::atomic<std::int64_t> next_scenario{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&] {
    try {
      PathScratch scratch;
      for (std::int64_t s = next_scenario++; s < scenarios; s = next_scenario++) {
        generate_scenario(model, s, scratch, paths);
      }
    } catch (...) {
      const std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next_scenario = scenarios;
    }
  };
  const int workers = worker_count(config.run.threads, scenarios);
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(worker);
  worker();
  for (std::thread& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
  return paths;
}

}  // namespace margin_stress
