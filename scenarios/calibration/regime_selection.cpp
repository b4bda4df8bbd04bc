#include "scenarios/calibration/regime_selection.hpp"

#include <stdexcept>

#include "host/model/text_format.hpp"

namespace margin_stress::calibration {

RegimeSelection select_regime_count(const std::vector<double>& returns, std::size_t markets, EmOptions options,
                                    std::size_t max_regimes) {
  if (max_regimes == 0) throw std::invalid_argument("select_regime_count: max_regimes is 0");
  RegimeSelection selection;
  bool any = false;
  for (std::size_t regimes = 1; regimes <= max_regimes; ++regimes) {
    RegimeCandidate candidate;
    candidate.regimes = regimes;
    options.regimes = regimes;
    try {
      candidate.fit = fit_gaussian_regimes(returns, markets, options);
      candidate.fitted = true;
      candidate.bic = bayesian_information_criterion(candidate.fit);
      candidate.aic = akaike_information_criterion(candidate.fit);
    } catch (const std::invalid_argument& error) {
      candidate.failure = error.what();
    }
    // Strictly less: on a tie the fewer regimes win.
    if (candidate.fitted && (!any || candidate.bic < selection.candidates[selection.chosen].bic)) {
      selection.chosen = selection.candidates.size();
      any = true;
    }
    selection.candidates.push_back(std::move(candidate));
  }
  if (!any) {
    throw std::invalid_argument("no number of regimes from 1 to " + std::to_string(max_regimes) +
                                " could be fitted (1 regime: " + selection.candidates.front().failure + ")");
  }
  return selection;
}

std::string regime_selection_table(const RegimeSelection& selection) {
  std::string text = "regimes     chosen by BIC among K = 1 to " + std::to_string(selection.candidates.size()) +
                     " (docs/calibration.md, \"Choosing K\")\n";
  text += printf_string("  %2s %16s %10s %16s %16s  %s\n", "K", "ln L", "parameters", "BIC", "AIC", "chosen");
  for (std::size_t i = 0; i < selection.candidates.size(); ++i) {
    const RegimeCandidate& c = selection.candidates[i];
    if (!c.fitted) {
      text += printf_string("  %2zu not fitted: %s\n", c.regimes, c.failure.c_str());
      continue;
    }
    text += printf_string("  %2zu %16.3f %10zu %16.3f %16.3f%s\n", c.regimes, c.fit.log_likelihood, c.fit.parameters,
                          c.bic, c.aic, i == selection.chosen ? "  chosen" : "");
  }
  return text;
}

}  // namespace margin_stress::calibration
