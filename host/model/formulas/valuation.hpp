// Equity and margin of one account (docs/model.md section 2, "Equity and margin"):
//   E_a  = K_a 1e-6 + sum_p q_p lot_m M_m                      (equity, in USD)
//   E'_a = E_a - (1 - c) max(C_a, 0),  C_a = K_a 1e-6 + sum_p q_p lot_m e_p
//                                      (margin equity: collateral valued at c per dollar)
//   MM_a = sum_p |q_p| (lot_m M_m mmf_m s_m),  IM_a likewise with the imf in force,
// except for a position whose requirement is per position (size_scaled_margins.hpp): by its
// notional bracket b, MM_p = s_m (N_p mmr_b - cum_b) and IM_p = s_m (N_p / lev_b), or with Drift's
// size premium. Both engines evaluate every account with these functions, the sums in this order,
// so that they take the same decisions bit for bit (with -ffp-contract=off and -fmad=false).
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/formulas/size_scaled_margins.hpp"
#include "host/model/host_device.hpp"
#include "host/model/money.hpp"

namespace margin_stress::formulas {

// The constants of one market in one scenario for the current cascade round: what the
// per-account formulas read. The engine recomputes them when a price, scale or the imf in force
// changes (MarketState::reprice, host/engine/market_state.hpp); the CUDA engine copies them to the device.
struct MarketTerms {
  double lot_size = 0.0;
  double market_price_usd = 0.0;             // X_m: forced trades fill here
  double mark_price_usd = 0.0;               // M_m = X_m o_m: equity and margins use it
  double value_per_lot_usd = 0.0;            // lot M
  double maintenance_per_lot_usd = 0.0;      // lot M mmf s
  double initial_per_lot_usd = 0.0;          // lot M imf s
  double margin_scale = 1.0;                 // s_m(t)
  double previous_margin_scale = 1.0;        // s_m(t - 1): a margin call follows a raise (section 7a)
  double maintenance_margin_fraction = 0.0;  // mmf
  double initial_margin_fraction = 0.0;      // the imf in force this step (raised by OIMF)
  // Drift's size premium factor f (0: none).
  double size_premium_factor = 0.0;
  // With notional brackets (tiered): the market's brackets, at an address the evaluating engine can
  // read (the host's for the CPU reference, the device's for the CUDA engine); read only when tiered.
  const MarginBracket* margin_brackets = nullptr;
  std::int32_t margin_bracket_count = 0;
  bool tiered = false;
  // A requirement per position (brackets or the size premium): the per-lot constants then do not
  // give the requirements.
  bool per_position = false;
};

// Whether a market's requirements are per position rather than per lot: it has notional brackets,
// or Drift's size premium. A run with none takes the linear sums (PerPositionMargins::absent).
inline bool has_per_position_requirements(const MarketSpec& spec) {
  return !spec.margin_tiers.empty() || spec.size_premium_imf_factor > 0.0;
}

// A market's terms that do not move during a run, from its spec: the rest (prices, scale, the imf
// in force, the per-lot constants) the engine sets step by step (MarketState::reprice). `brackets`
// are the market's notional brackets (make_margin_brackets of its tiers, empty without), at an
// address that outlives the terms.
inline MarketTerms constant_terms(const MarketSpec& spec, const std::vector<MarginBracket>& brackets) {
  MarketTerms terms;
  terms.lot_size = spec.lot_size;
  terms.maintenance_margin_fraction = spec.maintenance_margin_fraction;
  terms.size_premium_factor = spec.size_premium_imf_factor;
  terms.per_position = has_per_position_requirements(spec);
  terms.tiered = !brackets.empty();
  terms.margin_brackets = brackets.empty() ? nullptr : brackets.data();
  terms.margin_bracket_count = static_cast<std::int32_t>(brackets.size());
  return terms;
}

// An account's state in one scenario: cash and its positions in structure-of-arrays form, each
// array pointing at the account's first position.
struct AccountView {
  micro_usd cash = 0;
  const std::int64_t* quantity = nullptr;   // q_p, signed lots
  const std::int32_t* market = nullptr;     // m of each position
  const double* entry_price_usd = nullptr;  // e_p
  std::int64_t positions = 0;
};

struct AccountValuation {
  double equity_usd = 0.0;         // E: what the account is worth
  double margin_equity_usd = 0.0;  // E': what the platform counts against margin
  double maintenance_margin_usd = 0.0;
  double initial_margin_usd = 0.0;
  double notional_usd = 0.0;
  bool has_positions = false;
};

// Whether a run may meet a requirement per position. A run without any takes the linear sums,
// whose work per position is the same as before brackets existed; engines choose once per scan of
// the accounts, not per account.
enum class PerPositionMargins { absent, present };

// `Market` is MarketTerms or a type derived from it (the host engine's MarketState).
template <typename Market>
using if_market_terms = std::enable_if_t<std::is_base_of_v<MarketTerms, Market>, int>;

MARGIN_STRESS_HOST_DEVICE inline std::int64_t absolute_lots(std::int64_t quantity) {
  return quantity < 0 ? -quantity : quantity;
}

// q lot M: a position's value at the mark, from its market's value of one lot.
MARGIN_STRESS_HOST_DEVICE inline double position_value_usd(std::int64_t quantity, double value_per_lot_usd) {
  return static_cast<double>(quantity) * value_per_lot_usd;
}

// Whether any of the account's positions is open (q != 0).
MARGIN_STRESS_HOST_DEVICE inline bool has_open_positions(const AccountView& account) {
  for (std::int64_t p = 0; p < account.positions; ++p) {
    if (account.quantity[p] != 0) return true;
  }
  return false;
}

// The platform's haircut on a depegged collateral currency: (1 - c) max(C_a, 0). Zero at par,
// without reading the positions' entry prices (the usual case, and the hot loop's).
template <typename Market, if_market_terms<Market> = 0>
MARGIN_STRESS_HOST_DEVICE inline double collateral_haircut_usd(const AccountView& account, const Market* markets,
                                                               double collateral_value) {
  if (collateral_value == 1.0) return 0.0;
  double collateral_usd = to_usd(account.cash);
  for (std::int64_t p = 0; p < account.positions; ++p) {
    collateral_usd +=
        static_cast<double>(account.quantity[p]) * markets[account.market[p]].lot_size * account.entry_price_usd[p];
  }
  return (1.0 - collateral_value) * (collateral_usd < 0.0 ? 0.0 : collateral_usd);  // max(C, 0)
}

// One position's requirements where they are not linear in its lots: by its notional bracket, or
// with Drift's size premium.
MARGIN_STRESS_HOST_DEVICE inline double per_position_maintenance_usd(const MarketTerms& market, double abs_lots) {
  const double notional_usd = abs_lots * market.value_per_lot_usd;
  if (market.tiered) {
    return tiered_maintenance_margin_usd(
        margin_bracket(market.margin_brackets, static_cast<std::size_t>(market.margin_bracket_count), notional_usd),
        notional_usd, market.margin_scale);
  }
  return size_premium_margin_usd(notional_usd, market.maintenance_margin_fraction, market.size_premium_factor,
                                 abs_lots * market.lot_size, market.margin_scale);
}

MARGIN_STRESS_HOST_DEVICE inline double per_position_initial_usd(const MarketTerms& market, double abs_lots) {
  const double notional_usd = abs_lots * market.value_per_lot_usd;
  if (market.tiered) {
    return tiered_initial_margin_usd(
        margin_bracket(market.margin_brackets, static_cast<std::size_t>(market.margin_bracket_count), notional_usd),
        notional_usd, market.margin_scale);
  }
  return size_premium_margin_usd(notional_usd, market.initial_margin_fraction, market.size_premium_factor,
                                 abs_lots * market.lot_size, market.margin_scale);
}

// A position's initial margin: per lot, or per position.
MARGIN_STRESS_HOST_DEVICE inline double position_initial_margin_usd(const MarketTerms& market, double abs_lots) {
  return market.per_position ? per_position_initial_usd(market, abs_lots) : abs_lots * market.initial_per_lot_usd;
}

// E alone: the same sum as value_account's, in the same order.
template <typename Market, if_market_terms<Market> = 0>
MARGIN_STRESS_HOST_DEVICE inline double account_equity_usd(const AccountView& account, const Market* markets) {
  double equity_usd = to_usd(account.cash);
  for (std::int64_t p = 0; p < account.positions; ++p) {
    const std::int64_t quantity = account.quantity[p];
    if (quantity == 0) continue;
    equity_usd += position_value_usd(quantity, markets[account.market[p]].value_per_lot_usd);
  }
  return equity_usd;
}

// E, E', MM, IM and the notional of an account; closed positions (q = 0) count for nothing.
template <typename Market, if_market_terms<Market> = 0>
MARGIN_STRESS_HOST_DEVICE inline AccountValuation value_account(const AccountView& account, const Market* markets,
                                                                double collateral_value) {
  AccountValuation valuation;
  valuation.equity_usd = to_usd(account.cash);
  for (std::int64_t p = 0; p < account.positions; ++p) {
    const std::int64_t quantity = account.quantity[p];
    if (quantity == 0) continue;
    const MarketTerms& market = markets[account.market[p]];
    const double abs_lots = static_cast<double>(absolute_lots(quantity));
    valuation.equity_usd += position_value_usd(quantity, market.value_per_lot_usd);
    if (!market.per_position) {
      valuation.maintenance_margin_usd += abs_lots * market.maintenance_per_lot_usd;
      valuation.initial_margin_usd += abs_lots * market.initial_per_lot_usd;
    } else {
      valuation.maintenance_margin_usd += per_position_maintenance_usd(market, abs_lots);
      valuation.initial_margin_usd += per_position_initial_usd(market, abs_lots);
    }
    valuation.notional_usd += abs_lots * market.value_per_lot_usd;
    valuation.has_positions = true;
  }
  valuation.margin_equity_usd = valuation.equity_usd - collateral_haircut_usd(account, markets, collateral_value);
  return valuation;
}

// The liquidation trigger (docs/model.md section 7): open positions and E' < MM. Its definition;
// the engines' scans evaluate below_maintenance, the same sums fused, which the valuation tests
// hold to this on random accounts.
MARGIN_STRESS_HOST_DEVICE inline bool is_below_maintenance(const AccountValuation& valuation) {
  return valuation.has_positions && valuation.margin_equity_usd < valuation.maintenance_margin_usd;
}

// The trigger alone, for the cascade's scan of every account: the same sums as value_account, in
// the same order, without the two the trigger does not need.
template <PerPositionMargins per_position_margins, typename Market, if_market_terms<Market> = 0>
MARGIN_STRESS_HOST_DEVICE inline bool below_maintenance(const AccountView& account, const Market* markets,
                                                        double collateral_value) {
  double equity_usd = to_usd(account.cash);
  double maintenance_margin_usd = 0.0;
  bool has_positions = false;
  for (std::int64_t p = 0; p < account.positions; ++p) {
    const std::int64_t quantity = account.quantity[p];
    if (quantity == 0) continue;
    const MarketTerms& market = markets[account.market[p]];
    equity_usd += position_value_usd(quantity, market.value_per_lot_usd);
    has_positions = true;
    const double abs_lots = static_cast<double>(absolute_lots(quantity));
    if constexpr (per_position_margins == PerPositionMargins::present) {
      // Both requirements, the one of the market's kind kept by index: which market a position is
      // in is random, and a mispredicted branch costs more than the arithmetic.
      const double requirement_usd[2] = {abs_lots * market.maintenance_per_lot_usd,
                                         per_position_maintenance_usd(market, abs_lots)};
      maintenance_margin_usd += requirement_usd[market.per_position ? 1 : 0];
    } else {
      maintenance_margin_usd += abs_lots * market.maintenance_per_lot_usd;
    }
  }
  if (!has_positions) return false;
  return equity_usd - collateral_haircut_usd(account, markets, collateral_value) < maintenance_margin_usd;
}

}  // namespace margin_stress::formulas
