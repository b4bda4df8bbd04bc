// The CUDA engine (docs/model.md section 14). The device holds the book and, per scenario in
// flight, the rows of the accounts its cascade touched; its kernels do every O(positions) pass.
// The host runs the O(markets) dynamics (ScenarioMarkets: prices, impact, the margin policy) and
// the settlement's arithmetic on what the kernels found, with the backend-neutral engine the CPU
// reference runs too, so the two engines differ only in how they visit accounts and add up. Here:
// how many scenarios a lane's tile holds, and the lanes that take the batch's tiles in turn
// (kernels/lane.hpp).
#include <algorithm>
#include <atomic>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "host/engine/book.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_engine.hpp"
#include "kernels/device_book.cuh"
#include "kernels/lane.hpp"

namespace margin_stress {
namespace cuda {
namespace {

// Host threads, each with its own stream and tile of scenarios: while one lane's host works
// between kernels (impact, settlement, copies), the other's kernels keep the device busy.
constexpr int lane_count = 2;

// Blocks of the grid-stride kernels: one wave of the account scan, or fewer for a small book.
int launch_blocks(std::int64_t accounts, int multiprocessors) {
  const std::int64_t wave = std::int64_t{scan_blocks_per_multiprocessor()} * multiprocessors;
  return static_cast<int>(std::clamp<std::int64_t>((accounts + threads_per_block - 1) / threads_per_block, 1, wave));
}

// The book on one device; runs batches of its scenarios on that device's lanes.
class CudaLoadedBook final : public LoadedBook {
 public:
  CudaLoadedBook(const ModelConfig& config, const Portfolio& portfolio, int device, std::int64_t max_in_flight,
                 CudaRunProfile* profile, const CudaDeviceInfo& info)
      : config_(config),
        device_(device),
        max_in_flight_(max_in_flight),
        profile_(profile),
        info_(info),
        book_(make_book(config, portfolio)),
        device_book_(book_) {}

  std::int64_t scenarios_in_parallel() const override {
    const std::int64_t unbounded = std::numeric_limits<std::int32_t>::max();
    return lane_count * tile_capacity(config_, book_, device_book_, unbounded, lane_count);
  }

  // Per-account state stays on the device (docs/model.md section 14); the CLI reruns captured
  // scenarios on the CPU reference, which gives the same bits.
  bool captures_accounts() const override { return false; }

  BatchResults run_capturing_accounts(const ScenarioPaths&, const ProgressCallback&,
                                      std::vector<ScenarioAccounts>&) override {
    throw std::logic_error("the CUDA engine does not copy per-account outcomes back; capture on the CPU reference");
  }

  BatchResults run(const ScenarioPaths& paths, const ProgressCallback& progress) override {
    const ModelConfig& config = config_;
    const Book& book = book_;
    const DeviceBook& device_book = device_book_;
    check_scenario_paths(config, paths);
    MARGIN_STRESS_CUDA_CHECK(cudaSetDevice(device_), "selecting the CUDA device");

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

    const int lanes = paths.scenarios > 1 ? lane_count : 1;
    const std::int64_t capacity = tile_capacity(config, book, device_book, paths.scenarios, lanes);

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
  std::int64_t tile_capacity(const ModelConfig& config, const Book& book, const DeviceBook& device_book,
                             std::int64_t scenarios, int lanes) const {
    // Scenarios in flight per lane: what the free device memory holds (with a tenth kept back for
    // the runtime and the settlement's scratch), at most the caller's cap, and no more than the
    // batch needs.
    std::size_t free_bytes = 0;
    std::size_t total_bytes = 0;
    MARGIN_STRESS_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes), "reading the device's free memory");
    const std::size_t per_scenario = Lane::device_bytes_per_scenario(book, config);
    // Each lane also holds the settlement's search and ADL's scratch with CUB's.
    const double usable =
        static_cast<double>(free_bytes) * 0.9 -
        static_cast<double>(lanes) *
            static_cast<double>(Lane::device_bytes_per_lane(book, device_book.longest_adl_list, config) +
                                (config.insurance_fund.auto_deleveraging
                                     ? adl_workspace_temporary_bytes(device_book.longest_adl_list)
                                     : 0));
    std::int64_t capacity = static_cast<std::int64_t>(usable / static_cast<double>(per_scenario) / lanes);
    if (capacity < 1) {
      throw std::runtime_error("one scenario of this portfolio needs " + std::to_string(per_scenario >> 20) +
                               " MiB of device memory and device " + std::to_string(device_) + " has " +
                               std::to_string(free_bytes >> 20) + " MiB free; use --backend cpu");
    }
    capacity = std::min<std::int64_t>(capacity, (scenarios + lanes - 1) / lanes);
    if (max_in_flight_ > 0)
      capacity = std::min<std::int64_t>(capacity, std::max<std::int64_t>(max_in_flight_ / lanes, 1));
    capacity = std::min<std::int64_t>(capacity, 65535);  // a grid's y dimension indexes the tile's scenarios
    return capacity;
  }

  const ModelConfig& config_;
  int device_;
  std::int64_t max_in_flight_;
  CudaRunProfile* profile_;
  CudaDeviceInfo info_;
  const Book book_;
  const DeviceBook device_book_;
};

class CudaEngine final : public Engine {
 public:
  CudaEngine(int device, std::int64_t max_scenarios_in_flight, CudaRunProfile* profile)
      : device_(device), max_in_flight_(max_scenarios_in_flight), profile_(profile), info_(cuda_device_info(device)) {}

  std::string name() const override { return "cuda (" + info_.name + ", device " + std::to_string(device_) + ")"; }

  std::unique_ptr<LoadedBook> load(const ModelConfig& config, const Portfolio& portfolio) override {
    check_int32_limits(config, portfolio);
    // The book's device arrays belong to the device current when they are allocated.
    MARGIN_STRESS_CUDA_CHECK(cudaSetDevice(device_), "selecting the CUDA device");
    return std::make_unique<CudaLoadedBook>(config, portfolio, device_, max_in_flight_, profile_, info_);
  }

 private:
  // The CUDA engine counts steps x rounds and accounts in 32-bit integers.
  static void check_int32_limits(const ModelConfig& config, const Portfolio& portfolio) {
    const std::int64_t rounds_cap = config.liquidation.max_cascade_rounds;
    if ((config.run.steps + 1) * (rounds_cap + 1) > std::numeric_limits<std::int32_t>::max()) {
      throw std::invalid_argument(
          "the CUDA engine needs (run.steps + 1) x (liquidation.max_cascade_rounds + 1) below 2^31");
    }
    if (static_cast<std::int64_t>(portfolio.account_count()) > std::numeric_limits<std::int32_t>::max()) {
      throw std::invalid_argument("the CUDA engine takes at most 2^31 - 1 accounts");
    }
  }

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
