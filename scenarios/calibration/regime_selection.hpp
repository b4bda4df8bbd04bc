// The number of regimes chosen by BIC (docs/calibration.md, "Choosing K"): `calibrate --regimes
// auto` fits K = 1 .. max_regimes and keeps the fit of least BIC.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "scenarios/calibration/em_fit.hpp"
#include "scenarios/calibration/regime_fit.hpp"

namespace margin_stress::calibration {

// The largest K tried by default: beyond 4 regimes the fits of hourly crypto returns split the
// fat tails rather than find market states, and fewer starts agree (docs/calibration.md).
inline constexpr std::size_t default_max_regimes = 4;

struct RegimeCandidate {
  std::size_t regimes = 0;
  bool fitted = false;  // false: the fit failed, for the reason in `failure`, and is not a candidate
  std::string failure;
  RegimeFit fit;  // when fitted
  double bic = 0.0;
  double aic = 0.0;
};

struct RegimeSelection {
  std::vector<RegimeCandidate> candidates;  // K = 1 .. max_regimes, in order
  std::size_t chosen = 0;                   // index into candidates: the least BIC (ties: the fewer regimes)
};

// fit_gaussian_regimes for every K = 1 .. max_regimes with `options` (its `regimes` ignored; the
// same seed, starts and threads for each K, one K after another), and the choice by BIC. A K whose
// fit throws std::invalid_argument (too few returns for its parameters, a chain with no unique
// stationary distribution) is recorded as not fitted. Throws std::invalid_argument when no K fits
// or max_regimes is 0.
RegimeSelection select_regime_count(const std::vector<double>& returns, std::size_t markets, EmOptions options,
                                    std::size_t max_regimes);

// The candidates' table: K, ln L, parameters, BIC, AIC and the chosen one, one line each.
std::string regime_selection_table(const RegimeSelection& selection);

}  // namespace margin_stress::calibration
