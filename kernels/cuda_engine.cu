// The CUDA engine (docs/model.md, "The CUDA engine"). The device holds the book and, per scenario
// in flight, the rows of the accounts its cascade touched; its kernels do every O(positions) pass.
// The host runs the O(markets) dynamics (ScenarioMarkets: prices, impact, the margin policy)
// and the settlement's arithmetic on what the kernels found, with the same functions the CPU
// reference uses, so the two engines differ only in how they visit accounts and add up.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "host/engine/book.hpp"
#include "host/engine/scenario_markets.hpp"
#include "host/engine/settlement.hpp"
#include "host/engine/step_record.hpp"
#include "host/model/formulas/liquidation.hpp"
#include "kernels/cascade_kernels.cuh"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_engine.hpp"
#include "kernels/device_book.cuh"
#include "kernels/device_buffer.cuh"

namespace margin_stress {
namespace cuda {
namespace {

constexpr int threads_per_block = 256;
static_assert(threads_per_block % 32 == 0, "the cash total reduces whole warps");
// Host threads, each with its own stream and tile of scenarios: while one lane's host works
// between kernels (impact, settlement, copies), the other's kernels keep the device busy.
constexpr int lane_count = 2;

template <typename T>
void to_device(T* device, const T* host, std::size_t count, cudaStream_t stream) {
  if (count == 0) return;
  MARGIN_STRESS_CUDA_CHECK(cudaMemcpyAsync(device, host, count * sizeof(T), cudaMemcpyHostToDevice, stream),
                           "copying to the device");
}

template <typename T>
void to_host(T* host, const T* device, std::size_t count, cudaStream_t stream) {
  if (count == 0) return;
  MARGIN_STRESS_CUDA_CHECK(cudaMemcpyAsync(host, device, count * sizeof(T), cudaMemcpyDeviceToHost, stream),
                           "copying from the device");
}

template <typename T>
void zero(T* device, std::size_t count, cudaStream_t stream) {
  if (count == 0) return;
  MARGIN_STRESS_CUDA_CHECK(cudaMemsetAsync(device, 0, count * sizeof(T), stream), "clearing device memory");
}

// Blocks of the grid-stride kernels: one wave of the account scan, or fewer for a small book.
int launch_blocks(std::int64_t accounts, int multiprocessors) {
  const std::int64_t wave = std::int64_t{scan_blocks_per_multiprocessor(threads_per_block)} * multiprocessors;
  return static_cast<int>(std::clamp<std::int64_t>((accounts + threads_per_block - 1) / threads_per_block, 1, wave));
}

// Device bytes one scenario in flight needs (TileView's rows).
std::size_t bytes_per_scenario(const Book& book, bool trader_response) {
  const auto accounts = static_cast<std::size_t>(book.accounts);
  const auto positions = static_cast<std::size_t>(book.positions);
  const auto markets = static_cast<std::size_t>(book.markets);
  const std::size_t deposits = trader_response ? sizeof(std::int32_t) + sizeof(micro_usd) : 0;
  return accounts * (sizeof(std::uint8_t) + sizeof(micro_usd) + 3 * sizeof(std::int32_t) + deposits) +
         positions * (2 * sizeof(std::int64_t) + sizeof(double)) +
         // Per market: its row, four round counters and a total; per scenario: six round counters,
         // the collateral value, the active flag, the count and offset of the step's liquidated, a total,
         // the count of the round's triggered.
         markets * (sizeof(MarketTerms) + 4 * 8 + 8) + 6 * 8 + 8 + 1 + 4 + 8 + 8 + 4;
}

// Device bytes a lane needs whatever its tile: the settlement's search output, and with ADL the
// ranking's scratch for the longest (market, side) list of the book with CUB's own. (A step's
// bankrupt accounts and their notionals by pair, a few bytes per bankrupt account, are left to the
// memory kept back.)
std::size_t bytes_per_lane(const Book& book, std::int64_t longest_adl_list, bool auto_deleveraging) {
  const std::size_t search = static_cast<std::size_t>(book.accounts) * (sizeof(std::int32_t) + sizeof(micro_usd));
  if (!auto_deleveraging) return search;
  const std::size_t cub_scratch = adl_workspace_temporary_bytes(longest_adl_list);
  // Per list entry: scores (three), candidate flag, capacity, entry index, selected and ranked
  // entries, ranked capacity and the prefix before it.
  return search + cub_scratch +
         static_cast<std::size_t>(longest_adl_list) *
             (3 * sizeof(double) + sizeof(std::uint8_t) + 4 * sizeof(std::int64_t) + 2 * sizeof(std::uint64_t));
}

// What every lane shares.
struct RunContext {
  const ModelConfig* config = nullptr;
  const ScenarioPaths* paths = nullptr;
  const Book* book = nullptr;
  const DeviceBook* device_book = nullptr;
  // Some market's requirement is per position (brackets or a size premium): Book::per_position_margins.
  formulas::PerPositionMargins per_position_margins = formulas::PerPositionMargins::absent;
  int blocks = 1;
  micro_usd initial_cash_total = 0;
  BatchResults* results = nullptr;
};

// The host's side of one scenario in flight.
struct HostScenario {
  explicit HostScenario(const ModelConfig& config, const Book& book) : model(config, book) {}
  ScenarioMarkets model;
  std::vector<MarketState> markets;
  std::vector<std::int64_t> lp_inventory;
  std::vector<std::int64_t> open_lots;
  std::vector<std::int64_t> long_lots;
  micro_usd lp_cash = 0;
  micro_usd vault_cash = 0;  // the backstop vault (docs/model.md section 7)
  std::vector<std::int64_t> vault_inventory;
  micro_usd insurance_fund = 0;
  StepRecord record;
  Valuations initial;
  bool failed = false;
  std::exception_ptr error;
};

// A scenario's failure, reported as the CPU reference reports it ("scenario N step t: ...").
template <typename Body>
void guarded(HostScenario& scenario, std::int64_t index, const std::string& where, Body&& body) {
  if (scenario.failed) return;
  try {
    body();
  } catch (const std::overflow_error& error) {
    scenario.failed = true;
    scenario.error = std::make_exception_ptr(
        std::overflow_error("scenario " + std::to_string(index) + " " + where + ": " + error.what()));
  }
}

std::string step_name(std::int64_t t) { return "step " + std::to_string(t); }

// Adds the time since the previous lap to the phase each lap names.
class PhaseLaps {
 public:
  explicit PhaseLaps(std::map<std::string, double>& seconds) : seconds_(seconds) {}
  void lap(const char* phase) {
    const auto now = std::chrono::steady_clock::now();
    seconds_[phase] += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }

