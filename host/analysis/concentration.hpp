// Concentration of each market's open positions at the start (docs/reverse.md, "Concentration"):
// how much of a market the largest accounts hold, and the Herfindahl index.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/portfolio.hpp"

namespace margin_stress {

struct MarketConcentration {
  std::string market;
  std::int64_t holders = 0;         // accounts with a position in the market
  double gross_notional_usd = 0.0;  // sum over positions of |q| lot P (longs and shorts), at step 0
  double top_1_share = 0.0;         // the largest account's share of gross_notional_usd
  double top_5_share = 0.0;         // the 5 largest accounts' (all of them when fewer)
  double top_10_share = 0.0;
  double herfindahl = 0.0;  // sum over accounts of the share squared, in (0, 1]; 0 with no holder
};

// One entry per market of `markets`, in config order, from the book's positions at the markets'
// initial prices. The book's markets must be among `markets` (validate_portfolio).
std::vector<MarketConcentration> open_interest_concentration(const Portfolio& portfolio,
                                                             const std::vector<MarketSpec>& markets);

}  // namespace margin_stress
