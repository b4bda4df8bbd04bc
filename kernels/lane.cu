#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "kernels/lane.hpp"
#include "kernels/step_totals.hpp"

namespace margin_stress::cuda {

template <typename Visit>
void Lane::visit_tile_buffers(const Book& book, const ModelConfig& config, Visit&& visit) {
  const auto accounts = static_cast<std::size_t>(book.accounts);
  const auto positions = static_cast<std::size_t>(book.positions);
  const auto markets = static_cast<std::size_t>(book.markets);
  visit(&Lane::touched_, accounts);
  visit(&Lane::cash_, accounts);
  visit(&Lane::liquidation_stamp_, accounts);
  visit(&Lane::step_liquidated_, accounts);
  visit(&Lane::triggered_, accounts);
  visit(&Lane::triggered_count_, 1);
  visit(&Lane::quantity_, positions);
  visit(&Lane::order_lots_, positions);
  visit(&Lane::step_notional_, positions);
  visit(&Lane::markets_, markets);
  visit(&Lane::collateral_, 1);
  visit(&Lane::active_, 1);
  visit(&Lane::counters_, RoundCounters::words(1, book.markets));
  visit(&Lane::step_liquidated_count_, 1);
  if (config.trader_response.enabled) {
    visit(&Lane::deposit_due_step_, accounts);
    visit(&Lane::deposit_amount_, accounts);
  }
  visit(&Lane::offsets_, 1);
  visit(&Lane::totals_, markets + 1);
}

template <typename Visit>
void Lane::visit_lane_buffers(const Book& book, std::int64_t longest_adl_list, const ModelConfig& config,
                              Visit&& visit) {
  const auto accounts = static_cast<std::size_t>(book.accounts);
  visit(&Lane::found_accounts_, accounts);
  visit(&Lane::found_deficits_, accounts);
  if (!config.insurance_fund.auto_deleveraging) return;
  const auto list = static_cast<std::size_t>(std::max<std::int64_t>(longest_adl_list, 1));
  visit(&Lane::adl_scores_, list);
  visit(&Lane::adl_candidate_, list);
  visit(&Lane::adl_capacities_, list);
  visit(&Lane::adl_entries_, list);
  visit(&Lane::adl_selected_scores_, list);
  visit(&Lane::adl_selected_, list);
  visit(&Lane::adl_sorted_scores_, list);
  visit(&Lane::adl_ranked_, list);
  visit(&Lane::adl_ranked_capacity_, list);
  visit(&Lane::adl_before_, list);
  visit(&Lane::adl_selected_count_, 1);
  visit(&Lane::adl_totals_, adl_total_words);
}

namespace {

// Adds a buffer's bytes, elements times its element type's size, to `bytes`.
struct AddBufferBytes {
  std::size_t& bytes;
  template <typename Buffer>
  void operator()(Buffer Lane::*, std::size_t elements) const {
    bytes += elements * sizeof(typename Buffer::value_type);
  }
};

}  // namespace

std::size_t Lane::device_bytes_per_scenario(const Book& book, const ModelConfig& config) {
  std::size_t bytes = 0;
  visit_tile_buffers(book, config, AddBufferBytes{bytes});
  return bytes;
}

std::size_t Lane::device_bytes_per_lane(const Book& book, std::int64_t longest_adl_list, const ModelConfig& config) {
  std::size_t bytes = 0;
  visit_lane_buffers(book, longest_adl_list, config, AddBufferBytes{bytes});
  return bytes;
}

Lane::Lane(const RunContext& context, std::int64_t capacity) : context_(context), capacity_(capacity) {
  const Book& book = *context.book;
  const ModelConfig& config = *context.config;
  const auto scenarios = static_cast<std::size_t>(capacity);
  const auto accounts = static_cast<std::size_t>(book.accounts);
  const auto markets = static_cast<std::size_t>(book.markets);
  visit_tile_buffers(book, config,
                     [&](auto buffer, std::size_t elements) { (this->*buffer).resize(elements * scenarios); });
  const std::int64_t longest = context.device_book->longest_adl_list;
  visit_lane_buffers(book, longest, config,
                     [&](auto buffer, std::size_t elements) { (this->*buffer).resize(elements); });
  if (config.insurance_fund.auto_deleveraging) {
    adl_temporary_.resize(adl_workspace_temporary_bytes(longest));
    const auto list = static_cast<std::size_t>(std::max<std::int64_t>(longest, 1));
    std::vector<std::int64_t> entries(list);
    for (std::size_t i = 0; i < list; ++i) entries[i] = static_cast<std::int64_t>(i);
    MARGIN_STRESS_CUDA_CHECK(
        cudaMemcpy(adl_entries_.data(), entries.data(), list * sizeof(std::int64_t), cudaMemcpyHostToDevice),
        "copying the ADL entry indices");
  }
  host_markets_.resize(scenarios * markets);
  host_collateral_.resize(scenarios);
  host_active_.resize(scenarios);
  host_counters_.resize(RoundCounters::words(capacity, book.markets));
  host_counts_.resize(scenarios);
  host_offsets_.resize(scenarios);
  host_totals_.resize(scenarios * (markets + 1));
  host_found_accounts_.resize(accounts);
  host_found_deficits_.resize(accounts);
}

TileView Lane::view(std::int64_t scenarios) {
  TileView tile;
  tile.scenarios = scenarios;
  tile.touched = touched_.data();
  tile.cash = cash_.data();
  tile.quantity = quantity_.data();
  tile.order_lots = order_lots_.data();
  tile.step_notional_usd = step_notional_.data();
  tile.liquidation_stamp = liquidation_stamp_.data();
  tile.step_liquidated = step_liquidated_.data();
  tile.step_liquidated_count = step_liquidated_count_.data();
  tile.triggered = triggered_.data();
  tile.triggered_count = triggered_count_.data();
  tile.deposit_due_step = deposit_due_step_.data();
  tile.deposit_amount = deposit_amount_.data();
  tile.markets = markets_.data();
  tile.collateral_value = collateral_.data();
  tile.active = active_.data();
  tile.counters = RoundCounters::in(counters_.data(), scenarios, context_.book->markets);
  return tile;
}

AdlWorkspace Lane::adl_workspace() {
  AdlWorkspace workspace;
  workspace.scores = adl_scores_.data();
  workspace.candidate = adl_candidate_.data();
  workspace.capacities = adl_capacities_.data();
  workspace.entries = adl_entries_.data();
  workspace.selected_scores = adl_selected_scores_.data();
  workspace.selected = adl_selected_.data();
  workspace.sorted_scores = adl_sorted_scores_.data();
  workspace.ranked = adl_ranked_.data();
  workspace.ranked_capacity = adl_ranked_capacity_.data();
  workspace.before = adl_before_.data();
  workspace.selected_count = adl_selected_count_.data();
  workspace.totals = adl_totals_.data();
  workspace.temporary = adl_temporary_.data();
  workspace.temporary_bytes = adl_temporary_.size();
  return workspace;
}

void Lane::stage_markets(std::int64_t s) {
  const DeviceBook& device_book = *context_.device_book;
  const HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
  const auto markets = static_cast<std::size_t>(context_.book->markets);
  for (std::size_t m = 0; m < markets; ++m) {
    MarketTerms& row = host_markets_[static_cast<std::size_t>(s) * markets + m];
    if (scenario.markets.empty()) {  // failed at its start: inactive, but the per-scenario kernels read its row
      row = MarketTerms{};
      continue;
    }
    row = device_book.market_row(scenario.markets[m], m);
  }
  host_collateral_[static_cast<std::size_t>(s)] = scenario.model.collateral_value();
}

void Lane::send_round_inputs(std::int64_t scenarios) {
  const auto markets = static_cast<std::size_t>(context_.book->markets);
  to_device(markets_.data(), host_markets_.data(), static_cast<std::size_t>(scenarios) * markets, stream_.get());
  to_device(collateral_.data(), host_collateral_.data(), static_cast<std::size_t>(scenarios), stream_.get());
  to_device(active_.data(), host_active_.data(), static_cast<std::size_t>(scenarios), stream_.get());
}

void Lane::run_tile(std::int64_t first, std::int64_t count) {
  const ModelConfig& config = *context_.config;
  const std::int32_t rounds_cap = config.liquidation.max_cascade_rounds;
  const TileView tile = view(count);
  failure_ = {-1, nullptr};
  start_tile(first, count);
  PhaseLaps laps(profile_.phase_seconds);
  laps.lap("tile start");
  for (std::int64_t t = 1; t <= context_.paths->steps; ++t) {
    const auto step_stamp = static_cast<std::int32_t>(t * (rounds_cap + 1));
    // 1. The step's opening marks and scales.
    open_step(first, count, t);
    laps.lap("step opening (prices, policy)");
    // Margin calls and the traders' answer (docs/model.md section 7a), before the cascade.
    if (config.trader_response.enabled) respond_to_margin_calls(tile, first, t, step_stamp);
    laps.lap("margin calls");
    // 2. The cascade: scan, move the prices by the round's flow, fill, until a round finds no one.
    run_cascade(tile, first, t, step_stamp);
    laps.lap("cascade rounds");
    // 3. Settlement of the accounts the step left bankrupt.
    settle(tile, first, t);
    laps.lap("settlement (fund, ADL)");
    // 4. The platform observes the step's returns; 5. the step's record.
    record_step(tile, first, t);
    laps.lap("step records (tiered margin)");
  }
  close_tile(tile, first);
  laps.lap("tile end (ledger)");
  for (std::int64_t s = 0; s < count; ++s) {
    const HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
    if (scenario.failed) {
      failure_ = {first + s, scenario.error};
      break;
    }
  }
}

// Every scenario of the tile at its start: the book's state on the device (no account touched),
// the host's side from the book, the markets at the paths' opening prices, the initial valuations.
void Lane::start_tile(std::int64_t first, std::int64_t count) {
  const ModelConfig& config = *context_.config;
  const ScenarioPaths& paths = *context_.paths;
  const Book& book = *context_.book;
  BatchResults& results = *context_.results;
  const auto markets = static_cast<std::size_t>(book.markets);
  const micro_usd initial_fund = to_micro_usd(config.insurance_fund.initial_balance_usd);
  zero(touched_.data(), static_cast<std::size_t>(count * book.accounts), stream_.get());
  zero(liquidation_stamp_.data(), static_cast<std::size_t>(count * book.accounts), stream_.get());
  if (config.trader_response.enabled) {
    zero(deposit_due_step_.data(), static_cast<std::size_t>(count * book.accounts), stream_.get());
    zero(deposit_amount_.data(), static_cast<std::size_t>(count * book.accounts), stream_.get());
  }

  std::vector<std::int64_t> initial_open_lots(markets, 0);
  std::vector<std::int64_t> initial_long_lots(markets, 0);
  for (std::int64_t p = 0; p < book.positions; ++p) {
    const auto m = static_cast<std::size_t>(book.position_market[static_cast<std::size_t>(p)]);
    const std::int64_t quantity = book.initial_quantity[static_cast<std::size_t>(p)];
    initial_open_lots[m] += quantity < 0 ? -quantity : quantity;
    if (quantity > 0) initial_long_lots[m] += quantity;
  }
  std::vector<std::int64_t> initial_trader_lots(markets);
  for (std::size_t m = 0; m < markets; ++m) initial_trader_lots[m] = -book.initial_lp_inventory[m];

  scenarios_.clear();
  scenarios_.reserve(static_cast<std::size_t>(count));
  for (std::int64_t s = 0; s < count; ++s) {
    scenarios_.emplace_back(config, book);
    HostScenario& scenario = scenarios_.back();
    const std::int64_t index = first + s;
    ScenarioMetrics& metrics = results.scenarios[static_cast<std::size_t>(index)];
    metrics = fresh_metrics(markets);
    scenario.lp_inventory = book.initial_lp_inventory;
    scenario.vault_inventory.assign(markets, 0);
    scenario.open_lots = initial_open_lots;
    scenario.long_lots = initial_long_lots;
    scenario.insurance_fund = initial_fund;
    guarded(scenario, paths.first_scenario + index, "at the start", [&] {
      scenario.model.start(paths, index, scenario.markets, metrics);
      scenario.initial = value_everyone(context_.initial_cash_total, initial_trader_lots, 0, scenario.lp_inventory, 0,
                                        scenario.vault_inventory, scenario.markets);
    });
  }
}

void Lane::open_step(std::int64_t first, std::int64_t count, std::int64_t t) {
  const ScenarioPaths& paths = *context_.paths;
  BatchResults& results = *context_.results;
  const auto markets = static_cast<std::size_t>(context_.book->markets);
  for (std::int64_t s = 0; s < count; ++s) {
    HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
    const std::int64_t index = first + s;
    guarded(scenario, paths.first_scenario + index, step_name(t), [&] {
      scenario.model.open_step(paths, index, t, scenario.long_lots, scenario.markets,
                               results.scenarios[static_cast<std::size_t>(index)]);
      scenario.record.clear(markets);
      scenario.record.regime = paths.regime[paths.regime_index(index, t)];
    });
    stage_markets(s);
    host_active_[static_cast<std::size_t>(s)] = scenario.failed ? 0 : 1;
  }
  zero(step_liquidated_count_.data(), static_cast<std::size_t>(count), stream_.get());
}

// The platform observes the step's returns, and the step's record with the per-position initial
// margin the device added up by market.
void Lane::record_step(const TileView& tile, std::int64_t first, std::int64_t t) {
  const ScenarioPaths& paths = *context_.paths;
  BatchResults& results = *context_.results;
  const auto markets = static_cast<std::size_t>(context_.book->markets);
  const std::int64_t count = tile.scenarios;
  const std::size_t width = markets + 1;  // by market, then requirements beyond the money range
  const bool tiered = context_.per_position_margins == formulas::PerPositionMargins::present;
  if (tiered) {
    zero(totals_.data(), static_cast<std::size_t>(count) * width, stream_.get());
    launch_tiered_initial_margin(shape(), context_.device_book->view, tile, totals_.data());
    to_host(host_totals_.data(), totals_.data(), static_cast<std::size_t>(count) * width, stream_.get());
    wait_for_device("adding up the tiered initial margin");
  }
  for (std::int64_t s = 0; s < count; ++s) {
    HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
    const std::int64_t index = first + s;
    const unsigned long long* sums = host_totals_.data() + static_cast<std::size_t>(s) * width;
    guarded(scenario, paths.first_scenario + index, step_name(t), [&] {
      scenario.model.close_step(scenario.markets);
      StepRecord& record = scenario.record;
      record.open_lots = scenario.open_lots;
      record.tiered_initial_margin_usd.assign(markets, 0.0);
      if (tiered) {
        if (sums[markets] != 0) {
          throw std::overflow_error(
              "a position's initial margin is beyond the fixed-point range of +-4.6e12 USD "
              "(docs/model.md, section 1)");
        }
        for (std::size_t m = 0; m < markets; ++m)
          record.tiered_initial_margin_usd[m] = usd_figure(static_cast<micro_usd>(sums[m]));
      }
      ::margin_stress::record_step(record, scenario.markets, scenario.insurance_fund, index, t,
                                   results.scenarios[static_cast<std::size_t>(index)], results.series);
    });
  }
}

// The ledger at the end: the traders' cash is the book's plus what the scenario changed.
void Lane::close_tile(const TileView& tile, std::int64_t first) {
  const ModelConfig& config = *context_.config;
  const ScenarioPaths& paths = *context_.paths;
  BatchResults& results = *context_.results;
  const auto markets = static_cast<std::size_t>(context_.book->markets);
  const std::int64_t count = tile.scenarios;
  const micro_usd initial_fund = to_micro_usd(config.insurance_fund.initial_balance_usd);
  zero(totals_.data(), static_cast<std::size_t>(count), stream_.get());
  launch_cash_change(shape(), context_.device_book->view, tile, totals_.data());
  to_host(host_totals_.data(), totals_.data(), static_cast<std::size_t>(count), stream_.get());
  wait_for_device("adding up the traders' cash");
  for (std::int64_t s = 0; s < count; ++s) {
    HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
    const std::int64_t index = first + s;
    guarded(scenario, paths.first_scenario + index, "at the end", [&] {
      std::vector<std::int64_t> trader_lots(markets);
      for (std::size_t m = 0; m < markets; ++m)
        trader_lots[m] = -(scenario.lp_inventory[m] + scenario.vault_inventory[m]);
      const micro_usd trader_cash =
          add_checked(context_.initial_cash_total, static_cast<micro_usd>(host_totals_[static_cast<std::size_t>(s)]),
                      "the traders' cash");
      const Valuations final_values = value_everyone(trader_cash, trader_lots, scenario.lp_cash, scenario.lp_inventory,
                                                     scenario.vault_cash, scenario.vault_inventory, scenario.markets);
      close_ledger(scenario.initial, final_values, initial_fund, scenario.insurance_fund,
                   results.scenarios[static_cast<std::size_t>(index)]);
    });
  }
}

}  // namespace margin_stress::cuda
