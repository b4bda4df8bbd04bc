// Margin policy (docs/model.md, section 4): the scale s_m(t) that multiplies every market's
// initial and maintenance fractions in step t. The platform sees only prices (the mark, or the
// index: margin_policy.observe), never the hidden regime. MarginPolicy is the policy of a run's markets as both engines
// and `backtest` run it; the stateless parts (raw scale, clamp, buffer) and the speed limit and announcement lag
// (MarginScaleSchedule, which remembers earlier steps) are its pieces.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "host/engine/regime_filter.hpp"
#include "host/model/config.hpp"

namespace margin_stress {

// Per-step variance the estimate starts from: sigma_ref^2 * dt_years (so the scale starts at 1).
double initial_ewma_variance(double reference_volatility, double dt_years);

// v <- lambda v + (1 - lambda) r^2, r the step's observed log return (of the mark or the index).
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

// The policy of every market of `config`, step by step: before each step the scale it applies to
// each market, after it the log returns it observed. Markets, reference volatilities, the
// regime model and the step length (run.step_seconds) are the config's; which price's returns it
// is given (margin_policy.observe) is its caller's business: ScenarioMarkets in the engines, the
// price history in `backtest`.
class MarginPolicy {
 public:
  explicit MarginPolicy(const ModelConfig& config);

  // Back to the start of a scenario: the estimates at their starting values (the scale is 1), no
  // earlier targets, the regime filter at its prior.
  void reset();

  // The scale market m is held to in the coming step: the target from the current estimates,
  // through the market's speed limit and announcement lag. Called once per market and step.
  double next_scale(std::size_t market);

  // The step's observed log returns, one per market: the estimates move.
  void observe(const std::vector<double>& log_returns);

 private:
  MarginPolicyParams params_;                 // a copy: the policy may outlive the config it came from
  std::vector<double> reference_volatility_;  // per market
  double step_seconds_;
  double dt_years_;
  std::vector<double> variance_;  // per market, the per-step variance estimate
  std::vector<MarginScaleSchedule> schedules_;
  std::optional<RegimeFilter> filter_;  // regime_aware only
  std::vector<double> regime_probabilities_;
};

}  // namespace margin_stress
