#include "scenarios/price_paths.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/model/input_error.hpp"
#include "host/model/parallel_for.hpp"
#include "host/model/time_units.hpp"
#include "scenarios/regime_chain.hpp"
#include "scenarios/rng.hpp"

namespace margin_stress {
namespace {

constexpr std::size_t no_garch_slot = static_cast<std::size_t>(-1);

// Per-regime constants of one call, computed once so the step loop only draws and adds.
struct RegimeCoefficients {
  std::vector<double> transition_cumulative;  // running sums of the regime's transition row
  std::vector<double> cholesky;               // M x M lower factor of the correlation matrix
  std::vector<double> drift_per_step;         // (drift - volatility^2 / 2) * dt_years, per market
  std::vector<double> diffusion_per_step;     // volatility * sqrt(dt_years), per market
  std::vector<double> jump_mean;
  std::vector<double> jump_stddev;
  double jump_count_mean = 0.0;  // jump_intensity_per_day * dt_days
  double student_t_dof = 0.0;    // 0: normal shocks
  // GARCH(1,1): garch_slot indexes PathScratch::garch_variance; no_garch_slot when alpha = beta = 0.
  std::size_t garch_slot = no_garch_slot;
  double garch_alpha = 0.0;
  double garch_beta = 0.0;
  std::vector<double> unconditional_variance;  // volatility^2 * dt_years, per market
  std::vector<double> starting_variance;       // h(1), per market: the steady level under the starting law
  std::vector<double> garch_omega;             // unconditional_variance * ((1 - alpha) - beta), per market
};

struct PathModel {
  std::size_t regimes = 0;
  std::size_t markets = 0;
  std::vector<std::size_t> garch_regimes;  // regimes with a GARCH variance, in slot order
  std::int64_t steps = 0;
  rng::philox_key key{};
  std::vector<double> initial_cumulative;
  std::vector<double> initial_price_usd;
  std::vector<RegimeCoefficients> regime;
  // Committee shocks acting on the noise (docs/model.md, section 10.3); both empty without them.
  std::vector<double> volatility_multiplier;          // [t * markets + m], t = 0..steps
  std::vector<std::size_t> correlation_state;         // [t]: 0 = the regimes' own correlations
  std::vector<std::vector<double>> shocked_cholesky;  // [(state - 1) * regimes + k]
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

// The Monte Carlo part of the committee shocks: per-step volatility multipliers, and for every
// distinct set of active correlation shocks, each regime's pulled-together correlation factored.
void add_noise_shocks(const ModelConfig& config, PathModel& model) {
  const auto steps = static_cast<std::size_t>(model.steps + 1);
  const std::size_t markets = model.markets;
  std::vector<const ShockSpec*> correlation_shocks;
  bool any_volatility = false;
  for (const ShockSpec& shock : config.scenario.shocks) {
    if (shock.kind == ShockKind::correlation) correlation_shocks.push_back(&shock);
    any_volatility = any_volatility || shock.kind == ShockKind::volatility;
  }
  const auto in_window = [](const ShockSpec& shock, std::size_t t) {
    const auto step = static_cast<std::int64_t>(t);
    return step >= shock.start_step && step < shock.start_step + shock.duration_steps;
  };
  const auto names = [&](const ShockSpec& shock, std::size_t m) {
    return shock.markets.empty() ||
           std::find(shock.markets.begin(), shock.markets.end(), config.markets[m].name) != shock.markets.end();
  };
  if (any_volatility) {
    model.volatility_multiplier.assign(steps * markets, 1.0);
    for (const ShockSpec& shock : config.scenario.shocks) {
      if (shock.kind != ShockKind::volatility) continue;
      for (std::size_t t = 0; t < steps; ++t) {
        for (std::size_t m = 0; m < markets && in_window(shock, t); ++m) {
          if (names(shock, m)) model.volatility_multiplier[t * markets + m] *= shock.multiplier;
        }
      }
    }
  }
  if (correlation_shocks.empty()) return;
  // A state is the set of correlation shocks active at a step, as a bit mask over them.
  std::vector<std::uint64_t> state_masks = {0};
  model.correlation_state.assign(steps, 0);
  for (std::size_t t = 0; t < steps; ++t) {
    std::uint64_t mask = 0;
    for (std::size_t i = 0; i < correlation_shocks.size() && i < 64; ++i) {
      if (in_window(*correlation_shocks[i], t)) mask |= std::uint64_t{1} << i;
    }
    const auto found = std::find(state_masks.begin(), state_masks.end(), mask);
    model.correlation_state[t] = static_cast<std::size_t>(found - state_masks.begin());
    if (found == state_masks.end()) state_masks.push_back(mask);
  }
  for (std::size_t state = 1; state < state_masks.size(); ++state) {
    for (std::size_t k = 0; k < model.regimes; ++k) {
      std::vector<double> correlation = config.regimes.states[k].correlation;
      for (std::size_t i = 0; i < correlation_shocks.size() && i < 64; ++i) {
        if ((state_masks[state] & (std::uint64_t{1} << i)) == 0) continue;
        const ShockSpec& shock = *correlation_shocks[i];
        for (std::size_t a = 0; a < markets; ++a) {
          for (std::size_t b = 0; b < markets; ++b) {
            if (a != b && names(shock, a) && names(shock, b)) {
              correlation[a * markets + b] = (1.0 - shock.weight) * correlation[a * markets + b] + shock.weight;
            }
          }
        }
      }
      try {
        model.shocked_cholesky.push_back(cholesky_lower(correlation, markets));
      } catch (const std::invalid_argument& error) {
        throw InputError(
            config.source_name + ": scenario.shocks: the correlation shocks active together make regime \"" +
            config.regimes.states[k].name + "\"'s correlation matrix not positive definite (" + error.what() + ")");
      }
    }
  }
}

// Every GARCH regime's variance is fed by the shocks of whichever regime is active, so it settles
// at (omega_k + alpha_k m) / (1 - beta_k), with m the expected squared shock, not at its own
// volatility^2 dt (docs/model.md, section 10.1). m solves m = sum_j p_j E[e^2 | j] under the
// starting law p: E[e^2 | j] is v_j for a constant-volatility regime and the settled level for a
// GARCH one, so m (1 - sum_G p_j alpha_j / (1 - beta_j)) = sum_notG p_j v_j + sum_G p_j omega_j / (1 - beta_j).
void set_starting_variances(const std::vector<double>& starting_law, PathModel& model) {
  for (std::size_t m = 0; m < model.markets; ++m) {
    double constant_part = 0.0;
    double feedback = 0.0;
    for (std::size_t k = 0; k < model.regimes; ++k) {
      const RegimeCoefficients& regime = model.regime[k];
      if (regime.garch_slot == no_garch_slot) {
        constant_part += starting_law[k] * (regime.diffusion_per_step[m] * regime.diffusion_per_step[m]);
      } else {
        constant_part += starting_law[k] * regime.garch_omega[m] / (1.0 - regime.garch_beta);
        feedback += starting_law[k] * regime.garch_alpha / (1.0 - regime.garch_beta);
      }
    }
    const double expected_squared_shock = constant_part / (1.0 - feedback);
    for (RegimeCoefficients& regime : model.regime) {
      if (regime.garch_slot == no_garch_slot) continue;
      regime.starting_variance.push_back((regime.garch_omega[m] + regime.garch_alpha * expected_squared_shock) /
                                         (1.0 - regime.garch_beta));
    }
  }
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
    coefficients.student_t_dof = state.student_t_dof;
    if (state.garch_alpha != 0.0 || state.garch_beta != 0.0) {
      coefficients.garch_slot = model.garch_regimes.size();
      model.garch_regimes.push_back(k);
      coefficients.garch_alpha = state.garch_alpha;
      coefficients.garch_beta = state.garch_beta;
      for (std::size_t m = 0; m < model.markets; ++m) {
        const double variance = state.volatility[m] * state.volatility[m] * dt_years;
        coefficients.unconditional_variance.push_back(variance);
        coefficients.garch_omega.push_back(variance * ((1.0 - state.garch_alpha) - state.garch_beta));
      }
    }
    model.regime.push_back(std::move(coefficients));
  }
  set_starting_variances(initial, model);
  add_noise_shocks(config, model);
  return model;
}

// Scratch space of one worker, reused across its scenarios.
struct PathScratch {
  std::vector<double> epsilon;     // independent standard normals, per market
  std::vector<double> log_jump;    // J_m of the step
  std::vector<double> log_return;  // X_m(t) = ln F_m(t) - ln F_m(0)
  // h_{k,m}(t) of every GARCH regime k, [slot][market]: all of them move every step.
  std::vector<double> garch_variance;
};

// Fills scenario `local` of `paths` (global index paths.first_scenario + local).
void generate_scenario(const PathModel& model, std::int64_t local, PathScratch& scratch, ScenarioPaths& paths) {
  const std::int64_t global = paths.first_scenario + local;
  const std::size_t markets = model.markets;
  scratch.epsilon.assign(markets, 0.0);
  scratch.log_jump.assign(markets, 0.0);
  scratch.log_return.assign(markets, 0.0);
  scratch.garch_variance.resize(model.garch_regimes.size() * markets);
  for (std::size_t slot = 0; slot < model.garch_regimes.size(); ++slot) {
    const RegimeCoefficients& garch = model.regime[model.garch_regimes[slot]];
    std::copy(garch.starting_variance.begin(), garch.starting_variance.end(),
              scratch.garch_variance.begin() + static_cast<std::ptrdiff_t>(slot * markets));
  }

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

    // (e) one chi-square draw per step, shared by every market, so the shocks stay correlated by L.
    const bool student_t = regime.student_t_dof > 0.0;
    double student_t_scale = 1.0;
    if (student_t) {
      const double w = rng::chi_square_draw(model.key, rng::scenario_counter(global, t, rng::stream_student_t, 0),
                                            regime.student_t_dof);
      student_t_scale = std::sqrt((regime.student_t_dof - 2.0) / w);
    }

    // (f) z = L eps (times the Student-t scale), then the log-price step. Prices are F(0) * exp(X(t))
    // rather than exp(ln F(0) + X(t)) so that a path whose steps are all zero stays at F(0) exactly.
    // A regime without GARCH keeps volatility * sqrt(dt_years) as its scale rather than
    // sqrt(volatility^2 * dt_years), which differs in the last bit: paths without GARCH stay as
    // they were before GARCH existed.
    const std::size_t correlation_state =
        model.correlation_state.empty() ? 0 : model.correlation_state[static_cast<std::size_t>(t)];
    const double* cholesky = correlation_state == 0
                                 ? regime.cholesky.data()
                                 : model.shocked_cholesky[(correlation_state - 1) * model.regimes + k].data();
    for (std::size_t m = 0; m < markets; ++m) {
      double z = 0.0;
      for (std::size_t j = 0; j <= m; ++j) z += cholesky[m * markets + j] * scratch.epsilon[j];
      if (student_t) z *= student_t_scale;
      const double scale = regime.garch_slot == no_garch_slot
                               ? regime.diffusion_per_step[m]
                               : std::sqrt(scratch.garch_variance[regime.garch_slot * markets + m]);
      // A volatility shock scales the diffusive shock; GARCH then sees the shocked return.
      const double shock = model.volatility_multiplier.empty()
                               ? scale * z
                               : (scale * model.volatility_multiplier[static_cast<std::size_t>(t) * markets + m]) * z;
      const double step = regime.drift_per_step[m] + shock + scratch.log_jump[m];
      scratch.log_return[m] += step;
      paths.fundamental_price_usd[paths.price_index(local, t, static_cast<std::int64_t>(m))] =
          model.initial_price_usd[m] * std::exp(scratch.log_return[m]);

      // (g) every GARCH regime's variance moves with the realised shock, whichever regime is
      // active, so h_{k,m}(t) depends on the past shocks but not on the past regimes.
      for (std::size_t slot = 0; slot < model.garch_regimes.size(); ++slot) {
        const RegimeCoefficients& garch = model.regime[model.garch_regimes[slot]];
        double& variance = scratch.garch_variance[slot * markets + m];
        variance = (garch.garch_omega[m] + garch.garch_alpha * (shock * shock)) + garch.garch_beta * variance;
      }
    }
  }
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

  // Each scenario writes only its own slots, so the paths are the same for any number of threads.
  parallel_for<PathScratch>(scenarios, config.run.threads,
                            [&](PathScratch& scratch, std::int64_t s) { generate_scenario(model, s, scratch, paths); });
  return paths;
}

}  // namespace margin_stress
