// Cross-scenario statistics of a run (docs/model.md, "Metrics across scenarios").
// Losses are positive. Quantile, VaR and expected-shortfall estimators are stated in model.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/model/results.hpp"

namespace margin_stress {

struct DistributionSummary {
  std::string metric;  // e.g. "bad_debt_usd"
  double mean = 0.0;
  double stddev = 0.0;
  double min = 0.0;
  double p50 = 0.0, p90 = 0.0, p99 = 0.0, p999 = 0.0;
  double max = 0.0;
  double var_99 = 0.0, es_99 = 0.0, var_999 = 0.0, es_999 = 0.0;
};

struct RunSummary {
  std::int64_t scenarios = 0;
  // In this order: bad_debt_usd, insurance_fund_loss_usd, liquidated_notional_usd,
  // adl_notional_usd, deleveraged_notional_usd, cascade_rounds_max, peak_margin_scale.
  std::vector<DistributionSummary> distributions;
  std::int64_t fund_exhausted_scenarios = 0;
  double fund_exhaustion_probability = 0.0;
  std::int64_t round_cap_hits = 0;
  double max_abs_conservation_residual_usd = 0.0;
};

// Summary statistics of one sample (losses positive). Throws std::invalid_argument on an empty
// sample or a non-finite value.
DistributionSummary summarize_sample(const std::string& metric, std::vector<double> sample);

// The run summary over every scenario's metrics. initial_insurance_fund: the fund at step 0.
RunSummary summarize_run(const std::vector<ScenarioMetrics>& scenarios, micro_usd initial_insurance_fund);

}  // namespace margin_stress
