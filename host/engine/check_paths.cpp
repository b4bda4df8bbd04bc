#include <cmath>
#include <stdexcept>
#include <string>

#include "host/engine/engine.hpp"
#include "host/model/input_error.hpp"

namespace margin_stress {

void check_scenario_paths(const ModelConfig& config, const ScenarioPaths& paths) {
  const auto points = static_cast<std::size_t>(paths.scenarios * (paths.steps + 1));
  const auto per_market = points * static_cast<std::size_t>(paths.markets);
  if (paths.markets != static_cast<std::int64_t>(config.market_count()) ||
      paths.fundamental_price_usd.size() != per_market || paths.depth_multiplier.size() != per_market ||
      paths.oracle_factor.size() != per_market || paths.regime.size() != points ||
      paths.collateral_value.size() != points) {
    throw std::invalid_argument("scenario paths do not match their declared shape (" + std::to_string(paths.scenarios) +
                                " scenarios, " + std::to_string(paths.steps) + " steps, " +
                                std::to_string(paths.markets) + " markets)");
  }
  // Extreme parameters (a huge volatility, drift or jump over a long step) can push a price out of
  // double range; the engine would then compute with 0 or infinity, so such paths are refused.
  const auto where = [&](std::size_t point, std::size_t market) {
    const auto steps = static_cast<std::size_t>(paths.steps + 1);
    return "scenario " + std::to_string(paths.first_scenario + static_cast<std::int64_t>(point / steps)) + " step " +
           std::to_string(point % steps) +
           (market < config.market_count() ? " market " + config.markets[market].name : "");
  };
  const auto positive = [](double value) { return std::isfinite(value) && value > 0.0; };
  for (std::size_t i = 0; i < per_market; ++i) {
    const std::size_t point = i / static_cast<std::size_t>(paths.markets);
    const std::size_t market = i % static_cast<std::size_t>(paths.markets);
    if (!positive(paths.fundamental_price_usd[i]) || !positive(paths.depth_multiplier[i]) ||
        !positive(paths.oracle_factor[i])) {
      throw InputError(config.source_name + ": " + where(point, market) + ": the scenario's price " +
                       std::to_string(paths.fundamental_price_usd[i]) + ", depth multiplier " +
                       std::to_string(paths.depth_multiplier[i]) + " or oracle factor " +
                       std::to_string(paths.oracle_factor[i]) +
                       " is not a positive finite number: the regime model's volatility, drift or jumps are too "
                       "extreme for run.step_seconds");
    }
  }
  for (std::size_t point = 0; point < points; ++point) {
    if (!positive(paths.collateral_value[point]) || paths.collateral_value[point] > 1.0) {
      throw InputError(config.source_name + ": " + where(point, config.market_count()) + ": collateral value " +
                       std::to_string(paths.collateral_value[point]) + " is not in (0, 1]");
    }
  }
}

}  // namespace margin_stress