 private:
  std::map<std::string, double>& seconds_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

class Lane {
 public:
  Lane(const RunContext& context, std::int64_t capacity) : context_(context), capacity_(capacity) {
    const Book& book = *context.book;
    const auto scenarios = static_cast<std::size_t>(capacity);
    const auto accounts = static_cast<std::size_t>(book.accounts);
    const auto positions = static_cast<std::size_t>(book.positions);
    const auto markets = static_cast<std::size_t>(book.markets);
    touched_.resize(scenarios * accounts);
    cash_.resize(scenarios * accounts);
    liquidation_stamp_.resize(scenarios * accounts);
    step_liquidated_.resize(scenarios * accounts);
    triggered_.resize(scenarios * accounts);
    triggered_count_.resize(scenarios);
    quantity_.resize(scenarios * positions);
    order_lots_.resize(scenarios * positions);
    step_notional_.resize(scenarios * positions);
    markets_.resize(scenarios * markets);
    collateral_.resize(scenarios);
    active_.resize(scenarios);
    counters_.resize(RoundCounters::words(capacity, book.markets));
    step_liquidated_count_.resize(scenarios);
    if (context.config->trader_response.enabled) {
      deposit_due_step_.resize(scenarios * accounts);
      deposit_amount_.resize(scenarios * accounts);
    }
    offsets_.resize(scenarios);
    totals_.resize(scenarios * (markets + 1));
    found_accounts_.resize(accounts);
    found_deficits_.resize(accounts);
    if (context.config->insurance_fund.auto_deleveraging) {
      const std::int64_t longest = context.device_book->longest_adl_list;
      const auto list = static_cast<std::size_t>(std::max<std::int64_t>(longest, 1));
      adl_scores_.resize(list);
      adl_candidate_.resize(list);
      adl_capacities_.resize(list);
      adl_entries_.resize(list);
      adl_selected_scores_.resize(list);
      adl_selected_.resize(list);
      adl_sorted_scores_.resize(list);
      adl_ranked_.resize(list);
      adl_ranked_capacity_.resize(list);
      adl_before_.resize(list);
      adl_selected_count_.resize(1);
      adl_totals_.resize(adl_total_words);
      adl_temporary_.resize(adl_workspace_temporary_bytes(longest));
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

  // Runs scenarios [first, first + count) of the batch; count <= capacity. A scenario that fails
  // stops there and its error is kept; the others go on.
  void run_tile(std::int64_t first, std::int64_t count);

  // Where the lane's time went (make_cuda_engine's profile).
  const CudaRunProfile& profile() const { return profile_; }

  // The lowest failed scenario of the last tile and its error (index -1: none).
  std::pair<std::int64_t, std::exception_ptr> failure() const { return failure_; }
  std::int64_t capacity() const { return capacity_; }

 private:
  TileView view(std::int64_t scenarios) {
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
  LaunchShape shape() const { return {context_.blocks, threads_per_block, stream_.get()}; }
  // ADL's scratch as the kernels see it (allocated with the lane when ADL is on).
  AdlWorkspace adl_workspace() {
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
  // Waits for the lane's stream, counting the wait in the profile under `what`.
  void wait_for_device(const char* what) {
    const auto start = std::chrono::steady_clock::now();
    stream_.synchronize(what);
    profile_.wait_seconds[what] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  void stage_markets(std::int64_t s);
  void send_round_inputs(std::int64_t scenarios);
  void run_round_scan(const TileView& tile, std::int32_t step_stamp, std::int32_t round, ScanMode mode);
  void respond_to_margin_calls(const TileView& tile, std::int64_t first, std::int64_t t, std::int32_t step_stamp);
  void settle(const TileView& tile, std::int64_t first, std::int64_t t);
  void settle_scenario(const TileView& tile, std::int64_t s,
                       const std::vector<std::pair<std::int32_t, micro_usd>>& bankrupt);
  micro_usd auto_deleverage(const TileView& tile, std::int64_t s, const std::vector<std::int32_t>& bankrupt_accounts,
                            const std::vector<micro_usd>& uncovered, double& adl_notional_usd);
  micro_usd deleverage(const TileView& tile, std::int64_t s, std::size_t market, std::size_t side, micro_usd target,
                       double& adl_notional_usd);

  const RunContext& context_;
  std::int64_t capacity_;
  Stream stream_;
  std::vector<HostScenario> scenarios_;
  std::pair<std::int64_t, std::exception_ptr> failure_{-1, nullptr};
  CudaRunProfile profile_;

  DeviceBuffer<std::uint8_t> touched_;
  DeviceBuffer<micro_usd> cash_;
  DeviceBuffer<std::int32_t> liquidation_stamp_;
  DeviceBuffer<std::int32_t> step_liquidated_;
  DeviceBuffer<std::int64_t> quantity_;
  DeviceBuffer<std::int64_t> order_lots_;
  DeviceBuffer<double> step_notional_;
  DeviceBuffer<MarketTerms> markets_;
  DeviceBuffer<double> collateral_;
  DeviceBuffer<std::uint8_t> active_;
  DeviceBuffer<unsigned long long> counters_;
  DeviceBuffer<std::int32_t> step_liquidated_count_;
  DeviceBuffer<std::int32_t> triggered_;
  DeviceBuffer<std::int32_t> triggered_count_;
  DeviceBuffer<std::int32_t> deposit_due_step_;  // only with [trader_response]
  DeviceBuffer<micro_usd> deposit_amount_;
  DeviceBuffer<std::int64_t> offsets_;
  DeviceBuffer<unsigned long long> totals_;
  // Settlement: the search's output (the step's liquidated accounts and their deficits).
  DeviceBuffer<std::int32_t> found_accounts_;
  DeviceBuffer<micro_usd> found_deficits_;
  // Auto-deleveraging's scratch (allocated with the lane when ADL is on; docs/model.md section 14).
  DeviceBuffer<double> adl_scores_;
  DeviceBuffer<std::uint8_t> adl_candidate_;
  DeviceBuffer<micro_usd> adl_capacities_;
  DeviceBuffer<std::int64_t> adl_entries_;
  DeviceBuffer<double> adl_selected_scores_;
  DeviceBuffer<std::int64_t> adl_selected_;
  DeviceBuffer<double> adl_sorted_scores_;
  DeviceBuffer<std::int64_t> adl_ranked_;
  DeviceBuffer<unsigned long long> adl_ranked_capacity_;
  DeviceBuffer<unsigned long long> adl_before_;
  DeviceBuffer<int> adl_selected_count_;
  DeviceBuffer<unsigned long long> adl_totals_;
  DeviceBuffer<unsigned char> adl_temporary_;
  unsigned long long host_adl_totals_[adl_total_words] = {};
  // The bankrupt accounts of a settlement and their notionals by pair (grown as needed).
  DeviceBuffer<std::int32_t> bankrupt_accounts_;
  DeviceBuffer<double> pair_notional_;

  PinnedBuffer<MarketTerms> host_markets_;
  PinnedBuffer<double> host_collateral_;
  PinnedBuffer<std::uint8_t> host_active_;
  PinnedBuffer<unsigned long long> host_counters_;
  PinnedBuffer<std::int32_t> host_counts_;
  PinnedBuffer<std::int64_t> host_offsets_;
  PinnedBuffer<unsigned long long> host_totals_;
  PinnedBuffer<std::int32_t> host_found_accounts_;
  PinnedBuffer<micro_usd> host_found_deficits_;
};

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

void Lane::run_tile(std::int64_t first, std::int64_t count) {
  const ModelConfig& config = *context_.config;
  const ScenarioPaths& paths = *context_.paths;
  const Book& book = *context_.book;
  BatchResults& results = *context_.results;
  const auto markets = static_cast<std::size_t>(book.markets);
  const std::int32_t rounds_cap = config.liquidation.max_cascade_rounds;
  const micro_usd initial_fund = to_micro_usd(config.insurance_fund.initial_balance_usd);
  const TileView tile = view(count);
  const BookView& book_view = context_.device_book->view;
  failure_ = {-1, nullptr};

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

  PhaseLaps laps(profile_.phase_seconds);
  laps.lap("tile start");
  for (std::int64_t t = 1; t <= paths.steps; ++t) {
    const auto step_stamp = static_cast<std::int32_t>(t * (rounds_cap + 1));
    // 1. The step's opening marks and scales.
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

    laps.lap("step opening (prices, policy)");
    // Margin calls and the traders' answer (docs/model.md section 7a), before the cascade.
    if (config.trader_response.enabled) respond_to_margin_calls(tile, first, t, step_stamp);
    laps.lap("margin calls");

    // 2. The cascade: scan, move the prices by the round's flow, fill, until a round finds no one.
    for (std::int32_t round = 1; round <= rounds_cap; ++round) {
      run_round_scan(tile, step_stamp, round, ScanMode::decide);
      const RoundCounters totals = RoundCounters::in(host_counters_.data(), count, book.markets);
      bool any = false;
      std::vector<std::int64_t> flow_lots(markets);
      for (std::int64_t s = 0; s < count; ++s) {
        HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
        if (!host_active_[static_cast<std::size_t>(s)]) continue;
        if (scenario.failed || totals.liquidated_accounts[s] == 0) {
          host_active_[static_cast<std::size_t>(s)] = 0;
          continue;
        }
        any = true;
        const std::int64_t index = first + s;
        guarded(scenario, paths.first_scenario + index, step_name(t), [&] {
          StepRecord& record = scenario.record;
          record.rounds = round;
          if (totals.out_of_range[s] != 0) {
            throw std::overflow_error(
                "a backstop takeover is beyond the fixed-point range of +-4.6e12 USD (docs/model.md, "
                "section 1)");
          }
          // The backstop vault's takeovers, at the round's opening marks.
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
            const auto traded = static_cast<std::int64_t>(totals.traded_lots[sm]);
            scenario.lp_inventory[m] -= flow_lots[m];
            scenario.open_lots[m] -= traded;
            scenario.long_lots[m] -= static_cast<std::int64_t>(totals.long_lots_closed[sm]);
            record.liquidations[m] += static_cast<std::int64_t>(totals.liquidations[sm]);
          }
          scenario.model.apply_round_impact(flow_lots, scenario.markets,
                                            results.scenarios[static_cast<std::size_t>(index)]);
          for (std::size_t m = 0; m < markets; ++m) {
            const std::size_t sm = static_cast<std::size_t>(s) * markets + m;
            record.liquidated_notional_usd[m] +=
                static_cast<double>(static_cast<std::int64_t>(totals.traded_lots[sm])) * book.lot_size[m] *
                scenario.markets[m].market_price_usd;
          }
        });
        stage_markets(s);
      }
      if (!any) break;
      send_round_inputs(count);
      zero(counters_.data(), RoundCounters::words(count, book.markets), stream_.get());
      launch_fill_orders(shape(), book_view, tile, step_stamp + round, config.liquidation.fee_rate,
                         config.liquidation.fee_depends_on_health, true);
      to_host(host_counters_.data(), counters_.data(), RoundCounters::words(count, book.markets), stream_.get());
      wait_for_device("filling a cascade round's orders");
      for (std::int64_t s = 0; s < count; ++s) {
        HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
        if (!host_active_[static_cast<std::size_t>(s)]) continue;
        guarded(scenario, paths.first_scenario + first + s, step_name(t), [&] {
          if (totals.out_of_range[s] != 0) {
            throw std::overflow_error(
                "a liquidation fill or fee of the round is beyond the fixed-point range of +-4.6e12 "
                "USD (docs/model.md, section 1)");
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
    laps.lap("cascade rounds");
    // The cap was reached with liquidations in its last round: is any account still below
    // maintenance (it will be liquidated in the next step)?
    bool capped = false;
    for (std::int64_t s = 0; s < count; ++s) {
      const HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
      const bool hit = !scenario.failed && scenario.record.rounds == rounds_cap;
      host_active_[static_cast<std::size_t>(s)] = hit ? 1 : 0;
      capped = capped || hit;
    }
    if (capped) {
      run_round_scan(tile, step_stamp, rounds_cap, ScanMode::count);
      const RoundCounters totals = RoundCounters::in(host_counters_.data(), count, book.markets);
      for (std::int64_t s = 0; s < count; ++s) {
        if (host_active_[static_cast<std::size_t>(s)]) {
          scenarios_[static_cast<std::size_t>(s)].record.round_cap_hit = totals.liquidated_accounts[s] > 0;
        }
      }
    }

    laps.lap("round-cap check");
    // 3. Settlement of the accounts the step left bankrupt.
    settle(tile, first, t);
    laps.lap("settlement (fund, ADL)");

    // 4. The platform observes the step's returns; 5. the step's record.
    const bool tiered = context_.per_position_margins == formulas::PerPositionMargins::present;
    if (tiered) {
      const std::size_t words = static_cast<std::size_t>(count) * (markets + 1);
      zero(totals_.data(), words, stream_.get());
      launch_tiered_initial_margin(shape(), book_view, tile, totals_.data(),
                                   totals_.data() + static_cast<std::size_t>(count) * markets);
      to_host(host_totals_.data(), totals_.data(), words, stream_.get());
      wait_for_device("adding up the tiered initial margin");
    }
    for (std::int64_t s = 0; s < count; ++s) {
      HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
      const std::int64_t index = first + s;
      guarded(scenario, paths.first_scenario + index, step_name(t), [&] {
        scenario.model.close_step(scenario.markets);
        StepRecord& record = scenario.record;
        record.open_lots = scenario.open_lots;
        record.tiered_initial_margin_usd.assign(markets, 0.0);
        if (tiered) {
          if (host_totals_[static_cast<std::size_t>(count) * markets + static_cast<std::size_t>(s)] != 0) {
            throw std::overflow_error(
                "a position's initial margin is beyond the fixed-point range of +-4.6e12 USD "
                "(docs/model.md, section 1)");
          }
          for (std::size_t m = 0; m < markets; ++m) {
            record.tiered_initial_margin_usd[m] =
                to_usd(static_cast<micro_usd>(host_totals_[static_cast<std::size_t>(s) * markets + m]));
          }
        }
        record_step(record, scenario.markets, scenario.insurance_fund, index, t,
                    results.scenarios[static_cast<std::size_t>(index)], results.series);
      });
    }
    laps.lap("step records (tiered margin)");
  }

  // The ledger at the end: the traders' cash is the book's plus what the scenario changed.
  zero(totals_.data(), static_cast<std::size_t>(count), stream_.get());
  launch_cash_change(shape(), book_view, tile, totals_.data());
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
  laps.lap("tile end (ledger)");
  for (std::int64_t s = 0; s < count; ++s) {
    const HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
    if (scenario.failed) {
      failure_ = {first + s, scenario.error};
      break;
    }
  }
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
    launch_fill_orders(shape(), context_.device_book->view, tile, step_stamp, 0.0, false, false);
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

void Lane::settle(const TileView& tile, std::int64_t first, std::int64_t t) {
  const ScenarioPaths& paths = *context_.paths;
  const std::int64_t count = tile.scenarios;
  bool any = false;
  for (const HostScenario& scenario : scenarios_) any = any || (!scenario.failed && scenario.record.rounds > 0);
  if (!any) return;

  to_host(host_counts_.data(), step_liquidated_count_.data(), static_cast<std::size_t>(count), stream_.get());
  wait_for_device("counting the step's liquidated accounts");
  // The search's output holds one scenario's accounts at least (allocated with the lane), so the
  // tile's scenarios go through it in chunks that fit.
  const std::int64_t room = context_.book->accounts;
  std::vector<std::pair<std::int32_t, micro_usd>> bankrupt;
  for (std::int64_t chunk_first = 0; chunk_first < count;) {
    std::int64_t chunk_end = chunk_first;
    std::int64_t total = 0;
    while (chunk_end < count && total + host_counts_[static_cast<std::size_t>(chunk_end)] <= room) {
      host_offsets_[static_cast<std::size_t>(chunk_end - chunk_first)] = total;
      total += host_counts_[static_cast<std::size_t>(chunk_end)];
      ++chunk_end;
    }
    to_device(offsets_.data(), host_offsets_.data(), static_cast<std::size_t>(chunk_end - chunk_first), stream_.get());
    launch_find_bankrupt(shape(), context_.device_book->view, tile, chunk_first, chunk_end - chunk_first,
                         offsets_.data(), found_accounts_.data(), found_deficits_.data());
    to_host(host_found_accounts_.data(), found_accounts_.data(), static_cast<std::size_t>(total), stream_.get());
    to_host(host_found_deficits_.data(), found_deficits_.data(), static_cast<std::size_t>(total), stream_.get());
    wait_for_device("finding the bankrupt accounts");

    for (std::int64_t s = chunk_first; s < chunk_end; ++s) {
      HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
      if (scenario.failed || scenario.record.rounds == 0) continue;
      bankrupt.clear();
      const std::int64_t begin = host_offsets_[static_cast<std::size_t>(s - chunk_first)];
      for (std::int64_t i = begin; i < begin + host_counts_[static_cast<std::size_t>(s)]; ++i) {
        const micro_usd deficit = host_found_deficits_[static_cast<std::size_t>(i)];
        if (deficit > 0) bankrupt.emplace_back(host_found_accounts_[static_cast<std::size_t>(i)], deficit);
      }
      if (bankrupt.empty()) continue;
      // The kernel lists accounts in the order threads reached them; settlement is in account order.
      std::sort(bankrupt.begin(), bankrupt.end());
      guarded(scenario, paths.first_scenario + first + s, step_name(t), [&] { settle_scenario(tile, s, bankrupt); });
    }
    chunk_first = chunk_end;
  }
}

void Lane::settle_scenario(const TileView& tile, std::int64_t s,
                           const std::vector<std::pair<std::int32_t, micro_usd>>& bankrupt) {
  const ModelConfig& config = *context_.config;
  HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
  SettlementOutcome outcome;
  std::vector<micro_usd> deficits;
  std::vector<std::int32_t> accounts;
  for (const auto& [account, deficit] : bankrupt) {
    accounts.push_back(account);
    deficits.push_back(deficit);
  }
  const std::vector<micro_usd> uncovered = pay_from_fund(deficits, scenario.insurance_fund, outcome);
  const micro_usd total_uncovered = outcome.deficits - outcome.insurance_payout;

  if (total_uncovered > 0 && config.insurance_fund.auto_deleveraging) {
    outcome.adl_haircut = auto_deleverage(tile, s, accounts, uncovered, outcome.adl_notional_usd);
  }
  outcome.bad_debt = total_uncovered - outcome.adl_haircut;
  // Every bankrupt account is at zero already (the search set it).
  scenario.record.settlement = outcome;
}

// ADL (docs/model.md section 8) for scenario s: the targets from the bankrupt accounts' notionals
// by pair, then the opposite side of each pair with a target, in market order, long before short.
micro_usd Lane::auto_deleverage(const TileView& tile, std::int64_t s,
                                const std::vector<std::int32_t>& bankrupt_accounts,
                                const std::vector<micro_usd>& uncovered, double& adl_notional_usd) {
  const auto markets = static_cast<std::size_t>(context_.book->markets);
  const std::size_t count = bankrupt_accounts.size();
  bankrupt_accounts_.resize(count);
  pair_notional_.resize(count * markets * 2);
  to_device(bankrupt_accounts_.data(), bankrupt_accounts.data(), count, stream_.get());
  launch_bankrupt_pair_notional(shape(), context_.device_book->view, tile, s, bankrupt_accounts_.data(),
                                static_cast<std::int64_t>(count), pair_notional_.data());
  std::vector<double> pair_notional_usd(count * markets * 2);
  to_host(pair_notional_usd.data(), pair_notional_.data(), pair_notional_usd.size(), stream_.get());
  // The markets' rows as the cascade left them: the ranking values accounts at these marks.
  stage_markets(s);
  to_device(markets_.data() + s * context_.book->markets, host_markets_.data() + s * context_.book->markets, markets,
            stream_.get());
  wait_for_device("gathering the bankrupt accounts' notionals");
  const std::vector<micro_usd> targets = adl_targets(uncovered, pair_notional_usd, markets);
  micro_usd collected = 0;
  for (std::size_t m = 0; m < markets; ++m) {
    for (std::size_t side = 0; side < 2; ++side) {
      if (targets[m * 2 + side] <= 0) continue;
      collected += deleverage(tile, s, m, 1 - side, targets[m * 2 + side], adl_notional_usd);
    }
  }
  return collected;
}

// ADL against `side` (0 long, 1 short) of market m in scenario s until `target` is collected, on
// the device (docs/model.md section 14); the host keeps the LP's side and the open interest.
micro_usd Lane::deleverage(const TileView& tile, std::int64_t s, std::size_t market, std::size_t side, micro_usd target,
                           double& adl_notional_usd) {
  const DeviceBook& device_book = *context_.device_book;
  const Book& book = *context_.book;
  HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
  AdlQuery query;
  query.scenario = s;
  query.lot_size = book.lot_size[market];
  query.mark_price_usd = scenario.markets[market].mark_price_usd;
  query.target = target;
  const std::size_t pair = market * 2 + side;
  const std::int64_t* positions = device_book.adl_positions.data() + device_book.adl_offset[pair];
  const std::int64_t count = device_book.adl_offset[pair + 1] - device_book.adl_offset[pair];

  const AdlWorkspace workspace = adl_workspace();
  zero(adl_totals_.data(), adl_total_words, stream_.get());
  launch_adl_entries(shape(), device_book.view, tile, query, positions, count, workspace);
  to_host(host_adl_totals_, adl_totals_.data(), adl_total_words, stream_.get());
  wait_for_device("ranking the ADL candidates");
  if (host_adl_totals_[adl_target_exceeded] != 0) {
    run_adl_walk(shape(), device_book.view, tile, query, positions, count, workspace);
  } else {
    launch_adl_take_all(shape(), device_book.view, tile, query, positions, count, workspace);
  }
  to_host(host_adl_totals_, adl_totals_.data(), adl_total_words, stream_.get());
  wait_for_device("auto-deleveraging");
  if (host_adl_totals_[adl_total_out_of_range] != 0) {
    throw std::overflow_error(
        "an ADL candidate's profit or equity, its close, or the closes' total is beyond the "
        "fixed-point range of +-4.6e12 USD (docs/model.md, section 1)");
  }
  const auto closed_lots = static_cast<std::int64_t>(host_adl_totals_[adl_total_closed_lots]);
  scenario.lp_cash =
      add_checked(scenario.lp_cash, static_cast<micro_usd>(host_adl_totals_[adl_total_paid_to_lp]), "an ADL close");
  scenario.lp_inventory[market] -= static_cast<std::int64_t>(host_adl_totals_[adl_total_traded_lots]);
  scenario.open_lots[market] -= closed_lots;
  scenario.long_lots[market] -= static_cast<std::int64_t>(host_adl_totals_[adl_total_long_lots_closed]);
  adl_notional_usd += static_cast<double>(closed_lots) * query.lot_size * query.mark_price_usd;
  return static_cast<micro_usd>(host_adl_totals_[adl_total_collected]);
}

class CudaEngine final : public Engine {
 public:
  CudaEngine(int device, std::int64_t max_scenarios_in_flight, CudaRunProfile* profile)
      : device_(device), max_in_flight_(max_scenarios_in_flight), profile_(profile), info_(cuda_device_info(device)) {}

  std::string name() const override { return "cuda (" + info_.name + ", device " + std::to_string(device_) + ")"; }

  BatchResults run(const ModelConfig& config, const Portfolio& portfolio, const ScenarioPaths& paths,
                   const ProgressCallback& progress) override {
    check_scenario_paths(config, paths);
    const std::int64_t rounds_cap = config.liquidation.max_cascade_rounds;
    if ((paths.steps + 1) * (rounds_cap + 1) > std::numeric_limits<std::int32_t>::max()) {
      throw std::invalid_argument(
          "the CUDA engine needs (run.steps + 1) x (liquidation.max_cascade_rounds + 1) below 2^31");
    }
    if (static_cast<std::int64_t>(portfolio.account_count()) > std::numeric_limits<std::int32_t>::max()) {
      throw std::invalid_argument("the CUDA engine takes at most 2^31 - 1 accounts");
    }
    MARGIN_STRESS_CUDA_CHECK(cudaSetDevice(device_), "selecting the CUDA device");
    const Book book = make_book(config, portfolio);
    const DeviceBook device_book(book);

    BatchResults results;
    results.first_scenario = paths.first_scenario;
    results.scenarios.resize(static_cast<std::size_t>(paths.scenarios));
    results.series.resize(paths.scenarios, paths.steps, paths.markets);
    if (paths.scenarios == 0) return results;

    RunContext context;
    context.config = &config;
    context.paths = &paths;
    context.book = &book;
    context.device_book = &device_book;
    context.per_position_margins =
        book.per_position_margins ? formulas::PerPositionMargins::present : formulas::PerPositionMargins::absent;
    context.blocks = launch_blocks(book.accounts, info_.multiprocessors);
    context.results = &results;
    try {
      for (const micro_usd cash : book.initial_cash) {
        context.initial_cash_total = add_checked(context.initial_cash_total, cash, "the traders' cash");
      }
    } catch (const std::overflow_error& error) {
      throw std::overflow_error("scenario " + std::to_string(paths.first_scenario) + " at the start: " + error.what());
    }

    // Scenarios in flight per lane: what the free device memory holds (with a tenth kept back for
    // the runtime and the settlement's scratch), at most the caller's cap, and no more than the
    // batch needs.
    std::size_t free_bytes = 0;
    std::size_t total_bytes = 0;
    MARGIN_STRESS_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes), "reading the device's free memory");
    const std::size_t per_scenario = bytes_per_scenario(book, config.trader_response.enabled);
    const int lanes = paths.scenarios > 1 ? lane_count : 1;
    // Each lane also holds the settlement's search and ADL's scratch (bytes_per_lane).
    const double usable =
        static_cast<double>(free_bytes) * 0.9 -
        static_cast<double>(lanes) * static_cast<double>(bytes_per_lane(book, device_book.longest_adl_list,
                                                                        config.insurance_fund.auto_deleveraging));
    std::int64_t capacity = static_cast<std::int64_t>(usable / static_cast<double>(per_scenario) / lanes);
    if (capacity < 1) {
      throw std::runtime_error("one scenario of this portfolio needs " + std::to_string(per_scenario >> 20) +
                               " MiB of device memory and device " + std::to_string(device_) + " has " +
                               std::to_string(free_bytes >> 20) + " MiB free; use --backend cpu");
    }
    capacity = std::min<std::int64_t>(capacity, (paths.scenarios + lanes - 1) / lanes);
    if (max_in_flight_ > 0)
      capacity = std::min<std::int64_t>(capacity, std::max<std::int64_t>(max_in_flight_ / lanes, 1));
    capacity = std::min<std::int64_t>(capacity, 65535);  // a grid's y dimension indexes the tile's scenarios

    std::atomic<std::int64_t> next_first{0};
    std::atomic<std::int64_t> done{0};
    std::mutex lanes_mutex;
    std::int64_t failed_scenario = paths.scenarios;
    std::exception_ptr failure;
    std::exception_ptr device_failure;
    auto lane_body = [&] {
      try {
        MARGIN_STRESS_CUDA_CHECK(cudaSetDevice(device_), "selecting the CUDA device");
        // A smaller tile when the allocation fails (another process may hold memory).
        std::unique_ptr<Lane> lane;
        for (std::int64_t tile = capacity; !lane;) {
          try {
            lane = std::make_unique<Lane>(context, tile);
          } catch (const CudaError& error) {
            if (error.code() != cudaErrorMemoryAllocation || tile == 1) throw;
            tile = (tile + 1) / 2;
          }
        }
        const std::int64_t tile = lane->capacity();
        for (std::int64_t first = next_first.fetch_add(tile); first < paths.scenarios;
             first = next_first.fetch_add(tile)) {
          {
            // As in the CPU reference, no scenario above a failed one starts.
            const std::lock_guard<std::mutex> lock(lanes_mutex);
            if (first > failed_scenario) break;
          }
          const std::int64_t count = std::min(tile, paths.scenarios - first);
          lane->run_tile(first, count);
          const auto [scenario, error] = lane->failure();
          if (scenario >= 0) {
            const std::lock_guard<std::mutex> lock(lanes_mutex);
            if (scenario < failed_scenario) {
              failed_scenario = scenario;
              failure = error;
            }
          }
          const std::int64_t finished = done += count;
          if (progress) progress(finished);
        }
        if (profile_ != nullptr) {
          const std::lock_guard<std::mutex> lock(lanes_mutex);
          for (const auto& [phase, seconds] : lane->profile().phase_seconds) profile_->phase_seconds[phase] += seconds;
          for (const auto& [wait, seconds] : lane->profile().wait_seconds) profile_->wait_seconds[wait] += seconds;
        }
      } catch (...) {
        const std::lock_guard<std::mutex> lock(lanes_mutex);
        if (!device_failure) device_failure = std::current_exception();
        next_first = paths.scenarios;
      }
    };
    std::vector<std::thread> threads;
    for (int l = 1; l < lanes; ++l) threads.emplace_back(lane_body);
    lane_body();
    for (std::thread& thread : threads) thread.join();
    if (device_failure) std::rethrow_exception(device_failure);
    if (failure) std::rethrow_exception(failure);
    return results;
  }

 private:
  int device_;
  std::int64_t max_in_flight_;
  CudaRunProfile* profile_;
  CudaDeviceInfo info_;
};

}  // namespace
}  // namespace cuda

CudaDeviceInfo cuda_device_info(int device) {
  cudaDeviceProp properties{};
  MARGIN_STRESS_CUDA_CHECK(cudaGetDeviceProperties(&properties, device), "reading the device's properties");
  int memory_clock_khz = 0;
  int bus_width_bits = 0;
  MARGIN_STRESS_CUDA_CHECK(cudaDeviceGetAttribute(&memory_clock_khz, cudaDevAttrMemoryClockRate, device),
                           "reading the device's memory clock");
  MARGIN_STRESS_CUDA_CHECK(cudaDeviceGetAttribute(&bus_width_bits, cudaDevAttrGlobalMemoryBusWidth, device),
                           "reading the device's memory bus width");
  CudaDeviceInfo info;
  info.name = properties.name;
  info.multiprocessors = properties.multiProcessorCount;
  info.total_memory_bytes = properties.totalGlobalMem;
  info.peak_bandwidth_bytes_per_second = 2.0 * memory_clock_khz * 1e3 * (bus_width_bits / 8.0);
  return info;
}

std::unique_ptr<Engine> make_cuda_engine(int device, std::int64_t max_scenarios_in_flight, CudaRunProfile* profile) {
  const int devices = cuda_device_count();
  if (device < 0 || device >= devices) {
    throw std::runtime_error("--device " + std::to_string(device) + ": this machine has " + std::to_string(devices) +
                             " CUDA device(s)");
  }
  return std::make_unique<cuda::CudaEngine>(device, max_scenarios_in_flight, profile);
}

}  // namespace margin_stress
