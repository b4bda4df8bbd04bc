#include "scenarios/calibration/hamilton_filter.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace margin_stress::calibration {
namespace {

// One filter step from the prediction at t: writes the filtered law into `filtered`, returns
// ln f(r_t | r_0..r_{t-1}).
double filter_step(const double* log_density, const double* predicted, double* filtered, std::size_t regimes) {
  double scale = -std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < regimes; ++k) {
    if (predicted[k] > 0.0) scale = std::max(scale, log_density[k]);
  }
  if (!std::isfinite(scale)) return -std::numeric_limits<double>::infinity();
  double total = 0.0;
  for (std::size_t k = 0; k < regimes; ++k) {
    filtered[k] = predicted[k] > 0.0 ? predicted[k] * std::exp(log_density[k] - scale) : 0.0;
    total += filtered[k];
  }
  for (std::size_t k = 0; k < regimes; ++k) filtered[k] /= total;
  return scale + std::log(total);
}

void predict(const double* filtered, const std::vector<double>& transition, double* next, std::size_t regimes) {
  for (std::size_t j = 0; j < regimes; ++j) next[j] = 0.0;
  for (std::size_t i = 0; i < regimes; ++i) {
    for (std::size_t j = 0; j < regimes; ++j) next[j] += filtered[i] * transition[i * regimes + j];
  }
}

}  // namespace

FilterResult hamilton_filter(const std::vector<double>& log_density, std::size_t regimes,
                             const std::vector<double>& initial, const std::vector<double>& transition) {
  const std::size_t n = log_density.size() / regimes;
  FilterResult result;
  result.predicted.assign(n * regimes, 0.0);
  result.filtered.assign(n * regimes, 0.0);
  std::copy(initial.begin(), initial.end(), result.predicted.begin());
  for (std::size_t t = 0; t < n; ++t) {
    const double step =
        filter_step(&log_density[t * regimes], &result.predicted[t * regimes], &result.filtered[t * regimes], regimes);
    result.log_likelihood += step;
    if (!std::isfinite(step)) return result;
    if (t + 1 < n) predict(&result.filtered[t * regimes], transition, &result.predicted[(t + 1) * regimes], regimes);
  }
  return result;
}

double hamilton_log_likelihood(const std::vector<double>& log_density, std::size_t regimes,
                               const std::vector<double>& initial, const std::vector<double>& transition) {
  const std::size_t n = log_density.size() / regimes;
  std::vector<double> predicted(initial);
  std::vector<double> filtered(regimes);
  double log_likelihood = 0.0;
  for (std::size_t t = 0; t < n; ++t) {
    const double step = filter_step(&log_density[t * regimes], predicted.data(), filtered.data(), regimes);
    log_likelihood += step;
    if (!std::isfinite(step)) return log_likelihood;
    predict(filtered.data(), transition, predicted.data(), regimes);
  }
  return log_likelihood;
}

SmootherResult kim_smoother(const FilterResult& filter, std::size_t regimes, const std::vector<double>& transition) {
  const std::size_t n = filter.filtered.size() / regimes;
  SmootherResult result;
  result.smoothed.assign(n * regimes, 0.0);
  result.transition_counts.assign(regimes * regimes, 0.0);
  std::copy(filter.filtered.end() - static_cast<std::ptrdiff_t>(regimes), filter.filtered.end(),
            result.smoothed.end() - static_cast<std::ptrdiff_t>(regimes));
  std::vector<double> ratio(regimes);
  for (std::size_t t = n - 1; t-- > 0;) {
    const double* next_smoothed = &result.smoothed[(t + 1) * regimes];
    const double* next_predicted = &filter.predicted[(t + 1) * regimes];
    // A regime the prediction rules out is also ruled out in the smoothed law: its ratio is 0.
    for (std::size_t j = 0; j < regimes; ++j) {
      ratio[j] = next_predicted[j] > 0.0 ? next_smoothed[j] / next_predicted[j] : 0.0;
    }
    const double* filtered = &filter.filtered[t * regimes];
    double total = 0.0;
    for (std::size_t i = 0; i < regimes; ++i) {
      double sum = 0.0;
      for (std::size_t j = 0; j < regimes; ++j) {
        const double joint = filtered[i] * transition[i * regimes + j] * ratio[j];
        result.transition_counts[i * regimes + j] += joint;
        sum += joint;
      }
      result.smoothed[t * regimes + i] = sum;
      total += sum;
    }
    // Exact arithmetic gives total = 1; renormalising stops rounding from drifting over 50,000 steps.
    for (std::size_t i = 0; i < regimes; ++i) result.smoothed[t * regimes + i] /= total;
  }
  return result;
}

}  // namespace margin_stress::calibration
