#include "host/engine/cpu/liquidation.hpp"

namespace margin_stress::cpu {

double liquidation_fraction(LiquidationMode mode, const AccountValuation& valuation, double fee_rate) {
  return liquidation_fraction(mode == LiquidationMode::full, valuation.margin_equity_usd, valuation.initial_margin_usd,
                              valuation.notional_usd, fee_rate);
}

}  // namespace margin_stress::cpu
