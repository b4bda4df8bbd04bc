// The [run] settings every command that runs scenarios takes from the command line (run, compare,
// optimize, verify): one set of options, one rule for layering them over the config.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>

#include "host/model/config.hpp"

namespace margin_stress {

struct RunOverrides {
  std::optional<std::int64_t> scenarios;
  std::optional<std::int64_t> steps;
  std::optional<std::uint64_t> seed;
  std::optional<int> threads;

  // Each option given replaces its run.* value.
  void apply(ModelConfig& config) const;
};

// -n/--scenarios, --steps, -s/--seed and -t/--threads on `command`.
void add_run_override_options(CLI::App* command, RunOverrides& overrides);

}  // namespace margin_stress
