// A fitted regime model turned into a runnable ModelConfig (docs/calibration.md, "From the fit to
// the model file").
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/time_units.hpp"
#include "scenarios/calibration/regime_fit.hpp"

namespace margin_stress::calibration {

// The per-bar transition matrix (K x K, row-major) rescaled to steps of step_seconds by the
// first-order rule p_kj(step) = p_kj(bar) * step / bar for j != k, p_kk(step) = 1 - sum_{j != k}
// p_kj(step), i.e. P(step) = I + (step / bar)(P(bar) - I). It keeps the stationary distribution and
// the expected stay in seconds, bar / (1 - p_kk), exactly; it is the exact step matrix only to first
// order in the switching probabilities. Throws InputError when an entry leaves [0, 1] (which needs
// step > bar), naming the row and the values.
std::vector<double> rescale_transition(const std::vector<double>& transition, std::size_t regimes, double bar_seconds,
                                       double step_seconds);

// calm/crisis for K = 2, calm/stressed/crisis for 3, calm/normal/stressed/crisis for 4, else
// regime_1 .. regime_K; in ascending order of volatility.
std::vector<std::string> regime_names(std::size_t regimes);

// Expected number of bars spent in each regime per visit, 1 / (1 - p_kk) (infinite if p_kk = 1).
std::vector<double> expected_stay_bars(const std::vector<double>& transition, std::size_t regimes);

// Where the written drifts come from (calibrate --zero-drift).
enum class DriftChoice {
  fitted,  // drift = mean_k / bar_years + volatility^2 / 2: the fitted trend
  zero,    // drift = 0 in every regime: no expected price change (docs/calibration.md)
};

// The model file's configuration: `base` (the built-in default or the user's --config) with
//  - markets: the base's [[markets]] entries named in `markets`, in that order (InputError naming
//    the market and base.source_name when the base has none of that name);
//  - portfolio.open_interest_share and long_fraction restricted to them, the shares renormalised to
//    sum to 1 (equal shares if they were all 0);
//  - run.step_seconds = step_seconds, and margin_policy.ewma_lambda^(step_seconds / base step) so
//    that the EWMA's half-life in seconds is kept when the step changes;
//  - regimes: one state per fitted regime, named by regime_names, with per market
//      volatility = sqrt(covariance_k[m][m] / bar_years),  drift = mean_k[m] / bar_years + volatility^2 / 2
//    (bar_years = bar_seconds / seconds_per_year; the drift convention of docs/model.md 10.1), or
//    drift = 0 with DriftChoice::zero,
//    correlation from covariance_k, no jumps, depth_multiplier from the base's regime of the same
//    rank when the base has K regimes, else 1 - 0.5 k / (K - 1) from the calmest to the most
//    volatile; the transition matrix rescaled by rescale_transition; initial_distribution empty
//    (the stationary distribution, which the rescaling keeps). An MS-GARCH fit also sets
//    garch_alpha and garch_beta (per bar, so it needs step_seconds == bar_seconds: InputError
//    otherwise), its volatility being that of the unconditional variance v_k. Every other regime
//    key keeps RegimeState's default (a Gaussian fit has no GARCH and no Student-t shocks, whatever
//    the base says);
//  - scenario.flat_regime kept if it names a calibrated regime, else the calmest regime.
// The result's source_name is `source_name`; source_text is left empty.
ModelConfig calibrated_config(const ModelConfig& base, const std::vector<std::string>& markets, const RegimeFit& fit,
                              double bar_seconds, double step_seconds, const std::string& source_name,
                              DriftChoice drift = DriftChoice::fitted);

}  // namespace margin_stress::calibration
