// Size- and open-interest-scaled margins (docs/model.md section 2, "Size- and open-interest-scaled
// margins"): a venue's notional brackets (Binance USDⓈ-M "tax brackets"), Drift's size premium and
// dYdX v4's open-interest-scaled initial margin fraction (OIMF). A market without any of them keeps
// the linear fractions of its per-lot constants (valuation.hpp).
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/host_device.hpp"

namespace margin_stress::formulas {

// One bracket of a tiered market, with its maintenance amount derived from the table.
struct MarginBracket {
  double notional_cap_usd = 0.0;        // cap_b: the bracket holds notionals in (cap_{b-1}, cap_b]
  double maintenance_rate = 0.0;        // mmr_b
  double maintenance_amount_usd = 0.0;  // cum_b = cum_{b-1} + cap_{b-1} (mmr_b - mmr_{b-1}), cum_0 = 0
  double max_leverage = 0.0;            // lev_b: IM = N / lev_b
};

// The brackets of a validated tier table (caps increasing, at least one row), with cum_b computed
// in row order so that the maintenance requirement is continuous at every cap.
inline std::vector<MarginBracket> make_margin_brackets(const std::vector<MarginTier>& tiers) {
  std::vector<MarginBracket> brackets;
  brackets.reserve(tiers.size());
  double maintenance_amount_usd = 0.0;
  for (std::size_t b = 0; b < tiers.size(); ++b) {
    if (b > 0) {
      maintenance_amount_usd +=
          tiers[b - 1].notional_cap_usd * (tiers[b].maintenance_rate - tiers[b - 1].maintenance_rate);
    }
    brackets.push_back(
        {tiers[b].notional_cap_usd, tiers[b].maintenance_rate, maintenance_amount_usd, tiers[b].max_leverage});
  }
  return brackets;
}

// The bracket of a position of notional N >= 0: the first with N <= cap_b; beyond the last cap the
// last bracket goes on. count >= 1. The cap is tested first: almost every position is in the first
// bracket, so the loop's first test is predictable whatever the market.
MARGIN_STRESS_HOST_DEVICE inline const MarginBracket& margin_bracket(const MarginBracket* brackets, std::size_t count,
                                                                     double notional_usd) {
  std::size_t b = 0;
  while (notional_usd > brackets[b].notional_cap_usd && b + 1 < count) ++b;
  return brackets[b];
}

// s (N mmr_b - cum_b), evaluated in that order.
MARGIN_STRESS_HOST_DEVICE inline double tiered_maintenance_margin_usd(const MarginBracket& bracket, double notional_usd,
                                                                      double margin_scale) {
  return margin_scale * (notional_usd * bracket.maintenance_rate - bracket.maintenance_amount_usd);
}

// s (N / lev_b).
MARGIN_STRESS_HOST_DEVICE inline double tiered_initial_margin_usd(const MarginBracket& bracket, double notional_usd,
                                                                  double margin_scale) {
  return margin_scale * (notional_usd / bracket.max_leverage);
}

// Drift's size premium: the fraction a position of B base units needs, max(r, min(1, 0.8 r +
// f sqrt(B))): never more than the notional.
MARGIN_STRESS_HOST_DEVICE inline double size_premium_fraction(double fraction, double factor, double base_units) {
  const double premium = 0.8 * fraction + factor * ::sqrt(base_units);
  const double capped = premium < 1.0 ? premium : 1.0;
  return capped > fraction ? capped : fraction;
}

// A position's requirement with the premium: s (N r'), r' = size_premium_fraction(r, f, B).
MARGIN_STRESS_HOST_DEVICE inline double size_premium_margin_usd(double notional_usd, double fraction, double factor,
                                                                double base_units, double margin_scale) {
  return margin_scale * (notional_usd * size_premium_fraction(fraction, factor, base_units));
}

// dYdX v4's effective imf at open interest OI (USD), caps lower < upper:
// min(imf + clamp((OI - lower) / (upper - lower), 0, 1) (1 - imf), 1).
MARGIN_STRESS_HOST_DEVICE inline double open_interest_initial_margin_fraction(double initial_margin_fraction,
                                                                              double open_interest_usd,
                                                                              double lower_cap_usd,
                                                                              double upper_cap_usd) {
  const double ratio = (open_interest_usd - lower_cap_usd) / (upper_cap_usd - lower_cap_usd);
  const double scaling = ratio < 0.0 ? 0.0 : ratio > 1.0 ? 1.0 : ratio;
  const double fraction = initial_margin_fraction + scaling * (1.0 - initial_margin_fraction);
  return 1.0 < fraction ? 1.0 : fraction;  // std::min(fraction, 1.0), NaN included
}

}  // namespace margin_stress::formulas
