// A fitted Markov-switching model of per-bar log returns (docs/calibration.md, "The model"),
// whichever way it was fitted (Gaussian EM or MS-GARCH maximum likelihood), in per-bar units.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace margin_stress::calibration {

enum class EmissionModel {
  gaussian,  // r_t | s_t = k ~ N(mean_k, covariance_k)
  ms_garch,  // one market, r_t | s_t = k ~ N(mean_k, h_{k,t}), h_k a GARCH(1,1) recursion (Haas-Mittnik-Paolella)
};

struct RegimeEstimate {
  std::vector<double> mean;        // per market, mean log return per bar
  std::vector<double> covariance;  // markets x markets, row-major, per bar; MS-GARCH: the unconditional variance
  double garch_alpha = 0.0;        // MS-GARCH only: weight of the last squared residual, per bar
  double garch_beta = 0.0;         // MS-GARCH only: weight of the last conditional variance, per bar
};

struct RegimeFit {
  EmissionModel emission = EmissionModel::gaussian;
  std::size_t markets = 0;
  std::vector<RegimeEstimate> states;        // ordered by ascending volatility (order_regimes_by_volatility)
  std::vector<double> transition;            // K x K, row-major, per bar
  std::vector<double> initial_distribution;  // K: the law of the regime at the first return (the
                                             // stationary one in a finished fit)
  double log_likelihood = 0.0;
  std::size_t observations = 0;      // returns the likelihood is over (n)
  std::size_t parameters = 0;        // free parameters (p), for BIC and AIC
  int iterations = 0;                // EM iterations, or likelihood evaluations of the MS-GARCH search
  bool converged = false;            // the stopping rule was met before the iteration cap
  std::size_t starts = 1;            // starting points tried
  std::size_t best_start = 0;        // the one kept (0-based)
  std::size_t starts_near_best = 1;  // starts that ended within 0.01 of the best log-likelihood

  std::size_t regime_count() const { return states.size(); }
};

// BIC = -2 ln L + p ln n and AIC = -2 ln L + 2 p.
double bayesian_information_criterion(const RegimeFit& fit);
double akaike_information_criterion(const RegimeFit& fit);

// The volatility a regime is ranked by: the trace of its covariance (the sum of the markets'
// per-bar variances).
double regime_volatility_rank(const RegimeEstimate& state);

// Relabels the regimes in ascending order of regime_volatility_rank (stable: ties keep their
// order), permuting states, the rows and columns of the transition matrix and the initial law
// together, so the fitted model is unchanged. EM's labels are arbitrary (label switching); this
// makes regime 0 the calmest in every fit.
void order_regimes_by_volatility(RegimeFit& fit);

// Regimes in which some market's variance is below 1e-4 of its sample variance over `returns`
// ([t][m]): such a regime has collapsed onto near-constant prices (stale quotes, an exchange
// halt), where the Gaussian likelihood grows without bound and only the EM ridge stops it. Its
// parameters describe the data's defect, not a market state.
std::vector<std::size_t> collapsed_regimes(const RegimeFit& fit, const std::vector<double>& returns);

// Free parameters of a Gaussian fit: K(K-1) transition + K M means + K M(M+1)/2 covariances. The
// initial law is not one: the fitted model starts from the chain's stationary distribution.
std::size_t gaussian_parameter_count(std::size_t regimes, std::size_t markets);

}  // namespace margin_stress::calibration
