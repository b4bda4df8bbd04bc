// Margin policy (docs/model.md, section 4): the scale s_m(t) that multiplies every market's
// initial and maintenance fractions in step t. The platform sees only mark prices, never the
// hidden regime. The stateless part (raw scale, clamp, buffer) is here; the speed limit and the
// announcement lag, which remember earlier steps, are applied by MarginScaleSchedule.
#pragma once

#include <cstddef>
#include <vector>

#include "host/model/config.hpp"

namespace margin_stress::cpu {

// Per-step variance the estimate starts from: sigma_ref^2 * dt_years (so the scale starts at 1).
double initial_ewma_variance(double reference_volatility, double dt_years);

// v <- lambda v + (1 - lambda) r^2, r the step's observed log return of the mark price.
double update_ewma_variance(double variance, double log_return, double lambda);

// The policy's variance estimate after observing r: EWMA as above, or the GARCH(1,1) forecast
// v <- omega + alpha r^2 + beta v with omega = sigma_ref^2 dt_years (1 - alpha - beta).
double update_policy_variance(const MarginPolicyParams& policy, double variance, double log_return,
                              double reference_volatility, double dt_years);

// clamp(raw, floor, cap), then the buffer: max(c, min(c, release) (1 + buffer)).
double clamp_and_buffer(const MarginPolicyParams& policy, double raw_scale);

// static: clamp_and_buffer(1). volatility_scaled: clamp_and_buffer(sigma_eff / sigma_ref) with
// sigma_eff^2 = (1 - w) v / dt_years + w (ratio sigma_ref)^2 (w the stressed weight).
// Not for regime_aware (see regime_margin_scale).
double margin_scale(const MarginPolicyParams& policy, double variance, double reference_volatility, double dt_years);

// regime_aware: clamp_and_buffer(sum_k p_k regime_scales[k]) with p the platform's filtered
// regime probabilities.
double regime_margin_scale(const MarginPolicyParams& policy, const std::vector<double>& regime_probabilities);

// The speed limit and the announcement lag of one market's scale, step by step.
class MarginScaleSchedule {
 public:
  MarginScaleSchedule(const MarginPolicyParams& policy, double step_seconds);
  // Takes step t's target (the stateless scale), returns the scale applied in step t: the target
  // limited to the allowed change from the previous step's target, then the least of the last
  // lag + 1 targets (a raise waits for the lag; a cut applies at once).
  double apply(double target);

 private:
  double max_up_factor_;    // 0: no limit
  double max_down_factor_;  // 0: no limit
  std::size_t lag_steps_;
  std::vector<double> recent_targets_;  // the last lag + 1 targets, oldest first
};

}  // namespace margin_stress::cpu
