#include "host/cli/policy_description.hpp"

#include "host/model/config_schema.hpp"
#include "host/model/text_format.hpp"

namespace margin_stress {

std::string describe_policy(const MarginPolicyParams& policy) {
  std::string text(toml_name(policy.kind));
  if (policy.kind == MarginPolicyKind::volatility_scaled) {
    text += policy.volatility_estimator == VolatilityEstimator::ewma
                ? printf_string(", EWMA lambda %g", policy.ewma_lambda)
                : printf_string(", GARCH alpha %g beta %g", policy.garch_alpha, policy.garch_beta);
  } else if (policy.kind == MarginPolicyKind::regime_aware) {
    text += ", " + std::to_string(policy.regime_scales.size()) + " regime scales";
  }
  if (policy.kind == MarginPolicyKind::static_margin) return text;
  if (policy.observe == ObservedPrice::index) text += ", observing the index";
  text += printf_string(", scale in [%g, %g]", policy.scale_floor, policy.scale_cap);
  if (policy.stressed_weight > 0.0) {
    text += printf_string(", stressed weight %g at %g x reference", policy.stressed_weight,
                          policy.stressed_volatility_ratio);
  }
  if (policy.buffer > 0.0) {
    text += printf_string(", buffer %g released above %g", policy.buffer, policy.buffer_release_scale);
  }
  if (policy.max_increase_per_hour > 0.0) text += printf_string(", raises <= %g/h", policy.max_increase_per_hour);
  if (policy.max_decrease_per_hour > 0.0) text += printf_string(", cuts <= %g/h", policy.max_decrease_per_hour);
  if (policy.announcement_lag_seconds > 0.0) {
    text += printf_string(", raises announced %g s ahead", policy.announcement_lag_seconds);
  }
  return text;
}

}  // namespace margin_stress
