#include "scenarios/calibration/ms_garch_fit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "scenarios/calibration/hamilton_filter.hpp"
#include "scenarios/calibration/nelder_mead.hpp"
#include "scenarios/regime_chain.hpp"

namespace margin_stress::calibration {
namespace {

constexpr double log_two_pi = 1.8378770664093454836;

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double logit(double p) { return std::log(p / (1.0 - p)); }

struct Scale {
  double mean = 0.0;
  double sd = 1.0;
};

// Coordinates per regime: 4; then K - 1 per row of the transition matrix.
std::vector<double> to_coordinates(const RegimeFit& fit, const Scale& scale) {
  const std::size_t regimes = fit.regime_count();
  std::vector<double> x;
  for (const RegimeEstimate& state : fit.states) {
    const double persistence = state.garch_alpha + state.garch_beta;
    x.push_back(state.mean[0] / scale.sd);
    x.push_back(std::log(state.covariance[0] / (scale.sd * scale.sd)));
    x.push_back(logit(persistence));
    x.push_back(logit(state.garch_alpha / persistence));
  }
  for (std::size_t i = 0; i < regimes; ++i) {
    for (std::size_t j = 0; j < regimes; ++j) {
      if (j != i) x.push_back(std::log(fit.transition[i * regimes + j] / fit.transition[i * regimes + i]));
    }
  }
  return x;
}

void from_coordinates(const std::vector<double>& x, const Scale& scale, RegimeFit& fit) {
  const std::size_t regimes = fit.regime_count();
  std::size_t c = 0;
  for (RegimeEstimate& state : fit.states) {
    state.mean = {x[c] * scale.sd};
    state.covariance = {std::exp(x[c + 1]) * scale.sd * scale.sd};
    const double persistence = logistic(x[c + 2]);
    state.garch_alpha = persistence * logistic(x[c + 3]);
    state.garch_beta = persistence - state.garch_alpha;
    c += 4;
  }
  for (std::size_t i = 0; i < regimes; ++i) {
    // Softmax with the diagonal as reference; the largest exponent is subtracted to avoid overflow.
    double largest = 0.0;
    for (std::size_t j = 0, d = c; j < regimes; ++j) {
      if (j != i) largest = std::max(largest, x[d++]);
    }
    double total = std::exp(-largest);
    for (std::size_t j = 0, d = c; j < regimes; ++j) {
      if (j != i) total += std::exp(x[d++] - largest);
    }
    for (std::size_t j = 0; j < regimes; ++j) {
      fit.transition[i * regimes + j] = (j == i ? std::exp(-largest) : std::exp(x[c++] - largest)) / total;
    }
  }
}

}  // namespace

std::vector<double> ms_garch_conditional_variances(const std::vector<double>& returns,
                                                   const std::vector<RegimeEstimate>& states) {
  const std::size_t regimes = states.size();
  const std::size_t n = returns.size();
  std::vector<double> out(n * regimes);
  for (std::size_t k = 0; k < regimes; ++k) {
    const double mean = states[k].mean[0];
    const double alpha = states[k].garch_alpha;
    const double beta = states[k].garch_beta;
    const double omega = states[k].covariance[0] * (1.0 - alpha - beta);
    double variance = states[k].covariance[0];
    for (std::size_t t = 0; t < n; ++t) {
      out[t * regimes + k] = variance;
      const double residual = returns[t] - mean;
      variance = omega + alpha * residual * residual + beta * variance;
    }
  }
  return out;
}

std::vector<double> median_conditional_variances(const std::vector<double>& returns,
                                                 const std::vector<RegimeEstimate>& states) {
  const std::size_t regimes = states.size();
  const std::vector<double> variances = ms_garch_conditional_variances(returns, states);
  std::vector<double> medians(regimes);
  for (std::size_t k = 0; k < regimes; ++k) {
    std::vector<double> path(returns.size());
    for (std::size_t t = 0; t < path.size(); ++t) path[t] = variances[t * regimes + k];
    std::nth_element(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(path.size() / 2), path.end());
    medians[k] = path[path.size() / 2];
  }
  return medians;
}

std::vector<double> ms_garch_log_densities(const std::vector<double>& returns,
                                           const std::vector<RegimeEstimate>& states) {
  const std::size_t regimes = states.size();
  std::vector<double> out = ms_garch_conditional_variances(returns, states);
  for (std::size_t t = 0; t < returns.size(); ++t) {
    for (std::size_t k = 0; k < regimes; ++k) {
      const double variance = out[t * regimes + k];
      const double residual = returns[t] - states[k].mean[0];
      out[t * regimes + k] = -0.5 * (log_two_pi + std::log(variance) + residual * residual / variance);
    }
  }
  return out;
}

double ms_garch_log_likelihood(const std::vector<double>& returns, const RegimeFit& fit) {
  constexpr double minus_infinity = -std::numeric_limits<double>::infinity();
  for (const RegimeEstimate& state : fit.states) {
    const double persistence = state.garch_alpha + state.garch_beta;
    if (!(state.covariance[0] > 0.0 && state.garch_alpha >= 0.0 && state.garch_beta >= 0.0 && persistence < 1.0)) {
      return minus_infinity;
    }
  }
  std::vector<double> initial;
  try {
    initial = stationary_distribution(fit.transition, fit.regime_count());
  } catch (const std::invalid_argument&) {
    return minus_infinity;
  }
  return hamilton_log_likelihood(ms_garch_log_densities(returns, fit.states), fit.regime_count(), initial,
                                 fit.transition);
}

RegimeFit fit_ms_garch(const std::vector<double>& returns, const RegimeFit& start, const MsGarchOptions& options) {
  if (start.markets != 1) {
    throw std::invalid_argument("MS-GARCH is fitted to one market; got " + std::to_string(start.markets));
  }
  const std::size_t regimes = start.regime_count();
  const std::size_t n = returns.size();
  Scale scale;
  for (const double r : returns) scale.mean += r / static_cast<double>(n);
  double variance = 0.0;
  for (const double r : returns) variance += (r - scale.mean) * (r - scale.mean) / static_cast<double>(n);
  scale.sd = std::sqrt(variance);

  RegimeFit fit = start;
  fit.emission = EmissionModel::ms_garch;
  fit.parameters = regimes * (regimes - 1) + 4 * regimes;
  fit.initial_distribution.assign(regimes, 1.0 / static_cast<double>(regimes));
  // The Gaussian fit can leave a probability at exactly 0 (a transition never seen), which has no
  // finite coordinate: nudge it inside.
  for (std::size_t i = 0; i < regimes; ++i) {
    double total = 0.0;
    for (std::size_t j = 0; j < regimes; ++j)
      total += (fit.transition[i * regimes + j] = std::max(fit.transition[i * regimes + j], 1e-9));
    for (std::size_t j = 0; j < regimes; ++j) fit.transition[i * regimes + j] /= total;
  }

  // Starting alpha and beta: the best of a small grid, the same in every regime.
  double best_start = -std::numeric_limits<double>::infinity();
  RegimeFit candidate = fit;
  for (const double persistence : {0.5, 0.9, 0.97, 0.99}) {
    for (const double alpha_share : {0.05, 0.15, 0.3}) {
      for (RegimeEstimate& state : candidate.states) {
        state.garch_alpha = persistence * alpha_share;
        state.garch_beta = persistence - state.garch_alpha;
      }
      const double value = ms_garch_log_likelihood(returns, candidate);
      if (value > best_start) {
        best_start = value;
        fit = candidate;
      }
    }
  }

  RegimeFit trial = fit;
  const auto objective = [&](const std::vector<double>& x) {
    from_coordinates(x, scale, trial);
    return -ms_garch_log_likelihood(returns, trial) / static_cast<double>(n);
  };
  std::vector<double> x = to_coordinates(fit, scale);
  double value = objective(x);
  int evaluations = 1;
  fit.converged = false;
  for (int restart = 0; restart < options.max_restarts; ++restart) {
    const NelderMeadResult result =
        nelder_mead_minimize(objective, x, restart == 0 ? 0.5 : 0.1, options.tolerance, 1e-6, options.max_evaluations);
    evaluations += result.evaluations;
    const double improvement = value - result.value;
    if (result.value <= value) {
      x = result.minimum;
      value = result.value;
    }
    // A restart re-examines the answer with a fresh simplex; converged when it no longer improves.
    if (result.converged && improvement <= options.tolerance) {
      fit.converged = true;
      break;
    }
  }
  from_coordinates(x, scale, fit);
  fit.initial_distribution = stationary_distribution(fit.transition, regimes);
  fit.log_likelihood = ms_garch_log_likelihood(returns, fit);
  fit.iterations = evaluations;
  order_regimes_by_volatility(fit);
  return fit;
}

}  // namespace margin_stress::calibration
