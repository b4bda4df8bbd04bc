#include "host/cli/account_capture.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>

#include "host/analysis/drilldown.hpp"
#include "scenarios/scenario_builder.hpp"

namespace margin_stress {

std::vector<std::int64_t> scenarios_to_capture(const BatchResults& results, std::int64_t worst) {
  if (worst > 0) return worst_scenarios(results.scenarios, results.first_scenario, worst);
  std::vector<std::int64_t> all(results.scenarios.size());
  for (std::size_t s = 0; s < all.size(); ++s) all[s] = results.first_scenario + static_cast<std::int64_t>(s);
  return all;
}

AccountCapture capture_accounts(LoadedBook& book, const ModelConfig& config, const Portfolio& portfolio,
                                const BatchResults& results, const std::vector<std::int64_t>& scenarios) {
  AccountCapture capture;
  std::unique_ptr<Engine> cpu_engine;
  std::unique_ptr<LoadedBook> cpu_book;
  LoadedBook* capturer = &book;
  if (!book.captures_accounts()) {
    EngineOptions options;
    options.backend = Backend::cpu;
    options.threads = config.run.threads;
    cpu_engine = make_engine(options);
    cpu_book = cpu_engine->load(config, portfolio);
    capturer = cpu_book.get();
    capture.engine = cpu_engine->name();
    capture.on_cpu_reference_instead = true;
  }

  std::vector<std::int64_t> ascending = scenarios;
  std::sort(ascending.begin(), ascending.end());
  std::map<std::int64_t, ScenarioAccounts> by_number;
  for (std::size_t i = 0; i < ascending.size();) {
    // A run of consecutive numbers is one batch, so that it runs in parallel.
    std::size_t end = i + 1;
    while (end < ascending.size() && ascending[end] == ascending[end - 1] + 1) ++end;
    const std::int64_t first = ascending[i];
    const auto count = static_cast<std::int64_t>(end - i);
    std::vector<ScenarioAccounts> accounts;
    const BatchResults rerun =
        capturer->run_capturing_accounts(build_scenarios(config, first, count), nullptr, accounts);
    for (std::int64_t s = 0; s < count; ++s) {
      const ScenarioMetrics& in_run = results.scenarios[static_cast<std::size_t>(first + s - results.first_scenario)];
      if (!(rerun.scenarios[static_cast<std::size_t>(s)].ledger == in_run.ledger)) {
        throw std::logic_error("the drill-down of scenario " + std::to_string(first + s) +
                               " does not reproduce the run's ledger");
      }
      by_number[first + s] = std::move(accounts[static_cast<std::size_t>(s)]);
    }
    i = end;
  }
  for (const std::int64_t number : scenarios) {
    ScenarioAccounts& accounts = by_number.at(number);
    capture.captured.push_back(
        capture_summary(results.scenarios[static_cast<std::size_t>(number - results.first_scenario)], accounts));
    capture.accounts.push_back(std::move(accounts));
  }
  return capture;
}

}  // namespace margin_stress
