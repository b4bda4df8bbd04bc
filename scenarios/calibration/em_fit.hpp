// Maximum-likelihood fit of a Gaussian Markov-switching model by EM (Baum-Welch) with random
// starts (docs/calibration.md, "Fitting by EM").
//
// One hidden chain s_t with K states drives all markets; given s_t = k the per-bar log returns
// r_t (M markets) are N(mean_k, covariance_k). Each EM iteration runs the Hamilton filter and the
// Kim smoother (E-step) and then sets, in closed form (M-step),
//   initial_k      = P(s_0 = k | all)   (during EM; the result starts from the stationary law)
//   transition_ij  = sum_t P(s_t = i, s_{t+1} = j | all) / sum_{t < n-1} P(s_t = i | all)
//   mean_k         = sum_t w_tk r_t / sum_t w_tk,                     w_tk = P(s_t = k | all)
//   covariance_k   = sum_t w_tk (r_t - mean_k)(r_t - mean_k)' / sum_t w_tk + ridge
// where the ridge adds ridge_fraction times each market's sample variance to the diagonal, so that
// no regime can collapse onto a handful of identical returns (an unbounded likelihood).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "scenarios/calibration/regime_fit.hpp"

namespace margin_stress::calibration {

struct EmOptions {
  std::size_t regimes = 2;
  std::size_t starts = 10;       // random starting points; the best log-likelihood wins
  std::uint64_t seed = 1;        // Philox key of the starting points
  int max_iterations = 500;      // per start
  double tolerance = 1e-8;       // stop when |Delta ln L| < tolerance * |ln L|
  double ridge_fraction = 1e-6;  // see above
  int threads = 0;               // starts run in parallel; 0: all hardware threads
};

// Philox stream of the random starts (counter {start, draw, stream, 0}, key = seed): above the
// scenario (0..99) and portfolio (100..104) streams, so it never shares a counter with them.
inline constexpr std::uint32_t stream_calibration_start = 200;

// The best of options.starts EM runs on `returns` ([t][m], row-major, `markets` columns), labels
// ordered by volatility. The starts compete on EM's own ln L (with its fitted initial law); the
// result then starts from the stationary distribution of its transition matrix, as the model
// file does, and its log_likelihood is re-evaluated there (parameters do not count the initial
// law). The result does not depend on options.threads: each start is a pure function of (seed,
// start index) and ties go to the lowest start. Throws std::invalid_argument when there are fewer
// returns than parameters, when no start ends with a finite likelihood, or when the best fit's
// chain has no unique stationary distribution.
RegimeFit fit_gaussian_regimes(const std::vector<double>& returns, std::size_t markets, const EmOptions& options);

// Starting point number `start`: every regime's mean is the sample mean, its covariance the sample
// covariance times a factor drawn log-uniformly from [e^-2.5, e^1.5] (so that the starts spread the
// regimes over calm and turbulent levels), the chain stays with probability uniform in [0.80, 0.99]
// and leaves evenly to the other regimes, the initial law is uniform.
RegimeFit em_starting_point(const std::vector<double>& returns, std::size_t markets, const EmOptions& options,
                            std::size_t start);

// EM iterations from `start` until the tolerance or options.max_iterations; the result's
// log_likelihood belongs to its parameters and `iterations` counts M-steps. Labels are not reordered.
RegimeFit run_em(const std::vector<double>& returns, std::size_t markets, RegimeFit start, const EmOptions& options);

}  // namespace margin_stress::calibration
