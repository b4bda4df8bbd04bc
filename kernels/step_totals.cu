#include <cstdint>

#include "kernels/step_totals.hpp"

namespace margin_stress::cuda {
namespace step_totals_kernels {

struct TieredInitialMargin {
  BookView book;
  TileView tile;
  MARGIN_STRESS_HOST_DEVICE void operator()(std::int64_t s, std::int64_t a, const Sums& sums) const {
    add_tiered_initial_margin(book, tile, s, a, sums);
  }
};

struct CashChange {
  BookView book;
  TileView tile;
  MARGIN_STRESS_HOST_DEVICE void operator()(std::int64_t s, std::int64_t a, const Sums& sums) const {
    const micro_usd change = cash_change_of(book, tile, s, a);
    if (change != 0) sums.add(0, change);
  }
};

}  // namespace step_totals_kernels

void launch_tiered_initial_margin(const LaunchShape& shape, const BookView& book, const TileView& tile,
                                  unsigned long long* totals) {
  launch_sums_over_scenarios(shape, tile.scenarios, book.accounts, book.markets + 1,
                             step_totals_kernels::TieredInitialMargin{book, tile}, totals,
                             "launching the tiered initial margin");
}

void launch_cash_change(const LaunchShape& shape, const BookView& book, const TileView& tile,
                        unsigned long long* cash_change) {
  launch_sums_over_scenarios(shape, tile.scenarios, book.accounts, 1, step_totals_kernels::CashChange{book, tile},
                             cash_change, "launching the cash totals");
}

}  // namespace margin_stress::cuda
