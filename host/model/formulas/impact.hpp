// Price impact of forced flow (docs/model.md section 5). Impact acts on the log of the price, so a
// price can never be pushed to zero or below.
#pragma once

#include <cmath>

#include "host/model/config.hpp"
#include "host/model/host_device.hpp"

namespace margin_stress::formulas {

// Log-price impact of a round's net signed traded notional n (USD, < 0 for net selling) against
// effective depth D: linear n / D; square_root sign(n) sqrt(|n| / D).
MARGIN_STRESS_HOST_DEVICE inline double log_impact(ImpactLaw law, double signed_notional_usd,
                                                   double effective_depth_usd) {
  if (law == ImpactLaw::square_root) {
    const double magnitude = ::sqrt(::fabs(signed_notional_usd) / effective_depth_usd);
    return signed_notional_usd < 0.0 ? -magnitude : magnitude;
  }
  return signed_notional_usd / effective_depth_usd;
}

// The part of a round's log impact `impact` that keeps the total deviation of the mark from the
// fundamental, `deviation + impact`, inside the price band [-band, band].
MARGIN_STRESS_HOST_DEVICE inline double banded_impact(double deviation, double impact, double band) {
  const double total = deviation + impact;
  const double banded = total < -band ? -band : band < total ? band : total;  // std::clamp
  return banded - deviation;
}

// Factor applied to the temporary impact at the start of each step: 2^(-step / half-life);
// 0 when the half-life is 0 (temporary impact lasts only within its step).
MARGIN_STRESS_HOST_DEVICE inline double temporary_decay_factor(double half_life_seconds, double step_seconds) {
  if (half_life_seconds <= 0.0) return 0.0;
  return ::exp2(-step_seconds / half_life_seconds);
}

}  // namespace margin_stress::formulas
