#include "host/cli/run_overrides.hpp"

#include <charconv>
#include <limits>
#include <string>

#include "host/cli/size_limits.hpp"

namespace margin_stress {
namespace {

// Accepts the decimal integers in [low, high]; `range` is how the message writes the interval.
CLI::Validator integer_validator(std::int64_t low, std::int64_t high, const std::string& range,
                                 const std::string& note) {
  return CLI::Validator(
      [=](std::string& input) -> std::string {
        std::int64_t value = 0;
        const char* end = input.data() + input.size();
        const auto result = std::from_chars(input.data(), end, value);
        if (result.ec == std::errc() && result.ptr == end && value >= low && value <= high) return {};
        return input + " is not an integer in " + range + note;
      },
      "INT in " + range);
}

}  // namespace

CLI::Validator seed_validator() {
  return integer_validator(0, std::numeric_limits<std::int64_t>::max(), "[0, 2^63 - 1]",
                           " (seeds are recorded as signed 64-bit TOML integers)");
}

CLI::Validator device_validator() {
  return integer_validator(0, std::numeric_limits<int>::max(), "[0, 2^31 - 1]", " (a CUDA device ordinal)");
}

CLI::Validator hdf5_output_validator() {
  return CLI::Validator(
      [](const std::string& path) -> std::string {
        if (path == "-") return "HDF5 cannot be written to standard output ('-'): name a file";
        return "";
      },
      "FILE");
}

void RunOverrides::apply(ModelConfig& config) const {
  if (scenarios) config.run.scenarios = *scenarios;
  if (steps) config.run.steps = *steps;
  if (seed) config.run.seed = *seed;
  if (threads) config.run.threads = *threads;
  apply_size_limits(config);
}

void add_run_override_options(CLI::App* command, RunOverrides& overrides) {
  command->add_option("-n,--scenarios", overrides.scenarios, "number of scenarios (overrides run.scenarios)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{2147483647}));
  command->add_option("--steps", overrides.steps, "steps per scenario (overrides run.steps)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}));
  command->add_option("-s,--seed", overrides.seed, "scenario seed (overrides run.seed)")->check(seed_validator());
  command->add_option("-t,--threads", overrides.threads, "CPU worker threads, 0 = all cores (overrides run.threads)")
      ->check(CLI::Range(0, 4096));
}

}  // namespace margin_stress
