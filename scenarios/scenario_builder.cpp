#include "scenarios/scenario_builder.hpp"

#include "host/model/config_schema.hpp"
#include "scenarios/price_paths.hpp"
#include "scenarios/replay.hpp"
#include "scenarios/shocks.hpp"

namespace margin_stress {

void set_regime_market_conditions(const ModelConfig& config, ScenarioPaths& paths) {
  const auto points = static_cast<std::size_t>(paths.scenarios * (paths.steps + 1));
  const auto markets = static_cast<std::size_t>(paths.markets);
  paths.depth_multiplier.resize(points * markets);
  paths.oracle_factor.assign(points * markets, 1.0);
  paths.collateral_value.assign(points, 1.0);
  for (std::size_t point = 0; point < points; ++point) {
    const double multiplier = config.regimes.states[paths.regime[point]].depth_multiplier;
    for (std::size_t m = 0; m < markets; ++m) paths.depth_multiplier[point * markets + m] = multiplier;
  }
}

namespace {

// The flat base: every price stays at its initial value and the chain sits in flat_regime, so
// that a committee scenario is moved by its shocks alone.
ScenarioPaths flat_paths(const ModelConfig& config, std::int64_t first_scenario, std::int64_t scenarios) {
  ScenarioPaths paths;
  paths.first_scenario = first_scenario;
  paths.scenarios = scenarios;
  paths.steps = config.run.steps;
  paths.markets = static_cast<std::int64_t>(config.market_count());
  std::uint8_t regime = 0;
  for (std::size_t k = 0; k < config.regime_count(); ++k) {
    if (config.regimes.states[k].name == config.scenario.flat_regime) regime = static_cast<std::uint8_t>(k);
  }
  const auto points = static_cast<std::size_t>(scenarios * (paths.steps + 1));
  paths.regime.assign(points, regime);
  paths.fundamental_price_usd.resize(points * config.market_count());
  for (std::size_t point = 0; point < points; ++point) {
    for (std::size_t m = 0; m < config.market_count(); ++m) {
      paths.fundamental_price_usd[point * config.market_count() + m] = config.markets[m].initial_price_usd;
    }
  }
  return paths;
}

}  // namespace

std::string describe_scenarios(const ModelConfig& config) {
  const ScenarioSpec& scenario = config.scenario;
  std::string text = scenario.base == ScenarioBase::flat
                         ? "flat prices in regime \"" + scenario.flat_regime + "\""
                         : "monte_carlo regimes (" + std::to_string(config.regime_count()) + " states)";
  for (const ReplaySeries& replay : scenario.replays) {
    text += "; replay " + replay.market + " from " + replay.file + " at " + replay.start_utc +
            (replay.rebase ? " (rebased)" : "");
  }
  if (!scenario.shocks.empty()) {
    text += "; shocks:";
    for (std::size_t i = 0; i < scenario.shocks.size(); ++i) {
      const ShockSpec& shock = scenario.shocks[i];
      text += (i == 0 ? " " : ", ") + std::string(toml_name(shock.kind));
      if (!shock.name.empty()) text += " \"" + shock.name + "\"";
    }
  }
  return text;
}

ScenarioPaths build_scenarios(const ModelConfig& config, std::int64_t first_scenario, std::int64_t scenarios) {
  ScenarioPaths paths = config.scenario.base == ScenarioBase::flat
                            ? flat_paths(config, first_scenario, scenarios)
                            : generate_regime_paths(config, first_scenario, scenarios);
  apply_replays(config, paths);
  set_regime_market_conditions(config, paths);
  apply_shocks(config, paths);
  return paths;
}

}  // namespace margin_stress
