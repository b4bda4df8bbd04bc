// Margin policy (docs/model.md, "Margin policy"): the scale s_m(t) that multiplies every
// market's initial and maintenance fractions in step t. The platform sees only mark prices, never
// the hidden regime.
#pragma once

#include "host/model/config.hpp"

namespace margin_stress::cpu {

// Per-step variance the EWMA starts from: sigma_ref^2 * dt_years (so the scale starts at 1).
double initial_ewma_variance(double reference_volatility, double dt_years);

// v <- lambda v + (1 - lambda) r^2, r the step's observed log return of the mark price.
double update_ewma_variance(double variance, double log_return, double lambda);

// static: 1. volatility_scaled: clamp(sqrt(v / dt_years) / sigma_ref, floor, cap).
double margin_scale(const MarginPolicyParams& policy, double ewma_variance, double reference_volatility,
                    double dt_years);

}  // namespace margin_stress::cpu
