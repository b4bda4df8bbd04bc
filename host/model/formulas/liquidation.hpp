// Liquidation decisions, fills and fees (docs/model.md section 7).
#pragma once

#include <cmath>
#include <cstdint>

#include "host/model/config.hpp"
#include "host/model/formulas/valuation.hpp"
#include "host/model/host_device.hpp"
#include "host/model/money.hpp"

namespace margin_stress::formulas {

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

// Fraction f of every position of a liquidatable account to close this round.
// full: 1. partial: the least f that restores initial margin if the sale filled at the mark,
// fee included: f = (IM - E') / (IM - fee_rate * N) with E' the margin equity, and 1 when E' <= 0
// or IM <= fee_rate * N. With notional brackets or a size premium IM is not linear in f, so f is
// approximate: it assumes the remaining IM is (1 - f) IM, which is at least the true one since the
// required fraction does not fall with size; the next round re-checks the account.
// fixed_fraction uses no account fraction (liquidation_lots), and gets the partial one.
MARGIN_STRESS_HOST_DEVICE inline double liquidation_fraction(const LiquidationRule& rule,
                                                             const AccountValuation& valuation) {
  if (rule.mode == LiquidationMode::full) return 1.0;
  const double fee_on_everything = rule.fee_rate * valuation.notional_usd;
  if (valuation.margin_equity_usd <= 0.0 || valuation.initial_margin_usd <= fee_on_everything) return 1.0;
  const double fraction =
      (valuation.initial_margin_usd - valuation.margin_equity_usd) / (valuation.initial_margin_usd - fee_on_everything);
  return fraction < 0.0 ? 0.0 : fraction > 1.0 ? 1.0 : fraction;
}

// Whether a liquidatable account goes to the backstop vault instead of the book: E' < beta MM.
MARGIN_STRESS_HOST_DEVICE inline bool is_backstopped(const LiquidationRule& rule, const AccountValuation& valuation) {
  return rule.backstop_fraction > 0.0 &&
         valuation.margin_equity_usd < rule.backstop_fraction * valuation.maintenance_margin_usd;
}

// Whole lots to close from a position of |q| >= 1 lots: |q| when f >= 1, else
// min(|q|, max(1, ceil(f |q|))): at least one lot, so that every round of a cascade makes progress.
MARGIN_STRESS_HOST_DEVICE inline std::int64_t lots_to_close(std::int64_t quantity_lots, double fraction) {
  const std::int64_t held = absolute_lots(quantity_lots);
  if (fraction >= 1.0) return held;
  const auto lots = static_cast<std::int64_t>(::ceil(fraction * static_cast<double>(held)));
  return lots < 1 ? 1 : lots > held ? held : lots;
}

// Lots a liquidation closes from one position of a liquidatable account: full and partial,
// lots_to_close(q, f) with the account's fraction f; fixed_fraction, the whole position if its
// notional (at the round's marks) is at most the threshold or the account was already liquidated
// earlier in the step (Hyperliquid's cooldown), else lots_to_close(q, fixed_fraction).
MARGIN_STRESS_HOST_DEVICE inline std::int64_t liquidation_lots(const LiquidationRule& rule, std::int64_t quantity_lots,
                                                               double account_fraction, double position_notional_usd,
                                                               bool liquidated_earlier_in_step) {
  if (rule.mode != LiquidationMode::fixed_fraction) return lots_to_close(quantity_lots, account_fraction);
  if (liquidated_earlier_in_step || position_notional_usd <= rule.fixed_fraction_threshold_usd) {
    return absolute_lots(quantity_lots);
  }
  return lots_to_close(quantity_lots, rule.fixed_fraction);
}

// The signed trade that closes `lots` of a position of `quantity`: opposite in sign to it.
MARGIN_STRESS_HOST_DEVICE inline std::int64_t closing_trade(std::int64_t quantity, std::int64_t lots) {
  return quantity > 0 ? -lots : lots;
}

// The fee rate a liquidated account pays: fee_rate, or, when it depends on health,
// min(fee_rate, max(0, E' / N)) with the account's margin equity and notional at the round's moved
// marks before its fills.
MARGIN_STRESS_HOST_DEVICE inline double liquidation_fee_rate(double fee_rate, bool depends_on_health,
                                                             const AccountValuation& before_fills) {
  if (!depends_on_health || !(before_fills.notional_usd > 0.0)) return fee_rate;
  const double health = before_fills.margin_equity_usd / before_fills.notional_usd;
  return health < fee_rate ? (health > 0.0 ? health : 0.0) : fee_rate;
}

// A fill of `traded_lots` (signed, the account's side) at price X against the outside liquidity
// providers: the cash the account pays them, q lot X (negative when it sells), and the notional
// traded, |q| lot X.
MARGIN_STRESS_HOST_DEVICE inline double fill_cost_usd(std::int64_t traded_lots, double lot_size, double price_usd) {
  return static_cast<double>(traded_lots) * lot_size * price_usd;
}

MARGIN_STRESS_HOST_DEVICE inline double fill_notional_usd(std::int64_t traded_lots, double lot_size, double price_usd) {
  return static_cast<double>(absolute_lots(traded_lots)) * lot_size * price_usd;
}

// The fee an account pays on its round's liquidated notional: the fee due, round(rate N 1e6),
// never taking the account below zero: min(fee due, max(round(E 1e6), 0)) with E its equity after
// the fills. A bankrupt account pays what it has left.
MARGIN_STRESS_HOST_DEVICE inline micro_usd capped_fee(micro_usd fee_due, micro_usd equity_after_fills) {
  const micro_usd payable = equity_after_fills < 0 ? 0 : equity_after_fills;
  return payable < fee_due ? payable : fee_due;  // std::min(fee_due, payable)
}

}  // namespace margin_stress::formulas
