// Whether a calibrated model is fit to be run as a stress model (docs/calibration.md,
// "Plausibility"): the bounds, and the warnings `calibrate` prints and writes into the model file.
#pragma once

#include <string>
#include <vector>

#include "host/model/config.hpp"
#include "scenarios/calibration/model_output.hpp"
#include "scenarios/calibration/regime_fit.hpp"

namespace margin_stress::calibration {

// A regime more volatile than this (annualised) is wilder than any single day of the 2017-2023
// hourly BTC and ETH history (their most volatile days, 2020-03-12, had 5.5 and 5.9).
inline constexpr double max_plausible_volatility = 6.0;
// A fitted trend of the log price (mean_k / bar_years) beyond this, either way, is a bull or bear
// phase of the sample (BTC and ETH grew at 0.31 a year over 2017-2023), not a property of a
// market state to carry into a stress run.
inline constexpr double max_plausible_log_drift = 0.5;
// An MS-GARCH regime starts a run at its unconditional variance v_k; beyond this ratio (either
// way) between sqrt(v_k) and its median conditional sd over the sample, its first steps are far
// from the volatility the fit saw.
inline constexpr double max_garch_start_ratio = 2.0;

// One line per finding, without a "WARNING: " prefix: regimes whose volatility exceeds
// max_plausible_volatility; with DriftChoice::fitted, regimes whose fitted log-price trend exceeds
// max_plausible_log_drift; for an MS-GARCH fit, regimes whose start ratio exceeds
// max_garch_start_ratio. `model` is the calibrated_config of `fit` (its markets in the fit's order),
// `returns` what it was fitted to ([t][m]).
std::vector<std::string> plausibility_warnings(const RegimeFit& fit, const ModelConfig& model,
                                               const std::vector<double>& returns, double bar_seconds,
                                               DriftChoice drift);

}  // namespace margin_stress::calibration
