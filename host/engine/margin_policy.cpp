#include "host/engine/margin_policy.hpp"

#include <algorithm>
#include <cmath>

#include "host/model/time_units.hpp"

namespace margin_stress {

double initial_ewma_variance(double reference_volatility, double dt_years) {
  return reference_volatility * reference_volatility * dt_years;
}

double update_ewma_variance(double variance, double log_return, double lambda) {
  return lambda * variance + (1.0 - lambda) * (log_return * log_return);
}

double update_policy_variance(const MarginPolicyParams& policy, double variance, double log_return,
                              double reference_volatility, double dt_years) {
  if (policy.volatility_estimator == VolatilityEstimator::ewma) {
    return update_ewma_variance(variance, log_return, policy.ewma_lambda);
  }
  const double omega =
      initial_ewma_variance(reference_volatility, dt_years) * ((1.0 - policy.garch_alpha) - policy.garch_beta);
  return (omega + policy.garch_alpha * (log_return * log_return)) + policy.garch_beta * variance;
}

double clamp_and_buffer(const MarginPolicyParams& policy, double raw_scale) {
  const double clamped = std::clamp(raw_scale, policy.scale_floor, policy.scale_cap);
  if (policy.buffer == 0.0) return clamped;
  return std::max(clamped, std::min(clamped, policy.buffer_release_scale) * (1.0 + policy.buffer));
}

double margin_scale(const MarginPolicyParams& policy, double variance, double reference_volatility, double dt_years) {
  if (policy.kind == MarginPolicyKind::static_margin) return clamp_and_buffer(policy, 1.0);
  double effective_variance = variance / dt_years;
  if (policy.stressed_weight != 0.0) {
    const double stressed_volatility = policy.stressed_volatility_ratio * reference_volatility;
    effective_variance = (1.0 - policy.stressed_weight) * effective_variance +
                         policy.stressed_weight * (stressed_volatility * stressed_volatility);
  }
  return clamp_and_buffer(policy, std::sqrt(effective_variance) / reference_volatility);
}

double regime_margin_scale(const MarginPolicyParams& policy, const std::vector<double>& regime_probabilities) {
  double raw = 0.0;
  for (std::size_t k = 0; k < regime_probabilities.size(); ++k)
    raw += regime_probabilities[k] * policy.regime_scales[k];
  return clamp_and_buffer(policy, raw);
}

MarginScaleSchedule::MarginScaleSchedule(const MarginPolicyParams& policy, double step_seconds)
    : max_up_factor_(policy.max_increase_per_hour > 0.0
                         ? std::pow(1.0 + policy.max_increase_per_hour, step_seconds / 3600.0)
                         : 0.0),
      max_down_factor_(policy.max_decrease_per_hour > 0.0
                           ? std::pow(1.0 - policy.max_decrease_per_hour, step_seconds / 3600.0)
                           : 0.0),
      lag_steps_(static_cast<std::size_t>(std::ceil(policy.announcement_lag_seconds / step_seconds))) {}

double MarginScaleSchedule::apply(double target) {
  if (!recent_targets_.empty()) {
    const double previous = recent_targets_.back();
    if (max_up_factor_ > 0.0) target = std::min(target, previous * max_up_factor_);
    if (max_down_factor_ > 0.0) target = std::max(target, previous * max_down_factor_);
  }
  recent_targets_.push_back(target);
  if (recent_targets_.size() > lag_steps_ + 1) recent_targets_.erase(recent_targets_.begin());
  return *std::min_element(recent_targets_.begin(), recent_targets_.end());
}

MarginPolicy::MarginPolicy(const ModelConfig& config)
    : params_(config.margin_policy),
      step_seconds_(config.run.step_seconds),
      dt_years_(config.run.step_seconds / seconds_per_year) {
  for (const MarketSpec& market : config.markets) reference_volatility_.push_back(market.reference_volatility);
  if (params_.kind == MarginPolicyKind::regime_aware) filter_.emplace(config);
  reset();
}

void MarginPolicy::reset() {
  variance_.clear();
  for (const double volatility : reference_volatility_)
    variance_.push_back(initial_ewma_variance(volatility, dt_years_));
  schedules_.assign(reference_volatility_.size(), MarginScaleSchedule(params_, step_seconds_));
  if (filter_) regime_probabilities_ = filter_->prior();
}

double MarginPolicy::next_scale(std::size_t market) {
  const double target = filter_ ? regime_margin_scale(params_, regime_probabilities_)
                                : margin_scale(params_, variance_[market], reference_volatility_[market], dt_years_);
  return schedules_[market].apply(target);
}

void MarginPolicy::observe(const std::vector<double>& log_returns) {
  for (std::size_t m = 0; m < variance_.size(); ++m) {
    variance_[m] = update_policy_variance(params_, variance_[m], log_returns[m], reference_volatility_[m], dt_years_);
  }
  if (filter_) filter_->update(regime_probabilities_, log_returns);
}

}  // namespace margin_stress
