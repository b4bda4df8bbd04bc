// Multivariate normal log densities of the per-bar returns under each regime
// (docs/calibration.md, "The model").
#pragma once

#include <cstddef>
#include <vector>

#include "scenarios/calibration/regime_fit.hpp"

namespace margin_stress::calibration {

// l[t][k] = ln N(r_t; mean_k, covariance_k)
//         = -(M ln(2 pi) + ln det covariance_k + (r_t - mean_k)' covariance_k^-1 (r_t - mean_k)) / 2
// for the n = returns.size() / markets rows of `returns` ([t][m], row-major), through the Cholesky
// factor of each covariance. Throws std::invalid_argument when a covariance is not positive
// definite (a Cholesky pivot <= 1e-300 or below 1e-14 times its diagonal entry).
std::vector<double> gaussian_log_densities(const std::vector<double>& returns, std::size_t markets,
                                           const std::vector<RegimeEstimate>& states);

}  // namespace margin_stress::calibration
