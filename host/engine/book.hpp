// The read-only part of a run that every scenario shares: the portfolio turned into the engine's
// state variables (docs/model.md, "Accounts and positions") and the per-market constants.
#pragma once

#include <cstdint>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/formulas/size_scaled_margins.hpp"
#include "host/model/money.hpp"
#include "host/model/portfolio.hpp"

namespace margin_stress {

struct Book {
  std::int64_t accounts = 0;
  std::int64_t positions = 0;
  std::int64_t markets = 0;
  std::vector<std::int64_t> position_offset;   // accounts + 1
  std::vector<std::int32_t> position_market;   // per position
  std::vector<std::int64_t> position_account;  // per position, the owning account
  std::vector<double> entry_price_usd;         // per position
  std::vector<double> lot_size;                // per market
  // Initial state of every scenario: K_a = round((C_a - sum_p q_p * lot * e_p) * 1e6) and q_p.
  std::vector<micro_usd> initial_cash;         // per account
  std::vector<std::int64_t> initial_quantity;  // per position
  // The outside liquidity providers hold the other side of the book's net position per market.
  std::vector<std::int64_t> initial_lp_inventory;  // per market, = -sum of q over the market
  // Size-scaled margins (docs/model.md, "Equity and margin"): per market, its notional brackets
  // (empty: the linear fractions), and whether any market's imf scales with open interest.
  std::vector<std::vector<formulas::MarginBracket>> margin_brackets;
  bool scales_with_open_interest = false;
  // Some market's requirement is per position (brackets or Drift's size premium): scans then take
  // the per-position path (formulas::PerPositionMargins::present).
  bool per_position_margins = false;
  // Auto-deleveraging's candidates by (market, side), pair m * 2 + side (0 long, 1 short): the
  // positions opened on that side, ascending. Positions never change side (fills and ADL only
  // close), so the lists hold for every scenario. Pair k's are
  // adl_positions[adl_offset[k], adl_offset[k + 1]).
  std::vector<std::int64_t> adl_positions;
  std::vector<std::int64_t> adl_offset;  // 2 markets + 1

  // Bytes of the per-account and per-position arrays of a book of `accounts` accounts and
  // `positions` positions (the per-market ones are negligible), from their element types.
  static double bytes(double accounts, double positions) {
    constexpr double per_account =
        sizeof(decltype(position_offset)::value_type) + sizeof(decltype(initial_cash)::value_type);
    constexpr double per_position =
        sizeof(decltype(position_market)::value_type) + sizeof(decltype(position_account)::value_type) +
        sizeof(decltype(entry_price_usd)::value_type) + sizeof(decltype(initial_quantity)::value_type) +
        sizeof(decltype(adl_positions)::value_type);
    return accounts * per_account + positions * per_position;
  }
};

Book make_book(const ModelConfig& config, const Portfolio& portfolio);

}  // namespace margin_stress
