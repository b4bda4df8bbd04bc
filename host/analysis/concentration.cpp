#include "host/analysis/concentration.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace margin_stress {

std::vector<MarketConcentration> open_interest_concentration(const Portfolio& portfolio,
                                                             const std::vector<MarketSpec>& markets) {
  std::vector<MarketConcentration> concentration;
  for (const MarketSpec& market : markets) {
    // Each account's gross notional in this market.
    std::vector<double> holdings;
    for (std::size_t a = 0; a < portfolio.account_count(); ++a) {
      double notional = 0.0;
      for (auto p = portfolio.position_offset[a]; p < portfolio.position_offset[a + 1]; ++p) {
        const auto position = static_cast<std::size_t>(p);
        if (portfolio.market_names[static_cast<std::size_t>(portfolio.market_index[position])] != market.name) continue;
        notional += std::fabs(static_cast<double>(portfolio.quantity_lots[position])) * market.lot_size *
                    market.initial_price_usd;
      }
      if (notional > 0.0) holdings.push_back(notional);
    }
    std::sort(holdings.begin(), holdings.end(), std::greater<>());
    MarketConcentration entry;
    entry.market = market.name;
    entry.holders = static_cast<std::int64_t>(holdings.size());
    for (const double notional : holdings) entry.gross_notional_usd += notional;
    double top = 0.0;
    for (std::size_t k = 0; k < holdings.size(); ++k) {
      const double share = holdings[k] / entry.gross_notional_usd;
      top += share;
      entry.herfindahl += share * share;
      if (k == 0) entry.top_1_share = top;
      if (k < 5) entry.top_5_share = top;
      if (k < 10) entry.top_10_share = top;
    }
    concentration.push_back(entry);
  }
  return concentration;
}

}  // namespace margin_stress
