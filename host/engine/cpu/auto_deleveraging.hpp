// The CPU reference's auto-deleveraging take (docs/model.md section 8): what a ranked position
// gives up when the walk down the ranking reaches it, with the model's formulas
// (host/model/formulas/auto_deleveraging.hpp) and checked money, applied to the scenario's state.
#pragma once

#include <algorithm>
#include <cstdint>

#include "host/model/formulas/auto_deleveraging.hpp"
#include "host/model/formulas/liquidation.hpp"
#include "host/model/money.hpp"

namespace margin_stress::cpu {

// What a ranked position gives up: the haircut h = min(still needed, its capacity) taken from its
// account's cash, and the lots it closes at the mark against the LP (formulas::adl_closed_lots),
// with their signed trade and cash cost. No take (haircut <= 0) leaves the position alone.
struct AdlTake {
  micro_usd haircut = 0;
  std::int64_t closed_lots = 0;
  std::int64_t traded_lots = 0;  // opposite in sign to the position
  micro_usd cost = 0;            // traded lots x lot x mark, paid by the account to the LP
};

inline AdlTake adl_take(micro_usd still_needed, std::int64_t quantity, double lot_size, double mark_price_usd,
                        double unrealized_usd, double equity_usd) {
  AdlTake take;
  const micro_usd profit = to_micro_usd_checked(unrealized_usd, "an ADL candidate's profit");
  const micro_usd equity = to_micro_usd_checked(equity_usd, "an ADL candidate's equity");
  take.haircut = std::min(still_needed, formulas::adl_capacity(profit, equity));
  if (take.haircut <= 0) return take;
  take.closed_lots = formulas::adl_closed_lots(take.haircut, quantity, unrealized_usd);
  take.traded_lots = formulas::closing_trade(quantity, take.closed_lots);
  take.cost = to_micro_usd_checked(formulas::fill_cost_usd(take.traded_lots, lot_size, mark_price_usd), "an ADL close");
  return take;
}

// Applies a take to the account's cash and lots and to the LP (the close is value-neutral at the
// mark; the haircut leaves the account).
inline void apply_adl_take(const AdlTake& take, micro_usd& account_cash, std::int64_t& quantity, micro_usd& lp_cash,
                           std::int64_t& lp_inventory) {
  transfer(account_cash, lp_cash, take.cost, "an ADL close");
  lp_inventory -= take.traded_lots;
  quantity += take.traded_lots;
  account_cash = add_checked(account_cash, -take.haircut, "an ADL haircut");
}

}  // namespace margin_stress::cpu
