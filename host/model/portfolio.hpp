// A book of cross-margin accounts in structure-of-arrays layout (docs/model.md, "Accounts and
// positions"; file schema in docs/results.md). An isolated-margin position is an account with one
// position. Positions of account a are positions [position_offset[a], position_offset[a+1]).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace margin_stress {

struct Portfolio {
  std::vector<std::string> market_names;  // markets the positions index, in config order

  std::vector<double> collateral_usd;         // per account, >= 0, in the stable quote currency
  std::vector<std::int64_t> position_offset;  // accounts + 1 entries, non-decreasing, first 0

  std::vector<std::int32_t> market_index;   // per position, into market_names
  std::vector<std::int64_t> quantity_lots;  // per position, signed (long > 0), never 0
  std::vector<double> entry_price_usd;      // per position, > 0

  std::size_t account_count() const { return collateral_usd.size(); }
  std::size_t position_count() const { return quantity_lots.size(); }

  // Bytes of the arrays of a book of `accounts` accounts and `positions` positions, from their
  // element types: for a memory check before a book is made. A double, as the counts a config
  // asks for can make any integer type overflow.
  static double bytes(double accounts, double positions) {
    constexpr double per_account =
        sizeof(decltype(collateral_usd)::value_type) + sizeof(decltype(position_offset)::value_type);
    constexpr double per_position = sizeof(decltype(market_index)::value_type) +
                                    sizeof(decltype(quantity_lots)::value_type) +
                                    sizeof(decltype(entry_price_usd)::value_type);
    return accounts * per_account + positions * per_position;
  }
};

}  // namespace margin_stress
