#include <algorithm>
#include <vector>

#include "host/engine/book.hpp"
#include "host/engine/scenario_markets.hpp"
#include "host/model/formulas/liquidation.hpp"
#include "kernels/cascade.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_engine.hpp"
#include "kernels/device_book.cuh"
#include "kernels/device_buffer.cuh"
#include "kernels/evaluation_pass.hpp"

namespace margin_stress {

EvaluationPassTiming time_evaluation_pass(const ModelConfig& config, const Portfolio& portfolio,
                                          const ScenarioPaths& paths, int device, std::int64_t scenarios,
                                          int repetitions) {
  using namespace cuda;
  MARGIN_STRESS_CUDA_CHECK(cudaSetDevice(device), "selecting the CUDA device");
  const Book book = make_book(config, portfolio);
  const DeviceBook device_book(book);
  const auto accounts = static_cast<std::size_t>(book.accounts);
  const auto markets = static_cast<std::size_t>(book.markets);
  const auto tile_scenarios = static_cast<std::size_t>(scenarios);

  // Step 1's markets of each scenario, as the engine would stage them.
  std::vector<MarketTerms> rows(tile_scenarios * markets);
  std::vector<double> collateral(tile_scenarios);
  std::vector<std::int64_t> long_lots(markets, 0);
  for (std::size_t p = 0; p < book.initial_quantity.size(); ++p) {
    if (book.initial_quantity[p] > 0)
      long_lots[static_cast<std::size_t>(book.position_market[p])] += book.initial_quantity[p];
  }
  bool depegged = false;
  for (std::size_t s = 0; s < tile_scenarios; ++s) {
    ScenarioMarkets model(config, book);
    std::vector<MarketState> states;
    ScenarioMetrics metrics;
    model.start(paths, static_cast<std::int64_t>(s), states, metrics);
    model.open_step(paths, static_cast<std::int64_t>(s), 1, long_lots, states, metrics);
    for (std::size_t m = 0; m < markets; ++m) rows[s * markets + m] = device_book.market_row(states[m], m);
    collateral[s] = model.collateral_value();
    depegged = depegged || collateral[s] != 1.0;
  }

  DeviceBuffer<std::uint8_t> touched(tile_scenarios * accounts);
  DeviceBuffer<MarketTerms> device_rows(rows.size());
  DeviceBuffer<double> device_collateral(tile_scenarios);
  DeviceBuffer<std::uint8_t> active(tile_scenarios);
  DeviceBuffer<unsigned long long> counters(RoundCounters::words(scenarios, book.markets));
  MARGIN_STRESS_CUDA_CHECK(cudaMemset(touched.data(), 0, touched.bytes()), "clearing the tile");
  MARGIN_STRESS_CUDA_CHECK(cudaMemset(active.data(), 1, active.bytes()), "activating the tile");
  MARGIN_STRESS_CUDA_CHECK(cudaMemcpy(device_rows.data(), rows.data(), device_rows.bytes(), cudaMemcpyHostToDevice),
                           "copying the markets");
  MARGIN_STRESS_CUDA_CHECK(
      cudaMemcpy(device_collateral.data(), collateral.data(), device_collateral.bytes(), cudaMemcpyHostToDevice),
      "copying the collateral values");

  TileView tile;
  tile.scenarios = scenarios;
  tile.touched = touched.data();
  tile.markets = device_rows.data();
  tile.collateral_value = device_collateral.data();
  tile.active = active.data();
  tile.counters = RoundCounters::in(counters.data(), scenarios, book.markets);
  const CudaDeviceInfo info = cuda_device_info(device);
  LaunchShape shape;
  shape.blocks =
      static_cast<int>(std::clamp<std::int64_t>((book.accounts + threads_per_block - 1) / threads_per_block, 1,
                                                std::int64_t{scan_blocks_per_multiprocessor()} * info.multiprocessors));

  cudaEvent_t start = nullptr;
  cudaEvent_t stop = nullptr;
  MARGIN_STRESS_CUDA_CHECK(cudaEventCreate(&start), "creating a timing event");
  MARGIN_STRESS_CUDA_CHECK(cudaEventCreate(&stop), "creating a timing event");
  const formulas::LiquidationRule rule = formulas::liquidation_rule(config.liquidation);
  const formulas::PerPositionMargins per_position_margins =
      book.per_position_margins ? formulas::PerPositionMargins::present : formulas::PerPositionMargins::absent;
  launch_scan_accounts(shape, device_book.view, tile, 0, 1, ScanMode::count, per_position_margins, rule);  // warm-up
  MARGIN_STRESS_CUDA_CHECK(cudaEventRecord(start), "timing the pass");
  for (int r = 0; r < repetitions; ++r) {
    launch_scan_accounts(shape, device_book.view, tile, 0, 1, ScanMode::count, per_position_margins, rule);
  }
  MARGIN_STRESS_CUDA_CHECK(cudaEventRecord(stop), "timing the pass");
  MARGIN_STRESS_CUDA_CHECK(cudaEventSynchronize(stop), "running the timed passes");
  float milliseconds = 0.0f;
  MARGIN_STRESS_CUDA_CHECK(cudaEventElapsedTime(&milliseconds, start, stop), "reading the pass time");
  cudaEventDestroy(start);
  cudaEventDestroy(stop);

  EvaluationPassTiming timing;
  timing.scenarios = scenarios;
  timing.seconds_per_pass = static_cast<double>(milliseconds) * 1e-3 / repetitions;
  const double positions = static_cast<double>(book.positions);
  const double position_bytes = 4.0 + 8.0 + (depegged ? 8.0 : 0.0);
  timing.bytes_per_pass =
      static_cast<double>(accounts) * (16.0 + static_cast<double>(scenarios)) + positions * position_bytes;
  timing.naive_bytes_per_pass =
      static_cast<double>(scenarios) * (static_cast<double>(accounts) * 16.0 + positions * position_bytes);
  timing.position_evaluations_per_pass = positions * static_cast<double>(scenarios);
  return timing;
}

}  // namespace margin_stress
