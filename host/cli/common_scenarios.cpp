#include "host/cli/common_scenarios.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include "host/cli/memory_check.hpp"
#include "host/io/portfolio_file.hpp"
#include "host/model/money.hpp"
#include "host/portfolio/generator.hpp"
#include "scenarios/scenario_builder.hpp"

namespace margin_stress {

BaseBook load_base_book(const ModelConfig& base, const std::string& portfolio_path) {
  BaseBook book;
  if (portfolio_path.empty()) {
    check_memory(base, synthetic_run_memory(base), "lower portfolio.accounts");
    book.portfolio = generate_portfolio(base.portfolio, base.markets, base.run.threads, base.source_name);
    book.source = "synthetic (base config [portfolio], seed " + std::to_string(base.portfolio.seed) + ")";
  } else {
    book.portfolio = read_portfolio_file(portfolio_path);
    book.source = portfolio_path;
  }
  validate_portfolio(book.portfolio, base.markets, book.source);
  return book;
}

std::unique_ptr<Engine> make_command_engine(const std::string& backend, int threads, int device) {
  EngineOptions options;
  options.backend = backend_from_name(backend);
  options.threads = threads;
  options.device = device;
  return make_engine(options);
}

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
