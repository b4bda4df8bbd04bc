// Size- and open-interest-scaled margins (docs/model.md, "Equity and margin"): a venue's notional
// brackets (Binance USDⓈ-M "tax brackets") and dYdX v4's open-interest-scaled initial margin
// fraction (OIMF). A market without either keeps the linear fractions of MarketState's per-lot
// constants, and a run without brackets never calls the bracket functions.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/host_device.hpp"

namespace margin_stress::cpu {

// One bracket of a tiered market, with its maintenance amount derived from the table.
struct MarginBracket {
  double notional_cap_usd = 0.0;        // cap_b: the bracket holds notionals in (cap_{b-1}, cap_b]
  double maintenance_rate = 0.0;        // mmr_b
  double maintenance_amount_usd = 0.0;  // cum_b = cum_{b-1} + cap_{b-1} (mmr_b - mmr_{b-1}), cum_0 = 0
  double max_leverage = 0.0;            // lev_b: IM = N / lev_b
};

// The brackets of a validated tier table (caps increasing, at least one row), with cum_b computed
// in row order so that the maintenance requirement is continuous at every cap.
std::vector<MarginBracket> make_margin_brackets(const std::vector<MarginTier>& tiers);

// A bracket that requires nothing. A linear market points at it in place of brackets, so that a
// scan can evaluate both kinds of requirement for every position without branching on its market.
inline constexpr MarginBracket no_margin_bracket{std::numeric_limits<double>::infinity(), 0.0, 0.0, 1.0};

// The bracket of a position of notional N >= 0: the first with N <= cap_b; beyond the last cap the
// last bracket goes on. count >= 1. The cap is tested first: almost every position is in the first
// bracket (and no_margin_bracket's cap is infinite), so the loop's first test is predictable
// whatever the market.
MARGIN_STRESS_HOST_DEVICE inline const MarginBracket& margin_bracket(const MarginBracket* brackets, std::size_t count,
                                                               double notional_usd) {
  std::size_t b = 0;
  while (notional_usd > brackets[b].notional_cap_usd && b + 1 < count) ++b;
  return brackets[b];
}

inline const MarginBracket& margin_bracket(const std::vector<MarginBracket>& brackets, double notional_usd) {
  return margin_bracket(brackets.data(), brackets.size(), notional_usd);
}

// s (N mmr_b - cum_b), evaluated in that order.
MARGIN_STRESS_HOST_DEVICE inline double tiered_maintenance_margin_usd(const MarginBracket& bracket, double notional_usd, double margin_scale) {
  return margin_scale * (notional_usd * bracket.maintenance_rate - bracket.maintenance_amount_usd);
}

// s (N / lev_b).
MARGIN_STRESS_HOST_DEVICE inline double tiered_initial_margin_usd(const MarginBracket& bracket, double notional_usd, double margin_scale) {
  return margin_scale * (notional_usd / bracket.max_leverage);
}

// Drift's size premium (docs/model.md, "Size- and open-interest-scaled margins"): the fraction a
// position of B base units needs, max(r, min(1, 0.8 r + f sqrt(B))): never more than the notional.
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
double open_interest_initial_margin_fraction(double initial_margin_fraction, double open_interest_usd,
                                             double lower_cap_usd, double upper_cap_usd);

}  // namespace margin_stress::cpu
