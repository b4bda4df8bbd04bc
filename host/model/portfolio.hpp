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
};

}  // namespace margin_stress
