#include "scenarios/calibration/em_fit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "host/model/parallel_for.hpp"
#include "scenarios/calibration/gaussian_density.hpp"
#include "scenarios/calibration/hamilton_filter.hpp"
#include "scenarios/regime_chain.hpp"
#include "scenarios/rng.hpp"

namespace margin_stress::calibration {
namespace {

struct SampleMoments {
  std::vector<double> mean;
  std::vector<double> covariance;
};

SampleMoments sample_moments(const std::vector<double>& returns, std::size_t markets) {
  const std::size_t n = returns.size() / markets;
  SampleMoments moments{std::vector<double>(markets, 0.0), std::vector<double>(markets * markets, 0.0)};
  for (std::size_t t = 0; t < n; ++t) {
    for (std::size_t m = 0; m < markets; ++m) moments.mean[m] += returns[t * markets + m];
  }
  for (double& value : moments.mean) value /= static_cast<double>(n);
  for (std::size_t t = 0; t < n; ++t) {
    for (std::size_t i = 0; i < markets; ++i) {
      for (std::size_t j = 0; j < markets; ++j) {
        moments.covariance[i * markets + j] +=
            (returns[t * markets + i] - moments.mean[i]) * (returns[t * markets + j] - moments.mean[j]);
      }
    }
  }
  for (double& value : moments.covariance) value /= static_cast<double>(n);
  return moments;
}

struct EStep {
  FilterResult filter;
  SmootherResult smoother;
};

EStep expectation(const std::vector<double>& returns, std::size_t markets, const RegimeFit& fit) {
  EStep step;
  const std::size_t regimes = fit.regime_count();
  step.filter = hamilton_filter(gaussian_log_densities(returns, markets, fit.states), regimes, fit.initial_distribution,
                                fit.transition);
  if (std::isfinite(step.filter.log_likelihood)) step.smoother = kim_smoother(step.filter, regimes, fit.transition);
  return step;
}

// The closed-form M-step (em_fit.hpp). A regime with (numerically) no weight keeps its previous
// parameters: its sample moments are undefined, and it can still regain weight later.
void maximization(const std::vector<double>& returns, std::size_t markets, const SmootherResult& smoother,
                  const std::vector<double>& ridge, RegimeFit& fit) {
  const std::size_t regimes = fit.regime_count();
  const std::size_t n = returns.size() / markets;
  const std::vector<double>& w = smoother.smoothed;
  for (std::size_t k = 0; k < regimes; ++k) fit.initial_distribution[k] = w[k];
  for (std::size_t i = 0; i < regimes; ++i) {
    double row = 0.0;
    for (std::size_t j = 0; j < regimes; ++j) row += smoother.transition_counts[i * regimes + j];
    if (row > 0.0) {
      for (std::size_t j = 0; j < regimes; ++j)
        fit.transition[i * regimes + j] = smoother.transition_counts[i * regimes + j] / row;
    }
  }
  for (std::size_t k = 0; k < regimes; ++k) {
    double weight = 0.0;
    std::vector<double> mean(markets, 0.0);
    for (std::size_t t = 0; t < n; ++t) {
      weight += w[t * regimes + k];
      for (std::size_t m = 0; m < markets; ++m) mean[m] += w[t * regimes + k] * returns[t * markets + m];
    }
    if (!(weight > 1e-9 * static_cast<double>(n))) continue;
    for (double& value : mean) value /= weight;
    std::vector<double> covariance(markets * markets, 0.0);
    for (std::size_t t = 0; t < n; ++t) {
      const double wt = w[t * regimes + k];
      for (std::size_t i = 0; i < markets; ++i) {
        const double di = returns[t * markets + i] - mean[i];
        for (std::size_t j = 0; j <= i; ++j)
          covariance[i * markets + j] += wt * di * (returns[t * markets + j] - mean[j]);
      }
    }
    for (std::size_t i = 0; i < markets; ++i) {
      for (std::size_t j = 0; j <= i; ++j) {
        covariance[i * markets + j] /= weight;
        covariance[j * markets + i] = covariance[i * markets + j];
      }
      covariance[i * markets + i] += ridge[i];
    }
    fit.states[k].mean = std::move(mean);
    fit.states[k].covariance = std::move(covariance);
  }
}

// The model file leaves regimes.initial_distribution out, so the model it describes starts from
// the chain's stationary distribution; the reported ln L is that model's (docs/calibration.md,
// "The initial law"). EM's own delta only moves the first return's term.
void start_from_stationary_distribution(const std::vector<double>& returns, std::size_t markets, RegimeFit& fit) {
  const std::size_t regimes = fit.regime_count();
  try {
    fit.initial_distribution = stationary_distribution(fit.transition, regimes);
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument("the fitted " + std::to_string(regimes) +
                                "-regime chain has no unique stationary distribution to start from (" + error.what() +
                                "); fit fewer regimes");
  }
  fit.log_likelihood = hamilton_log_likelihood(gaussian_log_densities(returns, markets, fit.states), regimes,
                                               fit.initial_distribution, fit.transition);
}

}  // namespace

RegimeFit em_starting_point(const std::vector<double>& returns, std::size_t markets, const EmOptions& options,
                            std::size_t start) {
  const std::size_t regimes = options.regimes;
  const SampleMoments moments = sample_moments(returns, markets);
  const rng::philox_key key = rng::make_key(options.seed);
  std::uint32_t draw = 0;
  const auto uniform = [&]() {
    const rng::philox_counter counter = {{static_cast<std::uint32_t>(start), draw++, stream_calibration_start, 0}};
    return rng::first_uniform(rng::draw_block(key, counter));
  };
  RegimeFit fit;
  fit.emission = EmissionModel::gaussian;
  fit.markets = markets;
  fit.states.resize(regimes);
  for (RegimeEstimate& state : fit.states) {
    const double factor = std::exp(-2.5 + 4.0 * uniform());
    state.mean = moments.mean;
    state.covariance = moments.covariance;
    for (double& value : state.covariance) value *= factor;
  }
  fit.transition.assign(regimes * regimes, 0.0);
  for (std::size_t i = 0; i < regimes; ++i) {
    const double stay = regimes == 1 ? 1.0 : 0.80 + 0.19 * uniform();
    for (std::size_t j = 0; j < regimes; ++j) {
      fit.transition[i * regimes + j] = i == j ? stay : (1.0 - stay) / static_cast<double>(regimes - 1);
    }
  }
  fit.initial_distribution.assign(regimes, 1.0 / static_cast<double>(regimes));
  fit.observations = returns.size() / markets;
  fit.parameters = gaussian_parameter_count(regimes, markets);
  return fit;
}

RegimeFit run_em(const std::vector<double>& returns, std::size_t markets, RegimeFit fit, const EmOptions& options) {
  const SampleMoments moments = sample_moments(returns, markets);
  std::vector<double> ridge(markets);
  for (std::size_t m = 0; m < markets; ++m) ridge[m] = options.ridge_fraction * moments.covariance[m * markets + m];

  fit.iterations = 0;
  fit.converged = false;
  EStep step;
  try {
    step = expectation(returns, markets, fit);
    fit.log_likelihood = step.filter.log_likelihood;
  } catch (const std::invalid_argument&) {
    // A singular starting covariance (two markets moving identically): this start is unusable.
    fit.log_likelihood = -std::numeric_limits<double>::infinity();
  }
  while (std::isfinite(fit.log_likelihood) && fit.iterations < options.max_iterations) {
    RegimeFit next = fit;
    maximization(returns, markets, step.smoother, ridge, next);
    try {
      step = expectation(returns, markets, next);
    } catch (const std::invalid_argument&) {
      break;  // a covariance lost positive definiteness: keep the last valid parameters
    }
    next.log_likelihood = step.filter.log_likelihood;
    next.iterations = fit.iterations + 1;
    if (!std::isfinite(next.log_likelihood)) break;
    const double change = std::abs(next.log_likelihood - fit.log_likelihood);
    fit = std::move(next);
    if (change < options.tolerance * std::abs(fit.log_likelihood)) {
      fit.converged = true;
      break;
    }
  }
  return fit;
}

RegimeFit fit_gaussian_regimes(const std::vector<double>& returns, std::size_t markets, const EmOptions& options) {
  const std::size_t n = returns.size() / markets;
  const std::size_t parameters = gaussian_parameter_count(options.regimes, markets);
  if (n <= parameters) {
    throw std::invalid_argument(std::to_string(n) + " returns cannot identify " + std::to_string(parameters) +
                                " parameters (" + std::to_string(options.regimes) + " regimes, " +
                                std::to_string(markets) + " markets)");
  }
  const std::size_t starts = std::max<std::size_t>(options.starts, 1);
  std::vector<RegimeFit> fits(starts);
  // Each start writes only its own fit; a failure is that of the lowest failing start, the same
  // for any thread count (host/model/parallel_for.hpp).
  parallel_for(static_cast<std::int64_t>(starts), options.threads, [&](std::int64_t s) {
    const auto start = static_cast<std::size_t>(s);
    fits[start] = run_em(returns, markets, em_starting_point(returns, markets, options, start), options);
  });

  std::size_t best = starts;
  for (std::size_t s = 0; s < starts; ++s) {
    if (std::isfinite(fits[s].log_likelihood) && (best == starts || fits[s].log_likelihood > fits[best].log_likelihood))
      best = s;
  }
  if (best == starts) throw std::invalid_argument("no EM start reached a finite log-likelihood");
  RegimeFit result = fits[best];
  result.starts = starts;
  result.best_start = best;
  result.starts_near_best = 0;
  for (const RegimeFit& fit : fits) {
    if (std::isfinite(fit.log_likelihood) && fit.log_likelihood >= result.log_likelihood - 0.01)
      ++result.starts_near_best;
  }
  order_regimes_by_volatility(result);
  start_from_stationary_distribution(returns, markets, result);
  return result;
}

}  // namespace margin_stress::calibration
