// The smoothed probability of each regime at each bar under a fitted model, to see when the model
// thinks the market was calm or in crisis (docs/calibration.md, "Regime probabilities").
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "scenarios/calibration/regime_fit.hpp"
#include "scenarios/calibration/return_series.hpp"

namespace margin_stress::calibration {

// P(s_t = k | all returns), [t][k], from the Hamilton filter and Kim smoother under `fit` (Gaussian or
// MS-GARCH densities as fit.emission says), started from fit.initial_distribution (a finished fit's
// is the stationary distribution).
std::vector<double> smoothed_regime_probabilities(const ReturnSeries& data, const RegimeFit& fit);

// CSV text: header "timestamp_utc,regime,p_<name>..." then one row per return with the open time of
// the bar the return ends at, the most probable regime's name and the probabilities (%.6f).
std::string regime_probabilities_csv(const ReturnSeries& data, const std::vector<double>& probabilities,
                                     const std::vector<std::string>& names);

}  // namespace margin_stress::calibration
