#include "host/engine/cpu/margin.hpp"

#include <algorithm>
#include <cmath>

namespace margin_stress::cpu {

double initial_ewma_variance(double reference_volatility, double dt_years) {
  return reference_volatility * reference_volatility * dt_years;
}

double update_ewma_variance(double variance, double log_return, double lambda) {
  return lambda * variance + (1.0 - lambda) * log_return * log_return;
}

double margin_scale(const MarginPolicyParams& policy, double ewma_variance, double reference_volatility,
                    double dt_years) {
  switch (policy.kind) {
    case MarginPolicyKind::static_margin:
      return 1.0;
    case MarginPolicyKind::volatility_scaled: {
      const double observed_volatility = std::sqrt(ewma_variance / dt_years);
      return std::clamp(observed_volatility / reference_volatility, policy.scale_floor, policy.scale_cap);
    }
  }
  return 1.0;
}

}  // namespace margin_stress::cpu
