#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "kernels/cascade.hpp"
#include "kernels/lane.hpp"

namespace margin_stress::cuda {
namespace cascade_kernels {

template <formulas::PerPositionMargins per_position_margins>
struct TriggerAccounts {
  BookView book;
  TileView tile;
  ScanMode mode;
  MARGIN_STRESS_HOST_DEVICE void operator()(std::int64_t a) const {
    trigger_account<per_position_margins>(book, tile, a, mode);
  }
};

// The number of a scenario's accounts the round's trigger listed.
struct TriggeredCount {
  TileView tile;
  MARGIN_STRESS_HOST_DEVICE std::int64_t operator()(std::int64_t s) const { return tile.triggered_count[s]; }
};

struct DecideAccounts {
  BookView book;
  TileView tile;
  std::int32_t step_stamp;
  std::int32_t round;
  formulas::LiquidationRule rule;
  MARGIN_STRESS_HOST_DEVICE void operator()(std::int64_t s, std::int64_t i) const {
    decide_account(book, tile, s, i, step_stamp, round, rule);
  }
};

// A liquidation round's fills: the accounts its scan listed.
struct FillLiquidations {
  BookView book;
  TileView tile;
  std::int32_t stamp;
  double fee_rate;
  bool fee_depends_on_health;
  MARGIN_STRESS_HOST_DEVICE void operator()(std::int64_t s, std::int64_t i) const {
    fill_account_in<Orders::liquidation>(book, tile, s, tile.triggered[s * book.accounts + i], stamp, fee_rate,
                                         fee_depends_on_health);
  }
};

// The traders' own selling (round 0): account a in every scenario, without a fee.
struct FillSelling {
  BookView book;
  TileView tile;
  std::int32_t stamp;
  MARGIN_STRESS_HOST_DEVICE void operator()(std::int64_t a) const {
    for (std::int64_t s = 0; s < tile.scenarios; ++s)
      fill_account_in<Orders::selling_down>(book, tile, s, a, stamp, 0.0, false);
  }
};

// For the launches over a round's listed accounts: per scenario, an eighth of a wave (the lists are
// usually short, and the scenarios many).
static LaunchShape share_per_scenario(const LaunchShape& shape) {
  return {std::max(shape.blocks / 8, 1), shape.stream};
}

}  // namespace cascade_kernels

int scan_blocks_per_multiprocessor() {
  // The variant with per-position requirements, the larger of the two.
  return blocks_per_multiprocessor<cascade_kernels::TriggerAccounts<formulas::PerPositionMargins::present>>(
      "reading the account scan's occupancy");
}

void launch_scan_accounts(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int32_t step_stamp,
                          std::int32_t round, ScanMode mode, formulas::PerPositionMargins per_position_margins,
                          const formulas::LiquidationRule& rule) {
  using formulas::PerPositionMargins;
  if (per_position_margins == PerPositionMargins::present) {
    launch_over_range(shape, book.accounts,
                      cascade_kernels::TriggerAccounts<PerPositionMargins::present>{book, tile, mode},
                      "launching the account scan");
  } else {
    launch_over_range(shape, book.accounts,
                      cascade_kernels::TriggerAccounts<PerPositionMargins::absent>{book, tile, mode},
                      "launching the account scan");
  }
  if (mode == ScanMode::count) return;
  launch_over_scenarios(
      cascade_kernels::share_per_scenario(shape), tile.scenarios, cascade_kernels::TriggeredCount{tile},
      cascade_kernels::DecideAccounts{book, tile, step_stamp, round, rule}, "launching the liquidation decisions");
}

void launch_fill_liquidations(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int32_t stamp,
                              double fee_rate, bool fee_depends_on_health) {
  launch_over_scenarios(
      cascade_kernels::share_per_scenario(shape), tile.scenarios, cascade_kernels::TriggeredCount{tile},
      cascade_kernels::FillLiquidations{book, tile, stamp, fee_rate, fee_depends_on_health}, "launching the fills");
}

void launch_fill_selling(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int32_t stamp) {
  launch_over_range(shape, book.accounts, cascade_kernels::FillSelling{book, tile, stamp},
                    "launching the traders' selling");
}

void Lane::run_round_scan(const TileView& tile, std::int32_t step_stamp, std::int32_t round, ScanMode mode) {
  const ModelConfig& config = *context_.config;
  const std::size_t words = RoundCounters::words(tile.scenarios, context_.book->markets);
  send_round_inputs(tile.scenarios);
  zero(counters_.data(), words, stream_.get());
  if (mode == ScanMode::decide) zero(triggered_count_.data(), static_cast<std::size_t>(tile.scenarios), stream_.get());
  launch_scan_accounts(shape(), context_.device_book->view, tile, step_stamp, round, mode,
                       context_.per_position_margins, formulas::liquidation_rule(config.liquidation));
  to_host(host_counters_.data(), counters_.data(), words, stream_.get());
  wait_for_device("running a cascade round's scan");
}

// Scan, move the prices by each scenario's flow, fill, until a round finds no one in any scenario
// of the tile or the round cap is reached (docs/model.md section 7).
void Lane::run_cascade(const TileView& tile, std::int64_t first, std::int64_t t, std::int32_t step_stamp) {
  const ModelConfig& config = *context_.config;
  const ScenarioPaths& paths = *context_.paths;
  const std::int64_t count = tile.scenarios;
  const std::int64_t markets = context_.book->markets;
  std::vector<std::int64_t> flow_lots(static_cast<std::size_t>(markets));
  for (std::int32_t round = 1; round <= config.liquidation.max_cascade_rounds; ++round) {
    run_round_scan(tile, step_stamp, round, ScanMode::decide);
    const RoundCounters totals = RoundCounters::in(host_counters_.data(), count, markets);
    bool any = false;
    for (std::int64_t s = 0; s < count; ++s) {
      HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
      if (!host_active_[static_cast<std::size_t>(s)]) continue;
      if (scenario.failed || totals.liquidated_accounts[s] == 0) {
        host_active_[static_cast<std::size_t>(s)] = 0;
        continue;
      }
      any = true;
      guarded(scenario, paths.first_scenario + first + s, step_name(t),
              [&] { apply_round_totals(s, first + s, round, totals, flow_lots); });
      stage_markets(s);
    }
    if (!any) break;
    send_round_inputs(count);
    zero(counters_.data(), RoundCounters::words(count, markets), stream_.get());
    launch_fill_liquidations(shape(), context_.device_book->view, tile, step_stamp + round, config.liquidation.fee_rate,
                             config.liquidation.fee_depends_on_health);
    to_host(host_counters_.data(), counters_.data(), RoundCounters::words(count, markets), stream_.get());
    wait_for_device("filling a cascade round's orders");
    apply_fill_totals(first, count, t, totals);
  }
  check_round_cap(tile, step_stamp);
}

// Scenario s's round on the host: the backstop vault's takeovers at the round's opening marks, the
// LP's and the open interest's share of the orders, and the impact of the round's net flow.
void Lane::apply_round_totals(std::int64_t s, std::int64_t index, std::int32_t round, const RoundCounters& totals,
                              std::vector<std::int64_t>& flow_lots) {
  const Book& book = *context_.book;
  const auto markets = static_cast<std::size_t>(book.markets);
  HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
  StepRecord& record = scenario.record;
  record.rounds = round;
  if (totals.out_of_range[s] != 0) {
    throw std::overflow_error(
        "a backstop takeover is beyond the fixed-point range of +-4.6e12 USD (docs/model.md, section 1)");
  }
  if (totals.backstops[s] != 0) {
    record.backstopped_accounts += static_cast<std::int64_t>(totals.backstops[s]);
    scenario.vault_cash =
        add_checked(scenario.vault_cash, static_cast<micro_usd>(totals.vault_cash[s]), "a backstop takeover");
    for (std::size_t m = 0; m < markets; ++m) {
      const std::size_t sm = static_cast<std::size_t>(s) * markets + m;
      const auto taken = static_cast<std::int64_t>(totals.backstop_lots[sm]);
      scenario.vault_inventory[m] += static_cast<std::int64_t>(totals.vault_lots[sm]);
      scenario.open_lots[m] -= taken;
      record.backstop_notional_usd += static_cast<double>(taken) * scenario.markets[m].value_per_lot_usd;
    }
  }
  for (std::size_t m = 0; m < markets; ++m) {
    const std::size_t sm = static_cast<std::size_t>(s) * markets + m;
    flow_lots[m] = static_cast<std::int64_t>(totals.flow_lots[sm]);
    scenario.lp_inventory[m] -= flow_lots[m];
    scenario.open_lots[m] -= static_cast<std::int64_t>(totals.traded_lots[sm]);
    scenario.long_lots[m] -= static_cast<std::int64_t>(totals.long_lots_closed[sm]);
    record.liquidations[m] += static_cast<std::int64_t>(totals.liquidations[sm]);
  }
  scenario.model.apply_round_impact(flow_lots, scenario.markets,
                                    context_.results->scenarios[static_cast<std::size_t>(index)]);
  for (std::size_t m = 0; m < markets; ++m) {
    const std::size_t sm = static_cast<std::size_t>(s) * markets + m;
    record.liquidated_notional_usd[m] += static_cast<double>(static_cast<std::int64_t>(totals.traded_lots[sm])) *
                                         book.lot_size[m] * scenario.markets[m].market_price_usd;
  }
}

// The round's fills on the host: what the accounts paid the LP, and the fees into the fund.
void Lane::apply_fill_totals(std::int64_t first, std::int64_t count, std::int64_t t, const RoundCounters& totals) {
  const ScenarioPaths& paths = *context_.paths;
  for (std::int64_t s = 0; s < count; ++s) {
    HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
    if (!host_active_[static_cast<std::size_t>(s)]) continue;
    guarded(scenario, paths.first_scenario + first + s, step_name(t), [&] {
      if (totals.out_of_range[s] != 0) {
        throw std::overflow_error(
            "a liquidation fill or fee of the round is beyond the fixed-point range of +-4.6e12 USD "
            "(docs/model.md, section 1)");
      }
      const auto paid = static_cast<micro_usd>(totals.paid_to_liquidity_providers[s]);
      const auto fees = static_cast<micro_usd>(totals.fees[s]);
      scenario.lp_cash = add_checked(scenario.lp_cash, paid, "a liquidation fill");
      scenario.insurance_fund = add_checked(scenario.insurance_fund, fees, "a liquidation fee");
      scenario.record.fees = add_checked(scenario.record.fees, fees, "the step's liquidation fees");
    });
    if (scenario.failed) host_active_[static_cast<std::size_t>(s)] = 0;
  }
}

// The cap was reached with liquidations in its last round: is any account still below maintenance
// (it will be liquidated in the next step)?
void Lane::check_round_cap(const TileView& tile, std::int32_t step_stamp) {
  const std::int32_t rounds_cap = context_.config->liquidation.max_cascade_rounds;
  bool capped = false;
  for (std::int64_t s = 0; s < tile.scenarios; ++s) {
    const HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
    const bool hit = !scenario.failed && scenario.record.rounds == rounds_cap;
    host_active_[static_cast<std::size_t>(s)] = hit ? 1 : 0;
    capped = capped || hit;
  }
  if (!capped) return;
  run_round_scan(tile, step_stamp, rounds_cap, ScanMode::count);
  const RoundCounters totals = RoundCounters::in(host_counters_.data(), tile.scenarios, context_.book->markets);
  for (std::int64_t s = 0; s < tile.scenarios; ++s) {
    if (host_active_[static_cast<std::size_t>(s)]) {
      scenarios_[static_cast<std::size_t>(s)].record.round_cap_hit = totals.liquidated_accounts[s] > 0;
    }
  }
}

}  // namespace margin_stress::cuda
