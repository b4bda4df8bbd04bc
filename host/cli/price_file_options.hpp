// The options that say how to read a price file, shared by `calibrate` and `backtest`:
// --column, --time-column and --epoch-unit (docs/calibration.md, "Input").
#pragma once

#include <CLI/CLI.hpp>

#include "scenarios/calibration/price_series.hpp"

namespace margin_stress {

void add_price_file_options(CLI::App& command, calibration::PriceFileFormat& format);

}  // namespace margin_stress
