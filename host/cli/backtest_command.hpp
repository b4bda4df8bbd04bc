// `margin-stress backtest`: the maintenance-margin coverage of one or more margin policies on a
// market's real price history, with Kupiec and Christoffersen tests (docs/backtest.md).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/calibration/price_series.hpp"

namespace margin_stress {

// The liquidation horizon when --horizon-seconds is not given: one hour, rounded up to whole bars
// (docs/backtest.md, "The horizon").
inline constexpr std::int64_t default_horizon_seconds = 3600;

struct BacktestOptions {
  std::string prices_path;
  std::string market;  // empty: from the file name (btc_usdt_1h.csv -> BTC)
  calibration::PriceFileFormat price_format;
  std::vector<std::string> config_paths;  // the base: layers over the built-in default
  std::vector<std::string> policy_paths;  // policy files over the base, one policy each; empty: the base's
  std::optional<std::int64_t> horizon_seconds;
  std::vector<double> levels{0.99, 0.995};
  std::string out_path;           // empty: no CSV
  std::string summary_json_path;  // empty: none; "-": stdout (the table then goes to stderr)
  bool force = false;
};

void setup_backtest_command(CLI::App& app, BacktestOptions& options);
// Returns the process exit code; throws InputError on bad input.
int backtest_command(const BacktestOptions& options);

}  // namespace margin_stress
