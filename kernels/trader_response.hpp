// Margin calls and the traders' answer on the device (docs/model.md section 7a): what one thread
// does for an account, and the launcher (kernels/trader_response.cu). The CPU reference's
// counterpart is host/engine/cpu/trader_response.cpp.
#pragma once

#include <cstdint>

#include "host/engine/margin_call_draw.hpp"
#include "host/model/formulas/margin_calls.hpp"
#include "host/model/formulas/valuation.hpp"
#include "host/model/host_device.hpp"
#include "kernels/cascade.hpp"
#include "kernels/launch.hpp"
#include "kernels/tile.hpp"

namespace margin_stress::cuda {

// Margin calls and the traders' answer at the opening of step t (docs/model.md section 7a), for
// every active scenario: promised deposits arrive, called accounts promise deposits or are given
// selling orders, stamped `step_stamp` (round 0), their flow added to the counters.
struct TraderResponseLaunch {
  std::int32_t step = 0;
  std::int32_t step_stamp = 0;
  std::int64_t first_global_scenario = 0;  // the run's index of the tile's scenario 0
  std::uint64_t seed = 0;
  double top_up_probability = 0.0;
  std::int32_t top_up_delay_steps = 0;
};

// Account a's answer to margin calls in every active scenario (docs/model.md section 7a), as
// cpu::respond_to_margin_calls: a promised deposit arrives if it is due; then, if a raise left the
// account above maintenance and below initial margin, it promises a deposit or sells down.
MARGIN_STRESS_HOST_DEVICE inline void respond_account(const BookView& book, const TileView& tile, std::int64_t a,
                                                      const TraderResponseLaunch& response) {
  const AccountView book_account = account_in_book(book, a);
  for (std::int64_t s = 0; s < tile.scenarios; ++s) {
    if (!tile.active[s]) continue;
    const std::int64_t sa = s * book.accounts + a;
    bool in_range = true;
    if (tile.deposit_due_step[sa] == response.step) {
      tile.deposit_due_step[sa] = 0;
      const AccountView account = account_in(book, tile, book_account, s, a);
      if (formulas::has_open_positions(account)) {
        touch_account(book, tile, s, a, account);
        tile.cash[sa] = add_in_range(tile.cash[sa], tile.deposit_amount[sa], in_range);
        add_to_total(&tile.counters.deposits[s], tile.deposit_amount[sa]);
      }
      tile.deposit_amount[sa] = 0;
    }
    const ScenarioMarketsView view = markets_of(book, tile, s);
    bool raised = false;  // as ScenarioMarkets::any_scale_rose: without a raise no one is called
    for (std::int64_t m = 0; m < book.markets; ++m)
      raised = raised || view.markets[m].margin_scale > view.markets[m].previous_margin_scale;
    if (raised && tile.deposit_due_step[sa] == 0) {
      const AccountView account = account_in(book, tile, book_account, s, a);
      const AccountValuation valuation = account.positions > 0 ? value_account(account, view) : AccountValuation{};
      if (valuation.has_positions &&
          formulas::is_margin_called(valuation, formulas::initial_margin_before_raise_usd(account, view.markets))) {
        add_to_total(&tile.counters.margin_calls[s], 1);
        const double u = margin_call_uniform(response.seed, response.first_global_scenario + s, response.step, a);
        if (u < response.top_up_probability) {
          const micro_usd deposit =
              to_micro_usd_in_range(formulas::top_up_usd(valuation, view.collateral_value), in_range);
          if (response.top_up_delay_steps == 0) {
            touch_account(book, tile, s, a, account);
            tile.cash[sa] = add_in_range(tile.cash[sa], deposit, in_range);
            add_to_total(&tile.counters.deposits[s], deposit);
          } else {
            tile.deposit_due_step[sa] = response.step + response.top_up_delay_steps;
            tile.deposit_amount[sa] = deposit;
          }
        } else {
          const std::int64_t* quantity = touch_account(book, tile, s, a, account);
          ClosingOrders selling_down;
          selling_down.fraction = formulas::deleveraging_fraction(valuation);
          const std::int64_t ordered = place_closing_orders(book, tile, s, account, quantity, selling_down);
          if (ordered > 0) tile.liquidation_stamp[sa] = response.step_stamp;  // round 0: the traders' own selling
        }
      }
    }
    if (!in_range) add_to_total(&tile.counters.out_of_range[s], 1);
  }
}

void launch_respond_to_margin_calls(const LaunchShape& shape, const BookView& book, const TileView& tile,
                                    const TraderResponseLaunch& response);

}  // namespace margin_stress::cuda
