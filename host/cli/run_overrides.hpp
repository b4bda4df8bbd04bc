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

  // Each option given replaces its run.* value; then the environment's size limits apply
  // (size_limits.hpp).
  void apply(ModelConfig& config) const;
};

// -n/--scenarios, --steps, -s/--seed and -t/--threads on `command`.
void add_run_override_options(CLI::App* command, RunOverrides& overrides);

// Validators of the options several subcommands share. Each checks the text before CLI11 converts
// it (which reads "-1" into a uint64 as 2^64 - 1), and its message gives the value and the range:
// "--seed: -1 is not an integer in [0, 2^63 - 1] (seeds are recorded as signed 64-bit TOML integers)".
// A seed: written to the results' TOML, whose integers are signed 64-bit.
CLI::Validator seed_validator();
// A CUDA device ordinal: an int >= 0.
CLI::Validator device_validator();
// An HDF5 output path: not "-" (HDF5 needs a seekable file, so there is no writing it to stdout).
CLI::Validator hdf5_output_validator();

}  // namespace margin_stress
