#include "host/engine/cpu/liquidation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace margin_stress::cpu {

double liquidation_fraction(LiquidationMode mode, const AccountValuation& valuation, double fee_rate) {
  if (mode == LiquidationMode::full) return 1.0;
  const double fee_on_everything = fee_rate * valuation.notional_usd;
  if (valuation.margin_equity_usd <= 0.0 || valuation.initial_margin_usd <= fee_on_everything) return 1.0;
  const double fraction = (valuation.initial_margin_usd - valuation.margin_equity_usd) /
                          (valuation.initial_margin_usd - fee_on_everything);
  return std::clamp(fraction, 0.0, 1.0);
}

std::int64_t lots_to_close(std::int64_t quantity_lots, double fraction) {
  const std::int64_t held = std::llabs(quantity_lots);
  if (fraction >= 1.0) return held;
  const auto lots = static_cast<std::int64_t>(std::ceil(fraction * static_cast<double>(held)));
  return std::clamp<std::int64_t>(lots, 1, held);
}

}  // namespace margin_stress::cpu
