// Small hand-built books, configs and price paths for the reference-engine tests, so that every
// expected figure can be derived by hand from docs/model.md.
#pragma once

#include <cstdint>
#include <vector>

#include "host/engine/book.hpp"
#include "host/engine/cpu/cpu_engine.hpp"
#include "host/engine/cpu/scenario_run.hpp"
#include "host/engine/cpu/scenario_state.hpp"
#include "host/model/config.hpp"
#include "host/model/portfolio.hpp"
#include "host/model/scenario_paths.hpp"

namespace margin_stress::testing {

// One or more markets, one regime (depth multiplier 1), static margins, no temporary impact.
inline ModelConfig hand_config(std::size_t markets, double depth_usd) {
  ModelConfig config;
  config.run.scenarios = 1;
  config.run.step_seconds = 300.0;
  config.run.threads = 1;
  for (std::size_t m = 0; m < markets; ++m) {
    MarketSpec spec;
    spec.name = "M" + std::to_string(m);
    spec.initial_price_usd = 100.0;
    spec.lot_size = 1.0;
    spec.depth_usd = depth_usd;
    spec.initial_margin_fraction = 0.10;
    spec.maintenance_margin_fraction = 0.05;
    spec.reference_volatility = 0.5;
    config.markets.push_back(spec);
  }
  config.impact.law = ImpactLaw::linear;
  config.impact.permanent_fraction = 1.0;
  config.impact.temporary_half_life_seconds = 0.0;
  config.liquidation.mode = LiquidationMode::full;
  config.liquidation.fee_rate = 0.005;
  config.liquidation.max_cascade_rounds = 64;
  config.insurance_fund.initial_balance_usd = 0.0;
  config.insurance_fund.auto_deleveraging = true;
  config.margin_policy.kind = MarginPolicyKind::static_margin;
  RegimeState only;
  only.name = "only";
  only.depth_multiplier = 1.0;
  config.regimes.states.push_back(only);
  config.regimes.transition = {1.0};
  return config;
}

// hand_config with traders answering margin calls (docs/model.md section 7a) and a
// volatility-scaled policy (EWMA lambda 0.5, scale in [1, 2]) whose scale is 1 at step 1 and, after
// a 10 % fall in step 1, clamped at 2 from step 2 on: a raise that calls accounts at step 2.
inline ModelConfig raising_margin_config(double top_up_probability, std::int64_t delay_steps) {
  ModelConfig config = hand_config(1, 1e300);
  config.margin_policy.kind = MarginPolicyKind::volatility_scaled;
  config.margin_policy.ewma_lambda = 0.5;
  config.margin_policy.scale_floor = 1.0;
  config.margin_policy.scale_cap = 2.0;
  config.insurance_fund.initial_balance_usd = 1e6;
  config.trader_response.enabled = true;
  config.trader_response.top_up_probability = top_up_probability;
  config.trader_response.top_up_delay_steps = delay_steps;
  return config;
}

struct HandPosition {
  std::int32_t market;
  std::int64_t lots;
  double entry_price_usd;
};

struct HandAccount {
  double collateral_usd;
  std::vector<HandPosition> positions;
};

inline Portfolio hand_portfolio(const ModelConfig& config, const std::vector<HandAccount>& accounts) {
  Portfolio portfolio;
  for (const MarketSpec& market : config.markets) portfolio.market_names.push_back(market.name);
  portfolio.position_offset.push_back(0);
  for (const HandAccount& account : accounts) {
    portfolio.collateral_usd.push_back(account.collateral_usd);
    for (const HandPosition& position : account.positions) {
      portfolio.market_index.push_back(position.market);
      portfolio.quantity_lots.push_back(position.lots);
      portfolio.entry_price_usd.push_back(position.entry_price_usd);
    }
    portfolio.position_offset.push_back(static_cast<std::int64_t>(portfolio.quantity_lots.size()));
  }
  return portfolio;
}

// Scenario paths from explicit fundamental prices: prices[s][t][m], regime 0 throughout.
inline ScenarioPaths hand_paths(const std::vector<std::vector<std::vector<double>>>& prices) {
  ScenarioPaths paths;
  paths.scenarios = static_cast<std::int64_t>(prices.size());
  paths.steps = static_cast<std::int64_t>(prices.front().size()) - 1;
  paths.markets = static_cast<std::int64_t>(prices.front().front().size());
  for (const auto& scenario : prices) {
    for (const auto& step : scenario) {
      paths.fundamental_price_usd.insert(paths.fundamental_price_usd.end(), step.begin(), step.end());
      paths.regime.push_back(0);
    }
  }
  // Full depth, an honest oracle, collateral at par: tests change them where they need to.
  paths.depth_multiplier.assign(paths.fundamental_price_usd.size(), 1.0);
  paths.oracle_factor.assign(paths.fundamental_price_usd.size(), 1.0);
  paths.collateral_value.assign(paths.regime.size(), 1.0);
  return paths;
}

inline BatchResults run_cpu(const ModelConfig& config, const Portfolio& portfolio, const ScenarioPaths& paths,
                            int threads = 1) {
  return make_cpu_engine(threads)->run(config, portfolio, paths, nullptr);
}

// Scenario 0 of `paths` run through the CPU reference's own loop with its final state kept, for
// tests that follow single accounts (cash K_a in micro-dollars, lots q_p per position) and not
// only the aggregate metrics. The paths are not checked here, as the engine's run() checks them.
struct ScenarioRun {
  Book book;
  cpu::ScenarioState state;
  ScenarioMetrics metrics;
  StepSeries series;
};

inline ScenarioRun run_cpu_scenario(const ModelConfig& config, const Portfolio& portfolio, const ScenarioPaths& paths) {
  ScenarioRun run;
  run.book = make_book(config, portfolio);
  run.series.resize(paths.scenarios, paths.steps, paths.markets);
  cpu::run_scenario(run.book, config, paths, 0, run.state, run.metrics, run.series);
  return run;
}

}  // namespace margin_stress::testing
