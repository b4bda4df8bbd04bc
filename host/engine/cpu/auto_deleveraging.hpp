// Auto-deleveraging of one profitable position (docs/model.md section 8, "Auto-deleveraging"): its
// rank, and what it gives up when the walk down the ranking reaches it. The CPU reference ranks and
// walks on the host; the CUDA engine does both on the device (docs/model.md section 14) with the
// __host__ __device__ functions here (it computes the haircut from the capacities ranked before,
// kernels/kernel_bodies.hpp, and the close with adl_closed_lots, adl_traded_lots and
// adl_close_cost_usd), so both take the same haircuts and close the same lots.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "host/model/host_device.hpp"
#include "host/model/money.hpp"

namespace margin_stress::cpu {

// u_p = q_p lot_m (M_m - e_p).
MARGIN_STRESS_HOST_DEVICE inline double adl_unrealized_usd(std::int64_t quantity, double lot_size, double mark_price_usd,
                                                           double entry_price_usd) {
  return static_cast<double>(quantity) * lot_size * (mark_price_usd - entry_price_usd);
}

// A position's place in the ranking: a candidate when u_p > 0 and its account's equity E_a > 0,
// then score = (u_p / (|q_p| lot_m e_p)) (N_a / E_a), profit ratio times effective leverage
// (BitMEX), higher first.
struct AdlRank {
  bool candidate = false;
  double score = 0.0;
};

MARGIN_STRESS_HOST_DEVICE inline AdlRank adl_rank(std::int64_t quantity, double lot_size, double entry_price_usd,
                                                  double unrealized_usd, double equity_usd, double notional_usd) {
  if (unrealized_usd <= 0.0 || equity_usd <= 0.0) return {};
  const double cost_usd = static_cast<double>(quantity < 0 ? -quantity : quantity) * lot_size * entry_price_usd;
  const double profit_ratio = unrealized_usd / cost_usd;
  const double effective_leverage = notional_usd / equity_usd;
  return {true, profit_ratio * effective_leverage};
}

// The lots a haircut h closes: min(|q_p|, max(1, ceil((h 1e-6 / u_p) |q_p|))).
MARGIN_STRESS_HOST_DEVICE inline std::int64_t adl_closed_lots(micro_usd haircut, std::int64_t quantity,
                                                              double unrealized_usd) {
  const double share = to_usd(haircut) / unrealized_usd;
  const std::int64_t held = quantity < 0 ? -quantity : quantity;
  const auto closed = static_cast<std::int64_t>(::ceil(share * static_cast<double>(held)));
  return closed < 1 ? 1 : (closed > held ? held : closed);
}

// The close of `closed` lots of a position of `quantity`: the lots traded (opposite in sign to the
// position), and their cost at the mark in USD, paid by the account to the LP.
MARGIN_STRESS_HOST_DEVICE inline std::int64_t adl_traded_lots(std::int64_t quantity, std::int64_t closed) {
  return quantity > 0 ? -closed : closed;
}

MARGIN_STRESS_HOST_DEVICE inline double adl_close_cost_usd(std::int64_t traded_lots, double lot_size,
                                                           double mark_price_usd) {
  return static_cast<double>(traded_lots) * lot_size * mark_price_usd;
}

// What a ranked position gives up: the haircut h = min(still needed, round(u_p 1e6),
// max(round(E_a 1e6), 0)) taken from its account's cash, and the lots it closes at the mark against
// the LP, min(|q_p|, max(1, ceil((h 1e-6 / u_p) |q_p|))), with their signed trade and cash cost.
// No take (haircut <= 0) leaves the position alone.
struct AdlTake {
  micro_usd haircut = 0;
  std::int64_t closed_lots = 0;
  std::int64_t traded_lots = 0;  // opposite in sign to the position
  micro_usd cost = 0;            // traded lots x lot x mark, paid by the account to the LP
};

inline AdlTake adl_take(micro_usd still_needed, std::int64_t quantity, double lot_size, double mark_price_usd,
                        double unrealized_usd, double equity_usd) {
  AdlTake take;
  // Never more than the position's profit, nor below zero equity for the account.
  take.haircut = std::min({still_needed, to_micro_usd_checked(unrealized_usd, "an ADL candidate's profit"),
                           std::max<micro_usd>(to_micro_usd_checked(equity_usd, "an ADL candidate's equity"), 0)});
  if (take.haircut <= 0) return take;
  take.closed_lots = adl_closed_lots(take.haircut, quantity, unrealized_usd);
  take.traded_lots = adl_traded_lots(quantity, take.closed_lots);
  take.cost = to_micro_usd_checked(adl_close_cost_usd(take.traded_lots, lot_size, mark_price_usd), "an ADL close");
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
