// Auto-deleveraging of profitable positions (docs/model.md section 8): a position's rank, what it
// can give up, and the close a haircut makes. The CPU reference walks the ranking in order; the
// CUDA engine computes each haircut from the capacities ranked before it (docs/model.md section 14);
// both with these functions, so they take the same haircuts and close the same lots.
#pragma once

#include <cstdint>

#include "host/model/formulas/valuation.hpp"
#include "host/model/host_device.hpp"
#include "host/model/money.hpp"

namespace margin_stress::formulas {

// u_p = q_p lot_m (M_m - e_p).
MARGIN_STRESS_HOST_DEVICE inline double adl_unrealized_usd(std::int64_t quantity, double lot_size,
                                                           double mark_price_usd, double entry_price_usd) {
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
                                                  double unrealized_usd, const AccountValuation& account) {
  if (unrealized_usd <= 0.0 || account.equity_usd <= 0.0) return {};
  const double cost_usd = static_cast<double>(absolute_lots(quantity)) * lot_size * entry_price_usd;
  const double profit_ratio = unrealized_usd / cost_usd;
  const double effective_leverage = account.notional_usd / account.equity_usd;
  return {true, profit_ratio * effective_leverage};
}

// The ranking's order: higher score first, ties by position index, lower first. (The CUDA engine
// gets the same order from a stable sort by score of lists in position order.)
MARGIN_STRESS_HOST_DEVICE inline bool adl_ranks_before(double score, std::int64_t position, double other_score,
                                                       std::int64_t other_position) {
  return score != other_score ? score > other_score : position < other_position;
}

// What a candidate can give up, in micro-dollars: min(round(u_p 1e6), max(round(E_a 1e6), 0)):
// never more than the position's profit, nor below zero equity for the account.
MARGIN_STRESS_HOST_DEVICE inline micro_usd adl_capacity(micro_usd profit, micro_usd equity) {
  const micro_usd payable = equity < 0 ? 0 : equity;
  return payable < profit ? payable : profit;  // std::min(profit, payable)
}

// The lots a haircut h closes: min(|q_p|, max(1, ceil((h 1e-6 / u_p) |q_p|))).
MARGIN_STRESS_HOST_DEVICE inline std::int64_t adl_closed_lots(micro_usd haircut, std::int64_t quantity,
                                                              double unrealized_usd) {
  const double share = to_usd(haircut) / unrealized_usd;
  const std::int64_t held = absolute_lots(quantity);
  const auto closed = static_cast<std::int64_t>(::ceil(share * static_cast<double>(held)));
  return closed < 1 ? 1 : (closed > held ? held : closed);
}

}  // namespace margin_stress::formulas
