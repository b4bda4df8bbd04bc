// Price impact of liquidation flow (docs/model.md, "Price impact"). Impact acts on the log of the
// mark price, so a price can never be pushed to zero or below.
#pragma once

#include "host/model/config.hpp"

namespace margin_stress::cpu {

// Log-price impact of a round's net signed traded notional n (USD, < 0 for net selling) against
// effective depth D: linear n / D; square_root sign(n) sqrt(|n| / D).
double log_impact(ImpactLaw law, double signed_notional_usd, double effective_depth_usd);

// The part of a round's log impact `impact` that keeps the total deviation of the mark from the
// fundamental, `deviation + impact`, inside the price band [-band, band].
double banded_impact(double deviation, double impact, double band);

// Factor applied to the temporary impact at the start of each step: 2^(-step / half-life);
// 0 when the half-life is 0 (temporary impact lasts only within its step).
double temporary_decay_factor(double half_life_seconds, double step_seconds);

}  // namespace margin_stress::cpu
