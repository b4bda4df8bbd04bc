// `margin-stress calibrate`: fit the Markov-switching regime model to price history and write a
// model file that `margin-stress run --config` accepts (docs/calibration.md).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/calibration/price_series.hpp"
#include "scenarios/calibration/regime_selection.hpp"

namespace margin_stress {

struct CalibrateOptions {
  std::vector<std::string> price_paths;  // one CSV per market
  std::vector<std::string> markets;      // empty: from the file names (btc_usdt_1h.csv -> BTC)
  calibration::PriceFileFormat price_format;
  std::optional<int> regimes = 2;  // empty: --regimes auto, K chosen by BIC among 1 .. max_regimes
  int max_regimes = static_cast<int>(calibration::default_max_regimes);
  bool garch = false;
  bool zero_drift = false;  // write drift = 0 instead of the fitted trends
  int starts = 10;
  std::uint64_t seed = 1;
  int threads = 0;
  std::vector<std::string> config_paths;  // layers over the built-in default; empty: the default
  std::optional<double> step_seconds;     // default: the base's run.step_seconds
  std::string from;                       // inclusive; a date means its whole day
  std::string to;
  std::string out_path;
  std::string probabilities_path;  // optional CSV of smoothed regime probabilities
  std::string summary_json_path;   // empty: none; "-": stdout (the report then goes to stderr)
  bool force = false;
  bool quiet = false;
};

void setup_calibrate_command(CLI::App& app, CalibrateOptions& options);
// Returns the process exit code; throws InputError on bad input.
int calibrate_command(const CalibrateOptions& options, const std::string& command_line);

}  // namespace margin_stress
