// Liquidation decisions (docs/model.md, "Liquidation").
#pragma once

#include <cmath>
#include <cstdint>

#include "host/engine/cpu/mark_to_market.hpp"
#include "host/model/config.hpp"
#include "host/model/host_device.hpp"

namespace margin_stress::cpu {

// Fraction f of every position of a liquidatable account to close this round.
// full: 1. partial: the least f that restores initial margin if the sale filled at the mark,
// fee included: f = (IM - E') / (IM - fee_rate * N) with E' the margin equity, and 1 when E' <= 0
// or IM <= fee_rate * N. With notional brackets or a size premium IM is not linear in f, so f is
// approximate: it assumes the remaining IM is (1 - f) IM, which is at least the true one since the
// required fraction does not fall with size; the next round re-checks the account.
double liquidation_fraction(LiquidationMode mode, const AccountValuation& valuation, double fee_rate);

// The same from the account's sums, for both backends.
MARGIN_STRESS_HOST_DEVICE inline double liquidation_fraction(bool full_liquidation, double margin_equity_usd,
                                                             double initial_margin_usd, double notional_usd,
                                                             double fee_rate) {
  if (full_liquidation) return 1.0;
  const double fee_on_everything = fee_rate * notional_usd;
  if (margin_equity_usd <= 0.0 || initial_margin_usd <= fee_on_everything) return 1.0;
  const double fraction = (initial_margin_usd - margin_equity_usd) / (initial_margin_usd - fee_on_everything);
  return fraction < 0.0 ? 0.0 : fraction > 1.0 ? 1.0 : fraction;
}

// The liquidation settings the engines' scans take (config [liquidation]).
struct LiquidationRule {
  LiquidationMode mode = LiquidationMode::full;
  double fee_rate = 0.0;
  double fixed_fraction = 0.2;
  double fixed_fraction_threshold_usd = 0.0;
  double backstop_fraction = 0.0;
};

inline LiquidationRule liquidation_rule(const LiquidationParams& params) {
  return {params.mode, params.fee_rate, params.fixed_fraction, params.fixed_fraction_threshold_usd,
          params.backstop_fraction};
}

// Whether a liquidatable account goes to the backstop vault instead of the book: E' < beta MM.
MARGIN_STRESS_HOST_DEVICE inline bool is_backstopped(const LiquidationRule& rule, double margin_equity_usd,
                                                     double maintenance_margin_usd) {
  return rule.backstop_fraction > 0.0 && margin_equity_usd < rule.backstop_fraction * maintenance_margin_usd;
}

// Whole lots to close from a position of |q| >= 1 lots: |q| when f >= 1, else
// min(|q|, max(1, ceil(f |q|))): at least one lot, so that every round of a cascade makes progress.
MARGIN_STRESS_HOST_DEVICE inline std::int64_t lots_to_close(std::int64_t quantity_lots, double fraction) {
  const std::int64_t held = quantity_lots < 0 ? -quantity_lots : quantity_lots;
  if (fraction >= 1.0) return held;
  const auto lots = static_cast<std::int64_t>(::ceil(fraction * static_cast<double>(held)));
  return lots < 1 ? 1 : lots > held ? held : lots;
}

// The fee rate a liquidated account pays (docs/model.md section 7): fee_rate, or, when it depends
// on health, min(fee_rate, max(0, E' / N)) with the account's margin equity and notional at the
// round's moved marks before its fills.
MARGIN_STRESS_HOST_DEVICE inline double liquidation_fee_rate(double fee_rate, bool depends_on_health,
                                                             double margin_equity_usd, double notional_usd) {
  if (!depends_on_health || !(notional_usd > 0.0)) return fee_rate;
  const double health = margin_equity_usd / notional_usd;
  return health < fee_rate ? (health > 0.0 ? health : 0.0) : fee_rate;
}

// Lots a liquidation closes from one position of a liquidatable account (docs/model.md section 7):
// full and partial, lots_to_close(q, f) with the account's fraction f; fixed_fraction, the whole
// position if its notional (at the round's marks) is at most the threshold or the account was
// already liquidated earlier in the step (Hyperliquid's cooldown), else lots_to_close(q, fixed_fraction).
MARGIN_STRESS_HOST_DEVICE inline std::int64_t liquidation_lots(const LiquidationRule& rule, std::int64_t quantity_lots,
                                                               double account_fraction, double position_notional_usd,
                                                               bool liquidated_earlier_in_step) {
  if (rule.mode != LiquidationMode::fixed_fraction) return lots_to_close(quantity_lots, account_fraction);
  if (liquidated_earlier_in_step || position_notional_usd <= rule.fixed_fraction_threshold_usd) {
    return quantity_lots < 0 ? -quantity_lots : quantity_lots;
  }
  return lots_to_close(quantity_lots, rule.fixed_fraction);
}

}  // namespace margin_stress::cpu
