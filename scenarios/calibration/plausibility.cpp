#include "scenarios/calibration/plausibility.hpp"

#include <cmath>
#include <cstdio>

#include "host/model/text_format.hpp"
#include "scenarios/calibration/model_output.hpp"
#include "scenarios/calibration/ms_garch_fit.hpp"

namespace margin_stress::calibration {
std::vector<std::string> plausibility_warnings(const RegimeFit& fit, const ModelConfig& model,
                                               const std::vector<double>& returns, double bar_seconds,
                                               DriftChoice drift) {
  std::vector<std::string> warnings;
  const double bar_years = bar_seconds / seconds_per_year;
  for (std::size_t k = 0; k < fit.regime_count(); ++k) {
    const RegimeState& state = model.regimes.states[k];
    for (std::size_t m = 0; m < fit.markets; ++m) {
      const std::string where = state.name + ", " + model.markets[m].name + ": ";
      if (state.volatility[m] > max_plausible_volatility) {
        warnings.push_back(where +
                           printf_string("volatility %.3g a year is above %.3g, wilder than any day of BTC's or ETH's "
                                         "2017-2023 history; not a market state to stress with (docs/calibration.md, "
                                         "\"Plausibility\")",
                                         state.volatility[m], max_plausible_volatility));
      }
      const double log_drift = fit.states[k].mean[m] / bar_years;
      if (drift == DriftChoice::fitted && std::fabs(log_drift) > max_plausible_log_drift) {
        warnings.push_back(
            where + printf_string("the fitted trend of the log price is %+.3g a year, beyond +-%.3g: a bull or bear "
                                  "phase of the sample; --zero-drift writes drift = 0 for stress runs",
                                  log_drift, max_plausible_log_drift));
      }
    }
  }
  if (fit.emission == EmissionModel::ms_garch) {
    const std::vector<double> medians = median_conditional_variances(returns, fit.states);
    for (std::size_t k = 0; k < fit.regime_count(); ++k) {
      const double ratio = std::sqrt(fit.states[k].covariance[0] / medians[k]);
      if (ratio > max_garch_start_ratio || ratio < 1.0 / max_garch_start_ratio) {
        warnings.push_back(
            model.regimes.states[k].name +
            printf_string(": a run starts this MS-GARCH regime at sqrt(v) = %.3g times its median "
                          "conditional sd over the sample (allowed %.3g to %.3g), so its first steps are far "
                          "from what was fitted; use the Gaussian fit for stress runs (docs/calibration.md, "
                          "\"MS-GARCH\")",
                          ratio, 1.0 / max_garch_start_ratio, max_garch_start_ratio));
      }
    }
  }
  return warnings;
}

}  // namespace margin_stress::calibration
