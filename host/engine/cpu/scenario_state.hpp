// The mutable state of one scenario as it runs through the CPU reference (docs/model.md, "State").
#pragma once

#include <cstdint>
#include <vector>

#include "host/engine/book.hpp"
#include "host/engine/market_state.hpp"
#include "host/model/account_outcome.hpp"
#include "host/model/money.hpp"

namespace margin_stress::cpu {

struct ScenarioState {
  std::vector<micro_usd> cash;             // K_a per account
  std::vector<std::int64_t> quantity;      // q_p per position, lots, signed
  std::vector<std::int64_t> lp_inventory;  // per market, lots
  micro_usd lp_cash = 0;
  // The backstop vault (docs/model.md section 7): its cash and the positions it took over.
  micro_usd vault_cash = 0;
  std::vector<std::int64_t> vault_inventory;  // per market, lots
  micro_usd insurance_fund = 0;
  double collateral_value = 1.0;          // c(t), from the scenario path
  std::vector<MarketState> markets;       // run by ScenarioMarkets
  bool has_per_position_margins = false;  // Book::per_position_margins
  // The step each account was last liquidated in (0: never), for liquidation.mode = fixed_fraction,
  // whose cooldown closes whole positions of an account liquidated earlier in the same step.
  std::vector<std::int64_t> last_liquidated_step;
  std::int64_t step = 0;  // the step being run
  // Deposits promised in answer to margin calls (docs/model.md section 7a), per account: the step
  // they arrive at (0: none pending) and the amount.
  std::vector<std::int64_t> deposit_due_step;
  std::vector<micro_usd> deposit_amount;
  // Where each account's outcome is recorded when the scenario is captured (run_scenario's
  // `accounts`; null otherwise), and the lots the backstop vault took from each position, valued at
  // the end for the vault's per-account P&L.
  std::vector<AccountOutcome>* accounts = nullptr;
  std::vector<std::int64_t> backstopped_quantity;

  // Bytes one worker's state takes for a book of `accounts` accounts and `positions` positions:
  // the per-account and per-position arrays above, and settlement's per-account scratch (a flag
  // and a row, host/engine/cpu/settlement.cpp).
  static double bytes(double accounts, double positions) {
    constexpr double per_account = sizeof(decltype(cash)::value_type) +
                                   sizeof(decltype(last_liquidated_step)::value_type) +
                                   sizeof(decltype(deposit_due_step)::value_type) +
                                   sizeof(decltype(deposit_amount)::value_type) + sizeof(char) + sizeof(std::size_t);
    constexpr double per_position = sizeof(decltype(quantity)::value_type);
    return accounts * per_account + positions * per_position;
  }

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
    has_per_position_margins = book.per_position_margins;
  }
};

}  // namespace margin_stress::cpu
