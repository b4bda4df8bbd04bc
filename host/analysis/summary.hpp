// Cross-scenario statistics of a run (docs/model.md, "Metrics across scenarios"), into the
// RunSummary of host/model/results.hpp. Losses are positive. Quantile, VaR and expected-shortfall estimators are stated
// in model.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/model/results.hpp"

namespace margin_stress {

// Who bore one scenario's losses, in USD, losses positive (docs/model.md, "Metrics across
// scenarios"): the platform loss is the sum of the first four parts; the outside liquidity
// providers' loss is beside it, not in it.
struct LossBearers {
  double bad_debt_usd = 0.0;
  double insurance_fund_draw_usd = 0.0;
  double adl_haircut_usd = 0.0;
  double backstop_vault_loss_usd = 0.0;
  double platform_loss_usd = 0.0;
  double liquidity_provider_loss_usd = 0.0;
};
LossBearers loss_bearers(const ScenarioLedger& ledger);

// Summary statistics of one sample (losses positive). Throws std::invalid_argument on an empty
// sample or a non-finite value.
DistributionSummary summarize_sample(const std::string& metric, std::vector<double> sample);

// The run summary over every scenario's metrics. initial_insurance_fund: the fund at step 0.
RunSummary summarize_run(const std::vector<ScenarioMetrics>& scenarios, micro_usd initial_insurance_fund);

}  // namespace margin_stress
