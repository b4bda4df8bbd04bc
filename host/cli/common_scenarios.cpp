#include "host/cli/common_scenarios.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include "host/model/money.hpp"
#include "scenarios/scenario_builder.hpp"

namespace margin_stress {

PolicyScenarioMetrics run_on_common_scenarios(Engine& engine, const ModelConfig& scenarios, const ModelConfig& config,
                                              const Portfolio& portfolio) {
  PolicyScenarioMetrics metrics;
  const std::int64_t batch = batch_scenarios(scenarios);
  const std::unique_ptr<LoadedBook> book = engine.load(config, portfolio);
  for (std::int64_t first = 0; first < scenarios.run.scenarios; first += batch) {
    const std::int64_t count = std::min(batch, scenarios.run.scenarios - first);
    const BatchResults results = book->run(build_scenarios(scenarios, first, count), nullptr);
    for (const ScenarioMetrics& scenario : results.scenarios) {
      if (std::fabs(usd_figure(scenario.ledger.conservation_residual)) > 0.01) {
        throw std::runtime_error("a scenario's ledger did not balance (residual " +
                                 std::to_string(usd_figure(scenario.ledger.conservation_residual)) + " USD)");
      }
    }
    append_policy_scenario_metrics(results, config.run.step_seconds, metrics);
  }
  return metrics;
}

}  // namespace margin_stress
