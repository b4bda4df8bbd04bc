// What one scenario did to each account: the per-account drill-down of `run --accounts-out`
// (docs/model.md section 11, "Per account"; the CSV columns in docs/results.md, "Accounts files").
// Money in micro-dollars where the engine moves it as cash (exact, and summing to the scenario's
// ledger), USD where it is a value at marks. Losses and payments are positive.
#pragma once

#include <cstdint>
#include <vector>

#include "host/model/money.hpp"

namespace margin_stress {

struct AccountOutcome {
  double initial_equity_usd = 0.0;       // E_a at the step-0 marks
  double final_equity_usd = 0.0;         // E_a at the final marks (0 once bankrupt or taken over)
  micro_usd deposits = 0;                // deposited in answer to margin calls (section 7a)
  double liquidated_notional_usd = 0.0;  // sum over its fills of |lots| lot_m x_m
  micro_usd liquidation_fees = 0;        // fees it paid into the insurance fund
  micro_usd deficit = 0;                 // X_a: its negative cash when settled bankrupt
  micro_usd insurance_payout = 0;        // the part of X_a the insurance fund paid
  micro_usd adl_received = 0;            // the part of X_a that ADL haircuts on others covered
  micro_usd bad_debt = 0;                // the part of X_a written off: X_a - payout - ADL received
  micro_usd adl_haircut_paid = 0;        // profit ADL took from this account's positions
  bool backstopped = false;              // the backstop vault took it over
  // The vault's gain on this account: the cash it took over (positive or negative) plus the lots it
  // took at the final marks; minus it is the vault's loss on the account.
  double backstop_vault_pnl_usd = 0.0;
};

// Every account's outcome in one scenario, in account order.
struct ScenarioAccounts {
  std::int64_t scenario = 0;  // the global scenario number
  std::vector<AccountOutcome> accounts;
};

}  // namespace margin_stress
