// The mutable state of one scenario as it runs through the CPU reference (docs/model.md, "State").
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "host/engine/cpu/book.hpp"
#include "host/model/config.hpp"
#include "host/model/money.hpp"

namespace margin_stress::cpu {

struct MarketState {
  double fundamental_price_usd = 0.0;  // F_m(t), from the scenario path
  double oracle_factor = 1.0;          // o_m(t), from the scenario path
  double permanent_impact = 0.0;       // J^perm_m, in log price
  double temporary_impact = 0.0;       // J^temp_m, in log price, decays between steps
  double market_price_usd = 0.0;       // X_m = F_m exp(J^perm_m + J^temp_m): forced trades fill here
  double mark_price_usd = 0.0;         // M_m = X_m o_m: equity and margins use it
  double margin_scale = 1.0;           // s_m(t), set by the policy at the start of the step
  double policy_variance = 0.0;        // v_m, the policy's per-step variance of observed mark log returns
  // imf in force this step: the market's own, or raised by its open interest at the start of the
  // step (OIMF), then fixed for the whole step.
  double initial_margin_fraction = 0.0;
  // With notional brackets (tiered): Book::margin_brackets of the market. Without, the per-lot
  // constants below give the requirements, and the brackets are one that requires nothing.
  bool tiered = false;
  const MarginBracket* margin_brackets = &no_margin_bracket;
  std::size_t margin_bracket_count = 1;
  // With Drift's size premium (factor f > 0) each position's fractions grow with its size; the
  // per-lot constants below then do not apply either. per_position: brackets or the premium.
  double size_premium_factor = 0.0;
  bool per_position = false;
  double lot_size = 0.0;
  double maintenance_margin_fraction = 0.0;  // mmf (spec); the imf in force is below
  // Per-round constants of the hot loop: value and maintenance requirement of one lot at the mark.
  double value_per_lot_usd = 0.0;
  double maintenance_per_lot_usd = 0.0;
  double initial_per_lot_usd = 0.0;

  // Recomputes X, M and the per-lot constants after F, o, J, s or the imf in force changed.
  void reprice(const MarketSpec& spec) {
    market_price_usd = fundamental_price_usd * std::exp(permanent_impact + temporary_impact);
    mark_price_usd = market_price_usd * oracle_factor;
    value_per_lot_usd = spec.lot_size * mark_price_usd;
    maintenance_per_lot_usd = value_per_lot_usd * spec.maintenance_margin_fraction * margin_scale;
    initial_per_lot_usd = value_per_lot_usd * initial_margin_fraction * margin_scale;
  }
};

struct ScenarioState {
  std::vector<micro_usd> cash;              // K_a per account
  std::vector<std::int64_t> quantity;       // q_p per position, lots, signed
  std::vector<std::int64_t> lp_inventory;   // per market, lots
  micro_usd lp_cash = 0;
  // The backstop vault (docs/model.md section 7): its cash and the positions it took over.
  micro_usd vault_cash = 0;
  std::vector<std::int64_t> vault_inventory;  // per market, lots
  micro_usd insurance_fund = 0;
  double collateral_value = 1.0;     // c(t), from the scenario path
  std::vector<MarketState> markets;  // run by ScenarioMarkets
  bool has_margin_tiers = false;     // some market's requirement is per position (Book::per_position_margins)
  // Deposits promised in answer to margin calls (docs/model.md section 7a), per account: the step
  // they arrive at (0: none pending) and the amount.
  // The step each account was last liquidated in (0: never), for liquidation.mode = fixed_fraction,
  // whose cooldown closes whole positions of an account liquidated earlier in the same step.
  std::vector<std::int64_t> last_liquidated_step;
  std::int64_t step = 0;  // the step being run
  std::vector<std::int64_t> deposit_due_step;
  std::vector<micro_usd> deposit_amount;

  void reset(const Book& book, micro_usd initial_insurance_fund) {
    cash = book.initial_cash;
    quantity = book.initial_quantity;
    lp_inventory = book.initial_lp_inventory;
    lp_cash = 0;
    vault_cash = 0;
    vault_inventory.assign(static_cast<std::size_t>(book.markets), 0);
    insurance_fund = initial_insurance_fund;
    collateral_value = 1.0;
    last_liquidated_step.assign(static_cast<std::size_t>(book.accounts), 0);
    step = 0;
    deposit_due_step.assign(static_cast<std::size_t>(book.accounts), 0);
    deposit_amount.assign(static_cast<std::size_t>(book.accounts), 0);
    has_margin_tiers = book.per_position_margins;
  }
};

}  // namespace margin_stress::cpu
