// Liquidation decisions (docs/model.md, "Liquidation").
#pragma once

#include <cstdint>

#include "host/engine/cpu/mark_to_market.hpp"
#include "host/model/config.hpp"

namespace margin_stress::cpu {

// Fraction f of every position of a liquidatable account to close this round.
// full: 1. partial: the least f that restores initial margin if the sale filled at the mark,
// fee included: f = (IM - E') / (IM - fee_rate * N) with E' the margin equity, and 1 when E' <= 0
// or IM <= fee_rate * N. With notional brackets IM is not linear in f, so f is approximate: it
// assumes the remaining IM is (1 - f) IM, which is at least the true one since leverage does not
// rise with notional; the next round re-checks the account.
double liquidation_fraction(LiquidationMode mode, const AccountValuation& valuation, double fee_rate);

// Whole lots to close from a position of |q| >= 1 lots: |q| when f >= 1, else
// min(|q|, max(1, ceil(f |q|))): at least one lot, so that every round of a cascade makes progress.
std::int64_t lots_to_close(std::int64_t quantity_lots, double fraction);

}  // namespace margin_stress::cpu
