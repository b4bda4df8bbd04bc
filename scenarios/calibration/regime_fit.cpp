#include "scenarios/calibration/regime_fit.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace margin_stress::calibration {

double bayesian_information_criterion(const RegimeFit& fit) {
  return -2.0 * fit.log_likelihood +
         static_cast<double>(fit.parameters) * std::log(static_cast<double>(fit.observations));
}

double akaike_information_criterion(const RegimeFit& fit) {
  return -2.0 * fit.log_likelihood + 2.0 * static_cast<double>(fit.parameters);
}

double regime_volatility_rank(const RegimeEstimate& state) {
  const std::size_t markets = state.mean.size();
  double trace = 0.0;
  for (std::size_t m = 0; m < markets; ++m) trace += state.covariance[m * markets + m];
  return trace;
}

void order_regimes_by_volatility(RegimeFit& fit) {
  const std::size_t regimes = fit.regime_count();
  std::vector<std::size_t> order(regimes);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return regime_volatility_rank(fit.states[a]) < regime_volatility_rank(fit.states[b]);
  });
  std::vector<RegimeEstimate> states(regimes);
  std::vector<double> transition(regimes * regimes);
  std::vector<double> initial(regimes);
  for (std::size_t i = 0; i < regimes; ++i) {
    states[i] = fit.states[order[i]];
    initial[i] = fit.initial_distribution[order[i]];
    for (std::size_t j = 0; j < regimes; ++j)
      transition[i * regimes + j] = fit.transition[order[i] * regimes + order[j]];
  }
  fit.states = std::move(states);
  fit.transition = std::move(transition);
  fit.initial_distribution = std::move(initial);
}

std::vector<std::size_t> collapsed_regimes(const RegimeFit& fit, const std::vector<double>& returns) {
  const std::size_t markets = fit.markets;
  const std::size_t n = returns.size() / markets;
  std::vector<std::size_t> collapsed;
  for (std::size_t k = 0; k < fit.regime_count(); ++k) {
    bool flat = false;
    for (std::size_t m = 0; m < markets; ++m) {
      double mean = 0.0;
      for (std::size_t t = 0; t < n; ++t) mean += returns[t * markets + m] / static_cast<double>(n);
      double variance = 0.0;
      for (std::size_t t = 0; t < n; ++t) {
        const double d = returns[t * markets + m] - mean;
        variance += d * d / static_cast<double>(n);
      }
      flat = flat || fit.states[k].covariance[m * markets + m] < 1e-4 * variance;
    }
    if (flat) collapsed.push_back(k);
  }
  return collapsed;
}

std::size_t gaussian_parameter_count(std::size_t regimes, std::size_t markets) {
  return regimes * (regimes - 1) + regimes * markets + regimes * markets * (markets + 1) / 2;
}

}  // namespace margin_stress::calibration
