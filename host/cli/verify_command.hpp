// `margin-stress verify`: the same scenarios on the CPU reference and the CUDA engine, compared
// metric by metric against the tolerances of docs/model.md ("The CUDA engine: verification").
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/cli/run_overrides.hpp"

namespace margin_stress {

struct VerifyOptions {
  std::vector<std::string> config_paths;  // layers over the built-in default; empty: the default
  std::string portfolio_path;
  RunOverrides run;  // -n, --steps, -s, -t
  std::optional<std::int64_t> accounts;
  int device = 0;
  std::int64_t max_in_flight = 0;
};

// Exit code when a metric is beyond its tolerance or decisions differ.
inline constexpr int verify_mismatch_exit_code = 4;

void setup_verify_command(CLI::App& app, VerifyOptions& options);
int verify_command(const VerifyOptions& options);

}  // namespace margin_stress
