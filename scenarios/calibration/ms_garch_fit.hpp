// Markov-switching GARCH(1,1) in the form of Haas, Mittnik and Paolella (2004) for one market,
// fitted by direct maximum likelihood (docs/calibration.md, "MS-GARCH").
//
// Given s_t = k, r_t ~ N(mean_k, h_{k,t}). Every regime's variance runs its own recursion on every
// observation, whatever the regime:
//   h_{k,0} = v_k,    h_{k,t} = omega_k + alpha_k (r_{t-1} - mean_k)^2 + beta_k h_{k,t-1},
//   omega_k = v_k (1 - alpha_k - beta_k),
// with v_k > 0 the regime's unconditional variance, alpha_k, beta_k >= 0 and alpha_k + beta_k < 1.
// The densities therefore depend on the data but not on the regime path, and the Hamilton filter
// gives the exact likelihood. The chain starts from its stationary distribution.
#pragma once

#include <cstddef>
#include <vector>

#include "scenarios/calibration/regime_fit.hpp"

namespace margin_stress::calibration {

struct MsGarchOptions {
  int max_evaluations = 40000;  // likelihood evaluations per Nelder-Mead run
  int max_restarts = 6;         // Nelder-Mead is restarted from its answer until ln L stops improving
  double tolerance = 1e-9;      // on -ln L / n between simplex vertices, and between restarts
};

// h_{k,t}, [t][k], of every regime's recursion over `returns` (one market).
std::vector<double> ms_garch_conditional_variances(const std::vector<double>& returns,
                                                   const std::vector<RegimeEstimate>& states);

// The median over the sample of each regime's h_{k,t}: where its variance sat while the observed
// returns drove it (v_k is where it would settle if its own shocks did).
std::vector<double> median_conditional_variances(const std::vector<double>& returns,
                                                 const std::vector<RegimeEstimate>& states);

// l[t][k] = ln N(r_t; mean_k, h_{k,t}) for a one-market fit (fit.markets == 1, states hold
// covariance {v_k}, garch_alpha, garch_beta). `returns` has one entry per bar.
std::vector<double> ms_garch_log_densities(const std::vector<double>& returns,
                                           const std::vector<RegimeEstimate>& states);

// The exact log-likelihood of `fit` (its transition matrix, stationary start and states) on `returns`;
// -infinity when a parameter is outside the constraints above or the chain has no unique
// stationary distribution.
double ms_garch_log_likelihood(const std::vector<double>& returns, const RegimeFit& fit);

// Maximum likelihood from a one-market Gaussian fit `start` (its means, variances as v_k and
// transition matrix), with alpha and beta started from the best of a small grid of values shared by
// all regimes. Searches over unconstrained coordinates: mean_k / sd, ln(v_k / sd^2),
// logit(alpha_k + beta_k), logit(alpha_k / (alpha_k + beta_k)) and, per row of the transition
// matrix, the logs of p_ij / p_ii (sd: the sample standard deviation). Labels are ordered by
// ascending v_k; `iterations` counts likelihood evaluations. Free parameters: K(K-1) + 4K.
// Throws std::invalid_argument when start.markets != 1.
RegimeFit fit_ms_garch(const std::vector<double>& returns, const RegimeFit& start, const MsGarchOptions& options);

}  // namespace margin_stress::calibration
