#include "host/engine/regime_filter.hpp"

#include <algorithm>
#include <cmath>

#include "host/model/time_units.hpp"
#include "scenarios/regime_chain.hpp"

namespace margin_stress {

RegimeFilter::RegimeFilter(const ModelConfig& config)
    : regimes_(config.regime_count()), markets_(config.market_count()), transition_(config.regimes.transition) {
  prior_ = config.regimes.initial_distribution.empty() ? stationary_distribution(transition_, regimes_)
                                                       : config.regimes.initial_distribution;
  const double dt_years = config.run.step_seconds / seconds_per_year;
  const double log_two_pi = std::log(2.0 * 3.14159265358979323846);
  for (const RegimeState& state : config.regimes.states) {
    std::vector<double> mean(markets_);
    std::vector<double> factor = cholesky_lower(state.correlation, markets_);
    double log_determinant = 0.0;
    for (std::size_t m = 0; m < markets_; ++m) {
      const double volatility = state.volatility[m];
      mean[m] = (state.drift[m] - volatility * volatility / 2.0) * dt_years;
      const double scale = volatility * std::sqrt(dt_years);
      for (std::size_t j = 0; j <= m; ++j) factor[m * markets_ + j] *= scale;  // D L
      log_determinant += 2.0 * std::log(factor[m * markets_ + m]);
    }
    mean_.push_back(std::move(mean));
    cholesky_.push_back(std::move(factor));
    log_normaliser_.push_back(-0.5 * (static_cast<double>(markets_) * log_two_pi + log_determinant));
  }
}

void RegimeFilter::update(std::vector<double>& probabilities, const std::vector<double>& log_returns) const {
  std::vector<double> log_weight(regimes_);
  std::vector<double> whitened(markets_);
  for (std::size_t k = 0; k < regimes_; ++k) {
    double predicted = 0.0;
    for (std::size_t j = 0; j < regimes_; ++j) predicted += probabilities[j] * transition_[j * regimes_ + k];
    // Solve L y = r - mean by forward substitution; the quadratic form is |y|^2.
    double quadratic = 0.0;
    for (std::size_t m = 0; m < markets_; ++m) {
      double value = log_returns[m] - mean_[k][m];
      for (std::size_t j = 0; j < m; ++j) value -= cholesky_[k][m * markets_ + j] * whitened[j];
      whitened[m] = value / cholesky_[k][m * markets_ + m];
      quadratic += whitened[m] * whitened[m];
    }
    log_weight[k] = predicted > 0.0 ? std::log(predicted) + log_normaliser_[k] - 0.5 * quadratic : -INFINITY;
  }
  // Normalise in the log domain: a crash return has a density far below double range in calm.
  const double largest = *std::max_element(log_weight.begin(), log_weight.end());
  double total = 0.0;
  for (std::size_t k = 0; k < regimes_; ++k) {
    probabilities[k] = std::exp(log_weight[k] - largest);
    total += probabilities[k];
  }
  for (double& probability : probabilities) probability /= total;
}

}  // namespace margin_stress
