// Caps on the size of runs from the environment, to try the README's examples on a small machine
// (and to run them in tests/reference/readme_test.cpp): MARGIN_STRESS_MAX_SCENARIOS and
// MARGIN_STRESS_MAX_ACCOUNTS (docs/config.md, "Smaller runs"). Each, when set, lowers
// run.scenarios or portfolio.accounts, after the command line, to at most its value and says so on
// stderr; the results' effective configuration records what ran.
#pragma once

#include "host/model/config.hpp"

namespace margin_stress {

// Applies both caps to `config`. A value that is not a positive integer is a usage error
// (CLI::ValidationError naming the variable).
void apply_size_limits(ModelConfig& config);

}  // namespace margin_stress
