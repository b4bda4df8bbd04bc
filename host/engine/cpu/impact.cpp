#include "host/engine/cpu/impact.hpp"

#include <algorithm>
#include <cmath>

namespace margin_stress::cpu {

double log_impact(ImpactLaw law, double signed_notional_usd, double effective_depth_usd) {
  switch (law) {
    case ImpactLaw::linear:
      return signed_notional_usd / effective_depth_usd;
    case ImpactLaw::square_root: {
      const double magnitude = std::sqrt(std::fabs(signed_notional_usd) / effective_depth_usd);
      return signed_notional_usd < 0.0 ? -magnitude : magnitude;
    }
  }
  return 0.0;
}

double banded_impact(double deviation, double impact, double band) {
  return std::clamp(deviation + impact, -band, band) - deviation;
}

double temporary_decay_factor(double half_life_seconds, double step_seconds) {
  if (half_life_seconds <= 0.0) return 0.0;
  return std::exp2(-step_seconds / half_life_seconds);
}

}  // namespace margin_stress::cpu
