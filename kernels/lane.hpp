// A lane of the CUDA engine (docs/model.md section 14): a host thread with its own stream, pinned
// buffers and tile of scenarios on the device, running the tile step by step. Its phases live with
// the operation they run, under the CPU reference's file stems: lane.cu (the tile, the step's
// opening and records, the ledger), cascade.cu, trader_response.cu, settlement.cu and
// auto_deleveraging.cu.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "host/engine/book.hpp"
#include "host/engine/scenario_markets.hpp"
#include "host/engine/step_record.hpp"
#include "host/model/config.hpp"
#include "host/model/formulas/valuation.hpp"
#include "host/model/results.hpp"
#include "host/model/scenario_paths.hpp"
#include "kernels/auto_deleveraging.hpp"
#include "kernels/cascade.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_engine.hpp"
#include "kernels/device_book.cuh"
#include "kernels/device_buffer.cuh"
#include "kernels/launch.hpp"
#include "kernels/tile.hpp"

namespace margin_stress::cuda {

template <typename T>
inline void to_device(T* device, const T* host, std::size_t count, cudaStream_t stream) {
  if (count == 0) return;
  MARGIN_STRESS_CUDA_CHECK(cudaMemcpyAsync(device, host, count * sizeof(T), cudaMemcpyHostToDevice, stream),
                           "copying to the device");
}

template <typename T>
inline void to_host(T* host, const T* device, std::size_t count, cudaStream_t stream) {
  if (count == 0) return;
  MARGIN_STRESS_CUDA_CHECK(cudaMemcpyAsync(host, device, count * sizeof(T), cudaMemcpyDeviceToHost, stream),
                           "copying from the device");
}

template <typename T>
inline void zero(T* device, std::size_t count, cudaStream_t stream) {
  if (count == 0) return;
  MARGIN_STRESS_CUDA_CHECK(cudaMemsetAsync(device, 0, count * sizeof(T), stream), "clearing device memory");
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
inline void guarded(HostScenario& scenario, std::int64_t index, const std::string& where, Body&& body) {
  if (scenario.failed) return;
  try {
    body();
  } catch (const std::overflow_error& error) {
    scenario.failed = true;
    scenario.error = std::make_exception_ptr(
        std::overflow_error("scenario " + std::to_string(index) + " " + where + ": " + error.what()));
  }
}

inline std::string step_name(std::int64_t t) { return "step " + std::to_string(t); }

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
  // A lane whose tile holds `capacity` scenarios; allocates its device and pinned buffers.
  Lane(const RunContext& context, std::int64_t capacity);

  // Runs scenarios [first, first + count) of the batch; count <= capacity. A scenario that fails
  // stops there and its error is kept; the others go on.
  void run_tile(std::int64_t first, std::int64_t count);

  // Where the lane's time went (make_cuda_engine's profile).
  const CudaRunProfile& profile() const { return profile_; }

  // The lowest failed scenario of the last tile and its error (index -1: none).
  std::pair<std::int64_t, std::exception_ptr> failure() const { return failure_; }
  std::int64_t capacity() const { return capacity_; }

  // Device bytes a lane's tile needs per scenario, and a lane needs whatever its tile (besides
  // CUB's scratch, adl_workspace_temporary_bytes): the sizes of the buffers the constructor
  // allocates, from their element types.
  static std::size_t device_bytes_per_scenario(const Book& book, const ModelConfig& config);
  static std::size_t device_bytes_per_lane(const Book& book, std::int64_t longest_adl_list, const ModelConfig& config);

 private:
  // Calls visit(&Lane::buffer, elements) for each device buffer: per scenario of the tile, and per
  // lane. One list for the allocation and for the memory estimate.
  template <typename Visit>
  static void visit_tile_buffers(const Book& book, const ModelConfig& config, Visit&& visit);
  template <typename Visit>
  static void visit_lane_buffers(const Book& book, std::int64_t longest_adl_list, const ModelConfig& config,
                                 Visit&& visit);

  TileView view(std::int64_t scenarios);
  LaunchShape shape() const { return {context_.blocks, stream_.get()}; }
  // ADL's scratch as the kernels see it (allocated with the lane when ADL is on).
  AdlWorkspace adl_workspace();
  // Waits for the lane's stream, counting the wait in the profile under `what`.
  void wait_for_device(const char* what) {
    const auto start = std::chrono::steady_clock::now();
    stream_.synchronize(what);
    profile_.wait_seconds[what] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  // lane.cu: the tile's scenarios at their start, each step's opening, its records, the ledger.
  void start_tile(std::int64_t first, std::int64_t count);
  void open_step(std::int64_t first, std::int64_t count, std::int64_t t);
  void record_step(const TileView& tile, std::int64_t first, std::int64_t t);
  void close_tile(const TileView& tile, std::int64_t first);
  void stage_markets(std::int64_t s);
  void send_round_inputs(std::int64_t scenarios);
  // cascade.cu: the step's liquidation rounds, and whether the round cap left anyone below
  // maintenance.
  void run_cascade(const TileView& tile, std::int64_t first, std::int64_t t, std::int32_t step_stamp);
  void run_round_scan(const TileView& tile, std::int32_t step_stamp, std::int32_t round, ScanMode mode);
  // Scenario s's (the batch's `index`) round on the host, and the round's fills on the host.
  void apply_round_totals(std::int64_t s, std::int64_t index, std::int32_t round, const RoundCounters& totals,
                          std::vector<std::int64_t>& flow_lots);
  void apply_fill_totals(std::int64_t first, std::int64_t count, std::int64_t t, const RoundCounters& totals);
  void check_round_cap(const TileView& tile, std::int32_t step_stamp);
  // trader_response.cu: margin calls and the traders' answer.
  void respond_to_margin_calls(const TileView& tile, std::int64_t first, std::int64_t t, std::int32_t step_stamp);
  // settlement.cu and auto_deleveraging.cu: the step's bankrupt accounts, the fund, ADL.
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

}  // namespace margin_stress::cuda
