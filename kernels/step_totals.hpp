// A step's totals over every account on the device (docs/model.md sections 9 and 11): the initial
// margin of markets with per-position requirements and, at the end, the traders' cash; per-thread
// bodies and launchers (kernels/step_totals.cu). The CPU reference sums these in
// host/engine/cpu/account.hpp and host/engine/cpu/scenario_run.cpp.
#pragma once

#include <cstdint>

#include "host/model/formulas/valuation.hpp"
#include "host/model/host_device.hpp"
#include "host/model/money.hpp"
#include "kernels/launch.hpp"
#include "kernels/tile.hpp"

namespace margin_stress::cuda {

// Account a's open positions in markets with per-position requirements (brackets or a size
// premium) in scenario s: each one's initial margin, rounded to the micro-dollar, added to word m
// of `sums` (its market); a requirement beyond the money range is counted in word M instead.
MARGIN_STRESS_HOST_DEVICE inline void add_tiered_initial_margin(const BookView& book, const TileView& tile,
                                                                std::int64_t s, std::int64_t a, const Sums& sums) {
  const AccountView account = account_in(book, tile, s, a);
  const ScenarioMarketsView view = markets_of(book, tile, s);
  for (std::int64_t p = 0; p < account.positions; ++p) {
    const std::int64_t quantity = account.quantity[p];
    const MarketTerms& market = view.markets[account.market[p]];
    if (quantity == 0 || !market.per_position) continue;
    const double requirement_usd =
        formulas::per_position_initial_usd(market, static_cast<double>(formulas::absolute_lots(quantity)));
    bool in_range = true;
    const micro_usd requirement = to_micro_usd_in_range(requirement_usd, in_range);
    if (in_range) {
      sums.add(account.market[p], requirement);
    } else {
      sums.add(book.markets, 1);
    }
  }
}

// Account a's cash in scenario s less its cash in the book.
MARGIN_STRESS_HOST_DEVICE inline micro_usd cash_change_of(const BookView& book, const TileView& tile, std::int64_t s,
                                                          std::int64_t a) {
  const std::int64_t sa = s * book.accounts + a;
  return tile.touched[sa] ? tile.cash[sa] - book.initial_cash[a] : 0;
}

// Per scenario, the initial margin of the open positions in markets with per-position requirements
// at the markets' current terms, by market, each position's requirement rounded to the
// micro-dollar (untiered markets stay 0), then the number of requirements beyond the money range:
// [S][M + 1] words, zeroed by the caller.
void launch_tiered_initial_margin(const LaunchShape& shape, const BookView& book, const TileView& tile,
                                  unsigned long long* totals);

// Per scenario, the sum over accounts of cash minus initial cash ([S], zeroed by the caller).
void launch_cash_change(const LaunchShape& shape, const BookView& book, const TileView& tile,
                        unsigned long long* cash_change);

}  // namespace margin_stress::cuda
