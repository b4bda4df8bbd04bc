#include "scenarios/calibration/calibration_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "host/model/text_format.hpp"
#include "scenarios/calibration/model_output.hpp"
#include "scenarios/calibration/ms_garch_fit.hpp"
#include "scenarios/calibration/utc_time.hpp"
#include "scenarios/regime_chain.hpp"

namespace margin_stress::calibration {
namespace {

std::string method_name(const RegimeFit& fit) {
  return fit.emission == EmissionModel::gaussian ? "Markov-switching Gaussian"
                                                 : "Markov-switching GARCH(1,1) (Haas-Mittnik-Paolella)";
}

std::string matrix_rows(const std::vector<std::string>& names, const std::vector<double>& matrix, std::size_t n) {
  std::string text;
  for (std::size_t i = 0; i < n; ++i) {
    text += printf_string("  %-10s [", names[i].c_str());
    for (std::size_t j = 0; j < n; ++j) text += printf_string("%s%.8f", j == 0 ? "" : ", ", matrix[i * n + j]);
    text += "]\n";
  }
  return text;
}

}  // namespace

std::string calibration_report(const CalibrationRecord& record) {
  const ReturnSeries& data = record.data;
  const RegimeFit& fit = record.fit;
  const std::size_t regimes = fit.regime_count();
  const std::size_t markets = fit.markets;
  const std::vector<std::string> names = regime_names(regimes);
  const double bar_hours = record.bar_seconds / 3600.0;

  std::string text = "margin-stress calibrate: " + method_name(fit) + " model of per-bar log returns, " +
                     std::to_string(regimes) + " regimes (docs/calibration.md)\n";
  for (std::size_t m = 0; m < markets; ++m) text += "source      " + data.markets[m] + ": " + data.sources[m] + "\n";
  text += "window      " + format_utc_time(data.time_seconds.front() - data.bar_seconds) + " to " +
          format_utc_time(data.time_seconds.back()) +
          printf_string(", bars of %lld s\n", static_cast<long long>(data.bar_seconds));
  text += printf_string("bars        %zu common bars, %zu returns, %zu across gaps dropped\n", data.common_bars,
                        data.count(), data.gaps);
  if (fit.emission == EmissionModel::gaussian) {
    text += printf_string(
        "fit         EM from %zu random starts (seed %llu): best start %zu, %zu start(s) within 0.01 of its ln L; "
        "%d iterations, %s\n",
        fit.starts, static_cast<unsigned long long>(record.seed), fit.best_start, fit.starts_near_best, fit.iterations,
        fit.converged ? "converged (relative change < 1e-8)" : "NOT converged (iteration cap)");
  } else {
    text += printf_string(
        "fit         Nelder-Mead maximum likelihood from the Gaussian EM fit (seed %llu): %d likelihood "
        "evaluations, %s\n",
        static_cast<unsigned long long>(record.seed), fit.iterations,
        fit.converged ? "converged" : "NOT converged (evaluation cap)");
  }
  text += printf_string("likelihood  ln L = %.3f, %zu parameters, n = %zu, BIC = %.3f, AIC = %.3f\n",
                        fit.log_likelihood, fit.parameters, fit.observations, bayesian_information_criterion(fit),
                        akaike_information_criterion(fit));

  const std::vector<double> stationary = stationary_or_nan(fit);
  const std::vector<double> stay = expected_stay_bars(fit.transition, regimes);
  text += "per bar     regimes by ascending volatility; mean and sd of the log return per bar";
  text += fit.emission == EmissionModel::ms_garch ? " (sd: unconditional)\n" : "\n";
  for (std::size_t k = 0; k < regimes; ++k) {
    const RegimeEstimate& state = fit.states[k];
    text += printf_string("  %-10s stationary %.4f, stay %.1f bars (%.1f h)", names[k].c_str(), stationary[k], stay[k],
                          stay[k] * bar_hours);
    for (std::size_t m = 0; m < markets; ++m) {
      text += printf_string(", %s mean %.3e sd %.3e", data.markets[m].c_str(), state.mean[m],
                            std::sqrt(state.covariance[m * markets + m]));
    }
    for (std::size_t i = 0; i < markets; ++i) {
      for (std::size_t j = i + 1; j < markets; ++j) {
        text += printf_string(", corr %s-%s %.3f", data.markets[i].c_str(), data.markets[j].c_str(),
                              state.covariance[i * markets + j] /
                                  std::sqrt(state.covariance[i * markets + i] * state.covariance[j * markets + j]));
      }
    }
    if (fit.emission == EmissionModel::ms_garch) {
      text += printf_string(", alpha %.4f beta %.4f (persistence %.4f)", state.garch_alpha, state.garch_beta,
                            state.garch_alpha + state.garch_beta);
    }
    text += "\n";
  }
  if (fit.emission == EmissionModel::ms_garch) {
    // v_k is where a regime's recursion would settle if it were driven by its own shocks; driven by
    // the observed returns, its variance sits elsewhere, and the median shows where.
    const std::vector<double> medians = median_conditional_variances(data.log_returns, fit.states);
    for (std::size_t k = 0; k < regimes; ++k) {
      text += printf_string("  %-10s conditional sd over the sample: median %.3e per bar (%.4f annualised)\n",
                            names[k].c_str(), std::sqrt(medians[k]),
                            std::sqrt(medians[k] * seconds_per_year / record.bar_seconds));
    }
  }
  for (const std::size_t k : collapsed_regimes(fit, data.log_returns)) {
    text += "  WARNING: " + names[k] +
            " has a variance below 1e-4 of the sample variance: it has collapsed onto "
            "near-constant prices (stale quotes or a halt?); drop those dates with --from/--to or fit fewer regimes\n";
  }
  text += "transition  per bar, row = from, column = to\n" + matrix_rows(names, fit.transition, regimes);

  const ModelConfig& model = record.model;
  text += printf_string("model       run.step_seconds = %g: annualised (365-day year) volatility and drift, no jumps\n",
                        model.run.step_seconds);
  for (std::size_t k = 0; k < regimes; ++k) {
    const RegimeState& state = model.regimes.states[k];
    text += printf_string("  %-10s", state.name.c_str());
    for (std::size_t m = 0; m < markets; ++m) {
      text += printf_string(" %s volatility %.4f drift %.4f;", model.markets[m].name.c_str(), state.volatility[m],
                            state.drift[m]);
    }
    text += printf_string(" depth_multiplier %g\n", state.depth_multiplier);
  }
  text += printf_string("transition  per %g s step (first-order rescaling, docs/calibration.md)\n",
                        model.run.step_seconds) +
          matrix_rows(names, model.regimes.transition, regimes);
  for (const std::string& warning : record.warnings) text += "WARNING: " + warning + "\n";
  return text;
}

std::vector<double> stationary_or_nan(const RegimeFit& fit) {
  const std::size_t regimes = fit.regime_count();
  try {
    return stationary_distribution(fit.transition, regimes);
  } catch (const std::invalid_argument&) {
    return std::vector<double>(regimes, std::nan(""));
  }
}

std::string as_toml_comment(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    out += line.empty() ? "#\n" : "# " + line + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace margin_stress::calibration
