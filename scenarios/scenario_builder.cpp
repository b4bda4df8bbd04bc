#include "scenarios/scenario_builder.hpp"

#include "scenarios/price_paths.hpp"

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

ScenarioPaths build_scenarios(const ModelConfig& config, std::int64_t first_scenario, std::int64_t scenarios) {
  ScenarioPaths paths = generate_regime_paths(config, first_scenario, scenarios);
  set_regime_market_conditions(config, paths);
  return paths;
}

}  // namespace margin_stress
