#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "kernels/lane.hpp"
#include "kernels/trader_response.hpp"

namespace margin_stress::cuda {
namespace trader_response_kernels {

struct RespondToMarginCalls {
  BookView book;
  TileView tile;
  TraderResponseLaunch response;
  MARGIN_STRESS_HOST_DEVICE void operator()(std::int64_t a) const { respond_account(book, tile, a, response); }
};

}  // namespace trader_response_kernels

void launch_respond_to_margin_calls(const LaunchShape& shape, const BookView& book, const TileView& tile,
                                    const TraderResponseLaunch& response) {
  launch_over_range(shape, book.accounts, trader_response_kernels::RespondToMarginCalls{book, tile, response},
                    "launching the margin calls");
}

void Lane::respond_to_margin_calls(const TileView& tile, std::int64_t first, std::int64_t t, std::int32_t step_stamp) {
  const ModelConfig& config = *context_.config;
  const ScenarioPaths& paths = *context_.paths;
  const Book& book = *context_.book;
  const auto markets = static_cast<std::size_t>(book.markets);
  const std::int64_t count = tile.scenarios;
  const std::size_t words = RoundCounters::words(count, book.markets);
  TraderResponseLaunch response;
  response.step = static_cast<std::int32_t>(t);
  response.step_stamp = step_stamp;
  response.first_global_scenario = paths.first_scenario + first;
  response.seed = config.run.seed;
  response.top_up_probability = config.trader_response.top_up_probability;
  response.top_up_delay_steps = static_cast<std::int32_t>(config.trader_response.top_up_delay_steps);
  send_round_inputs(count);
  zero(counters_.data(), words, stream_.get());
  launch_respond_to_margin_calls(shape(), context_.device_book->view, tile, response);
  to_host(host_counters_.data(), counters_.data(), words, stream_.get());
  wait_for_device("answering margin calls");

  // The sellers' round: its flow moves the prices, then the orders fill there, without a fee.
  const RoundCounters totals = RoundCounters::in(host_counters_.data(), count, book.markets);
  std::vector<std::int64_t> flow_lots(markets);
  bool selling = false;
  for (std::int64_t s = 0; s < count; ++s) {
    HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
    const std::int64_t index = first + s;
    bool sold = false;
    guarded(scenario, paths.first_scenario + index, step_name(t), [&] {
      if (totals.out_of_range[s] != 0) {
        throw std::overflow_error(
            "a deposit is beyond the fixed-point range of +-4.6e12 USD (docs/model.md, section 1)");
      }
      StepRecord& record = scenario.record;
      record.margin_calls += static_cast<std::int64_t>(totals.margin_calls[s]);
      record.deposits = add_checked(record.deposits, static_cast<micro_usd>(totals.deposits[s]), "the step's deposits");
      for (std::size_t m = 0; m < markets; ++m)
        sold = sold || totals.traded_lots[static_cast<std::size_t>(s) * markets + m] != 0;
      if (!sold) return;
      for (std::size_t m = 0; m < markets; ++m) {
        const std::size_t sm = static_cast<std::size_t>(s) * markets + m;
        flow_lots[m] = static_cast<std::int64_t>(totals.flow_lots[sm]);
        scenario.lp_inventory[m] -= flow_lots[m];
        scenario.open_lots[m] -= static_cast<std::int64_t>(totals.traded_lots[sm]);
        scenario.long_lots[m] -= static_cast<std::int64_t>(totals.long_lots_closed[sm]);
      }
      scenario.model.apply_round_impact(flow_lots, scenario.markets,
                                        context_.results->scenarios[static_cast<std::size_t>(index)]);
      for (std::size_t m = 0; m < markets; ++m) {
        const std::size_t sm = static_cast<std::size_t>(s) * markets + m;
        record.deleveraged_notional_usd[m] += static_cast<double>(static_cast<std::int64_t>(totals.traded_lots[sm])) *
                                              book.lot_size[m] * scenario.markets[m].market_price_usd;
      }
      record.deleveraged = true;
    });
    stage_markets(s);
    host_active_[static_cast<std::size_t>(s)] = sold && !scenario.failed ? 1 : 0;
    selling = selling || sold;
  }
  if (selling) {
    send_round_inputs(count);
    zero(counters_.data(), words, stream_.get());
    launch_fill_selling(shape(), context_.device_book->view, tile, step_stamp);
    to_host(host_counters_.data(), counters_.data(), words, stream_.get());
    wait_for_device("filling the traders' own selling");
    for (std::int64_t s = 0; s < count; ++s) {
      HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
      if (!host_active_[static_cast<std::size_t>(s)]) continue;
      guarded(scenario, paths.first_scenario + first + s, step_name(t), [&] {
        if (totals.out_of_range[s] != 0) {
          throw std::overflow_error(
              "a deleveraging sale is beyond the fixed-point range of +-4.6e12 USD (docs/model.md, "
              "section 1)");
        }
        scenario.lp_cash = add_checked(scenario.lp_cash, static_cast<micro_usd>(totals.paid_to_liquidity_providers[s]),
                                       "a deleveraging sale");
      });
    }
  }
  // Every scenario that has not failed goes on to the cascade.
  for (std::int64_t s = 0; s < count; ++s) {
    host_active_[static_cast<std::size_t>(s)] = scenarios_[static_cast<std::size_t>(s)].failed ? 0 : 1;
  }
}

}  // namespace margin_stress::cuda
