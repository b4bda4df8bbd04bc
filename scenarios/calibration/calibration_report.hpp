// The human-readable account of a calibration: printed by `margin-stress calibrate` and written,
// as TOML comments, at the top of the model file (docs/calibration.md, "Output").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/model/config.hpp"
#include "scenarios/calibration/regime_fit.hpp"
#include "scenarios/calibration/return_series.hpp"

namespace margin_stress::calibration {

struct CalibrationRecord {
  const ReturnSeries& data;
  const RegimeFit& fit;
  const ModelConfig& model;  // the calibrated_config written out
  std::uint64_t seed = 0;    // of the EM starts
  double bar_seconds = 0.0;
  std::vector<std::string> warnings;  // plausibility_warnings of the model (plausibility.hpp)
};

// Lines ending in '\n': sources and window, bars used, the fit (method, starts, iterations,
// convergence), ln L, parameters, BIC and AIC, the per-bar estimates with the stationary
// distribution and expected stays in bars and hours, the per-bar transition matrix, and the
// annualised values and per-step matrix written to the model, and a "WARNING: " line per warning.
std::string calibration_report(const CalibrationRecord& record);

// The fitted chain's stationary distribution, or NaN for every regime where it has none (a chain
// that is not irreducible): what the report and the summary JSON show.
std::vector<double> stationary_or_nan(const RegimeFit& fit);

// `text` with "# " before every line (blank lines get "#"), for the head of a TOML file.
std::string as_toml_comment(const std::string& text);

}  // namespace margin_stress::calibration
