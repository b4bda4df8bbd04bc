// Size- and open-interest-scaled margins (docs/model.md, "Equity and margin"): a venue's notional
// brackets (Binance USDⓈ-M "tax brackets") and dYdX v4's open-interest-scaled initial margin
// fraction (OIMF). A market without either keeps the linear fractions of MarketState's per-lot
// constants; these functions are only reached for markets that have them.
#pragma once

#include <vector>

#include "host/model/config.hpp"

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

// The bracket of a position of notional N >= 0: the first with N <= cap_b; beyond the last cap the
// last bracket goes on. `brackets` is not empty.
inline const MarginBracket& margin_bracket(const std::vector<MarginBracket>& brackets, double notional_usd) {
  for (const MarginBracket& bracket : brackets) {
    if (notional_usd <= bracket.notional_cap_usd) return bracket;
  }
  return brackets.back();
}

// s (N mmr_b - cum_b), evaluated in that order.
inline double tiered_maintenance_margin_usd(const MarginBracket& bracket, double notional_usd, double margin_scale) {
  return margin_scale * (notional_usd * bracket.maintenance_rate - bracket.maintenance_amount_usd);
}

// s (N / lev_b).
inline double tiered_initial_margin_usd(const MarginBracket& bracket, double notional_usd, double margin_scale) {
  return margin_scale * (notional_usd / bracket.max_leverage);
}

// dYdX v4's effective imf at open interest OI (USD), caps lower < upper:
// min(imf + clamp((OI - lower) / (upper - lower), 0, 1) (1 - imf), 1).
double open_interest_initial_margin_fraction(double initial_margin_fraction, double open_interest_usd,
                                             double lower_cap_usd, double upper_cap_usd);

}  // namespace margin_stress::cpu
