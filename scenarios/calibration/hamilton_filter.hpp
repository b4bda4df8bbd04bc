// The Hamilton filter and the Kim smoother of a K-state Markov-switching model
// (docs/calibration.md, "Filter and smoother").
//
// Inputs are per-observation log densities l_t(k) = ln f(r_t | s_t = k), so the same code serves
// the Gaussian model and MS-GARCH, whose densities depend on the data but not on the regime path.
// The filter runs in scaled form: at each t the densities are divided by exp(max_k l_t(k)), so that
// no product underflows, and the log-likelihood adds the scale back.
#pragma once

#include <cstddef>
#include <vector>

namespace margin_stress::calibration {

struct FilterResult {
  double log_likelihood = 0.0;    // ln f(r_0 .. r_{n-1})
  std::vector<double> predicted;  // [t][k]: P(s_t = k | r_0 .. r_{t-1}); t = 0 is the initial law
  std::vector<double> filtered;   // [t][k]: P(s_t = k | r_0 .. r_t)
};

struct SmootherResult {
  std::vector<double> smoothed;           // [t][k]: P(s_t = k | r_0 .. r_{n-1})
  std::vector<double> transition_counts;  // [i][j]: sum over t < n-1 of P(s_t = i, s_{t+1} = j | all)
};

// Forward pass over n = log_density.size() / regimes observations, with P(s_0 = k) = initial[k] and
// P(s_{t+1} = j | s_t = i) = transition[i * K + j]. If an observation has zero density under every
// regime the prediction gives weight to, the log-likelihood is -infinity (and the filter stops
// there). Preconditions: n >= 1, initial and the rows of transition are probability vectors.
FilterResult hamilton_filter(const std::vector<double>& log_density, std::size_t regimes,
                             const std::vector<double>& initial, const std::vector<double>& transition);

// The log-likelihood alone (the same arithmetic as hamilton_filter, without storing the paths).
double hamilton_log_likelihood(const std::vector<double>& log_density, std::size_t regimes,
                               const std::vector<double>& initial, const std::vector<double>& transition);

// Kim's backward recursion on a finite filter result:
//   P(s_t = i | all) = P(s_t = i | r_0..r_t) * sum_j P_ij P(s_{t+1} = j | all) / P(s_{t+1} = j | r_0..r_t),
// with the joint probabilities of (s_t, s_{t+1}) that the EM step for P needs summed over t.
SmootherResult kim_smoother(const FilterResult& filter, std::size_t regimes, const std::vector<double>& transition);

}  // namespace margin_stress::calibration
