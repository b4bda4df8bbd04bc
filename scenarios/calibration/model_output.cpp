#include "scenarios/calibration/model_output.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "host/model/input_error.hpp"

namespace margin_stress::calibration {
namespace {

std::string number_text(double value) {
  std::ostringstream out;
  out.precision(6);
  out << value;
  return out.str();
}

}  // namespace

std::vector<double> rescale_transition(const std::vector<double>& transition, std::size_t regimes, double bar_seconds,
                                       double step_seconds) {
  const double ratio = step_seconds / bar_seconds;
  std::vector<double> out(regimes * regimes);
  for (std::size_t i = 0; i < regimes; ++i) {
    double leave = 0.0;
    for (std::size_t j = 0; j < regimes; ++j) {
      if (j == i) continue;
      out[i * regimes + j] = transition[i * regimes + j] * ratio;
      leave += out[i * regimes + j];
    }
    out[i * regimes + i] = 1.0 - leave;
    if (leave > 1.0) {
      throw InputError("regimes.transition row " + std::to_string(i) + ": the fitted probability of leaving regime " +
                       std::to_string(i) + " per " + number_text(bar_seconds) + " s bar, " +
                       number_text(1.0 - transition[i * regimes + i]) + ", becomes " + number_text(leave) + " per " +
                       number_text(step_seconds) +
                       " s step under the first-order rescaling p * step / bar, which is not a probability; use a "
                       "step no longer than the bar (--step-seconds " +
                       number_text(bar_seconds) + " or less)");
    }
  }
  return out;
}

std::vector<std::string> regime_names(std::size_t regimes) {
  if (regimes == 2) return {"calm", "crisis"};
  if (regimes == 3) return {"calm", "stressed", "crisis"};
  if (regimes == 4) return {"calm", "normal", "stressed", "crisis"};
  std::vector<std::string> names;
  for (std::size_t k = 0; k < regimes; ++k) names.push_back("regime_" + std::to_string(k + 1));
  return names;
}

std::vector<double> expected_stay_bars(const std::vector<double>& transition, std::size_t regimes) {
  std::vector<double> bars(regimes);
  for (std::size_t k = 0; k < regimes; ++k) {
    const double leave = 1.0 - transition[k * regimes + k];
    bars[k] = leave > 0.0 ? 1.0 / leave : std::numeric_limits<double>::infinity();
  }
  return bars;
}

ModelConfig calibrated_config(const ModelConfig& base, const std::vector<std::string>& markets, const RegimeFit& fit,
                              double bar_seconds, double step_seconds, const std::string& source_name,
                              DriftChoice drift) {
  ModelConfig config = base;
  config.source_name = source_name;
  config.source_text.clear();

  config.markets.clear();
  std::vector<double> share;
  std::vector<double> long_fraction;
  for (const std::string& name : markets) {
    std::size_t index = 0;
    while (index < base.markets.size() && base.markets[index].name != name) ++index;
    if (index == base.markets.size()) {
      std::string known;
      for (const MarketSpec& market : base.markets) known += (known.empty() ? "" : ", ") + market.name;
      throw InputError(base.source_name + ": [[markets]] has no market named '" + name + "' (it has " + known +
                       "); pass --config with a file whose [[markets]] defines " + name +
                       " (docs/config.md), or name the markets with --markets");
    }
    config.markets.push_back(base.markets[index]);
    share.push_back(index < base.portfolio.open_interest_share.size() ? base.portfolio.open_interest_share[index]
                                                                      : 0.0);
    long_fraction.push_back(index < base.portfolio.long_fraction.size() ? base.portfolio.long_fraction[index] : 0.5);
  }
  double share_total = 0.0;
  for (const double value : share) share_total += value;
  for (double& value : share) value = share_total > 0.0 ? value / share_total : 1.0 / static_cast<double>(share.size());
  config.portfolio.open_interest_share = share;
  config.portfolio.long_fraction = long_fraction;

  config.run.step_seconds = step_seconds;
  if (step_seconds != base.run.step_seconds) {
    config.margin_policy.ewma_lambda = std::pow(base.margin_policy.ewma_lambda, step_seconds / base.run.step_seconds);
  }

  const std::size_t regimes = fit.regime_count();
  const std::size_t m_count = markets.size();
  const bool garch = fit.emission == EmissionModel::ms_garch;
  if (garch && step_seconds != bar_seconds) {
    throw InputError(
        "run.step_seconds: an MS-GARCH fit has per-bar alpha and beta, which have no exact rescaling to "
        "another step; the model file needs steps of the bar, " +
        number_text(bar_seconds) + " s, not " + number_text(step_seconds) + " s (use --step-seconds " +
        number_text(bar_seconds) + ")");
  }
  const double bar_years = bar_seconds / seconds_per_year;
  const std::vector<std::string> names = regime_names(regimes);
  RegimeModel model;
  model.transition = rescale_transition(fit.transition, regimes, bar_seconds, step_seconds);
  for (std::size_t k = 0; k < regimes; ++k) {
    const RegimeEstimate& estimate = fit.states[k];
    RegimeState state;
    state.name = names[k];
    for (std::size_t m = 0; m < m_count; ++m) {
      const double volatility = std::sqrt(estimate.covariance[m * m_count + m] / bar_years);
      state.volatility.push_back(volatility);
      state.drift.push_back(drift == DriftChoice::zero ? 0.0
                                                       : estimate.mean[m] / bar_years + volatility * volatility / 2.0);
    }
    state.jump_mean.assign(m_count, 0.0);
    state.jump_stddev.assign(m_count, 0.0);
    state.jump_intensity_per_day = 0.0;
    if (garch) {
      state.garch_alpha = estimate.garch_alpha;
      state.garch_beta = estimate.garch_beta;
    }
    state.depth_multiplier =
        base.regime_count() == regimes
            ? base.regimes.states[k].depth_multiplier
            : (regimes == 1 ? 1.0 : 1.0 - 0.5 * static_cast<double>(k) / static_cast<double>(regimes - 1));
    state.correlation.assign(m_count * m_count, 0.0);
    for (std::size_t i = 0; i < m_count; ++i) {
      for (std::size_t j = 0; j < m_count; ++j) {
        state.correlation[i * m_count + j] =
            i == j ? 1.0
                   : estimate.covariance[i * m_count + j] /
                         std::sqrt(estimate.covariance[i * m_count + i] * estimate.covariance[j * m_count + j]);
      }
    }
    model.states.push_back(std::move(state));
  }
  config.regimes = std::move(model);
  if (std::find(names.begin(), names.end(), config.scenario.flat_regime) == names.end()) {
    config.scenario.flat_regime = names.front();
  }
  return config;
}

}  // namespace margin_stress::calibration
