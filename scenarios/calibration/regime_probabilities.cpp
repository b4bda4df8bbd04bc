#include "scenarios/calibration/regime_probabilities.hpp"

#include <cstdio>

#include "scenarios/calibration/gaussian_density.hpp"
#include "scenarios/calibration/hamilton_filter.hpp"
#include "scenarios/calibration/ms_garch_fit.hpp"
#include "scenarios/calibration/utc_time.hpp"

namespace margin_stress::calibration {

std::vector<double> smoothed_regime_probabilities(const ReturnSeries& data, const RegimeFit& fit) {
  const std::size_t regimes = fit.regime_count();
  const bool garch = fit.emission == EmissionModel::ms_garch;
  const std::vector<double> log_density = garch ? ms_garch_log_densities(data.log_returns, fit.states)
                                                : gaussian_log_densities(data.log_returns, fit.markets, fit.states);
  // Both fits start from the stationary distribution, as the model file does (docs/calibration.md).
  const FilterResult filter = hamilton_filter(log_density, regimes, fit.initial_distribution, fit.transition);
  return kim_smoother(filter, regimes, fit.transition).smoothed;
}

std::string regime_probabilities_csv(const ReturnSeries& data, const std::vector<double>& probabilities,
                                     const std::vector<std::string>& names) {
  const std::size_t regimes = names.size();
  std::string text = "timestamp_utc,regime";
  for (const std::string& name : names) text += ",p_" + name;
  text += '\n';
  char number[32];
  for (std::size_t t = 0; t < data.count(); ++t) {
    std::size_t likeliest = 0;
    for (std::size_t k = 1; k < regimes; ++k) {
      if (probabilities[t * regimes + k] > probabilities[t * regimes + likeliest]) likeliest = k;
    }
    text += format_utc_time(data.time_seconds[t]) + "," + names[likeliest];
    for (std::size_t k = 0; k < regimes; ++k) {
      std::snprintf(number, sizeof number, ",%.6f", probabilities[t * regimes + k]);
      text += number;
    }
    text += '\n';
  }
  return text;
}

}  // namespace margin_stress::calibration
