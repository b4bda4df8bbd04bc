#include "host/cli/run_overrides.hpp"

namespace margin_stress {

void RunOverrides::apply(ModelConfig& config) const {
  if (scenarios) config.run.scenarios = *scenarios;
  if (steps) config.run.steps = *steps;
  if (seed) config.run.seed = *seed;
  if (threads) config.run.threads = *threads;
}

void add_run_override_options(CLI::App* command, RunOverrides& overrides) {
  command->add_option("-n,--scenarios", overrides.scenarios, "number of scenarios (overrides run.scenarios)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{2147483647}));
  command->add_option("--steps", overrides.steps, "steps per scenario (overrides run.steps)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}));
  command->add_option("-s,--seed", overrides.seed, "scenario seed (overrides run.seed)");
  command->add_option("-t,--threads", overrides.threads, "CPU worker threads, 0 = all cores (overrides run.threads)")
      ->check(CLI::Range(0, 4096));
}

}  // namespace margin_stress
