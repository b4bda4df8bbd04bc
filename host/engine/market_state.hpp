// One market in one scenario as it runs (docs/model.md sections 2 to 6): the per-round constants
// every account is valued with (formulas::MarketTerms), and the dynamics behind them. Both
// engines keep these on the host (ScenarioMarkets runs them); the CUDA engine copies the terms to
// the device.
#pragma once

#include <cmath>

#include "host/model/config.hpp"
#include "host/model/formulas/valuation.hpp"

namespace margin_stress {

struct MarketState : formulas::MarketTerms {
  double fundamental_price_usd = 0.0;  // F_m(t), from the scenario path
  double oracle_factor = 1.0;          // o_m(t), from the scenario path
  double permanent_impact = 0.0;       // J^perm_m, in log price
  double temporary_impact = 0.0;       // J^temp_m, in log price, decays between steps

  // Recomputes X, M and the per-lot constants after F, o, J, s or the imf in force changed.
  void reprice(const MarketSpec& spec) {
    market_price_usd = fundamental_price_usd * std::exp(permanent_impact + temporary_impact);
    mark_price_usd = market_price_usd * oracle_factor;
    value_per_lot_usd = spec.lot_size * mark_price_usd;
    maintenance_per_lot_usd = value_per_lot_usd * spec.maintenance_margin_fraction * margin_scale;
    initial_per_lot_usd = value_per_lot_usd * initial_margin_fraction * margin_scale;
  }
};

}  // namespace margin_stress
