#include "host/engine/cpu/cpu_engine.hpp"

#include <atomic>
#include <exception>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "host/engine/cpu/book.hpp"
#include "host/engine/cpu/scenario_run.hpp"
#include "host/model/input_error.hpp"

namespace margin_stress {
namespace {

// The engine trusts validated inputs, but a ScenarioPaths assembled by hand (tests, tools) must at
// least have the layout it claims.
void check_paths(const ModelConfig& config, const ScenarioPaths& paths) {
  const auto points = static_cast<std::size_t>(paths.scenarios * (paths.steps + 1));
  const auto per_market = points * static_cast<std::size_t>(paths.markets);
  if (paths.markets != static_cast<std::int64_t>(config.market_count()) || paths.fundamental_price_usd.size() != per_market ||
      paths.depth_multiplier.size() != per_market || paths.oracle_factor.size() != per_market ||
      paths.regime.size() != points || paths.collateral_value.size() != points) {
    throw std::invalid_argument("scenario paths do not match their declared shape (" + std::to_string(paths.scenarios) +
                                " scenarios, " + std::to_string(paths.steps) + " steps, " +
                                std::to_string(paths.markets) + " markets)");
  }
  // Extreme parameters (a huge volatility, drift or jump over a long step) can push a price out of
  // double range; the engine would then compute with 0 or infinity, so such paths are refused.
  const auto where = [&](std::size_t point, std::size_t market) {
    const auto steps = static_cast<std::size_t>(paths.steps + 1);
    return "scenario " + std::to_string(paths.first_scenario + static_cast<std::int64_t>(point / steps)) + " step " +
           std::to_string(point % steps) + (market < config.market_count() ? " market " + config.markets[market].name : "");
  };
  const auto positive = [](double value) { return std::isfinite(value) && value > 0.0; };
  for (std::size_t i = 0; i < per_market; ++i) {
    const std::size_t point = i / static_cast<std::size_t>(paths.markets);
    const std::size_t market = i % static_cast<std::size_t>(paths.markets);
    if (!positive(paths.fundamental_price_usd[i]) || !positive(paths.depth_multiplier[i]) ||
        !positive(paths.oracle_factor[i])) {
      throw InputError(config.source_name + ": " + where(point, market) + ": the scenario's price " +
                       std::to_string(paths.fundamental_price_usd[i]) + ", depth multiplier " +
                       std::to_string(paths.depth_multiplier[i]) + " or oracle factor " +
                       std::to_string(paths.oracle_factor[i]) +
                       " is not a positive finite number: the regime model's volatility, drift or jumps are too "
                       "extreme for run.step_seconds");
    }
  }
  for (std::size_t point = 0; point < points; ++point) {
    if (!positive(paths.collateral_value[point]) || paths.collateral_value[point] > 1.0) {
      throw InputError(config.source_name + ": " + where(point, config.market_count()) + ": collateral value " +
                       std::to_string(paths.collateral_value[point]) + " is not in (0, 1]");
    }
  }
}

class CpuEngine final : public Engine {
 public:
  explicit CpuEngine(int threads)
      : threads_(threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))) {}

  std::string name() const override { return "cpu (" + std::to_string(threads_) + " threads)"; }

  BatchResults run(const ModelConfig& config, const Portfolio& portfolio, const ScenarioPaths& paths,
                   const ProgressCallback& progress) override {
    check_paths(config, paths);
    const cpu::Book book = cpu::make_book(config, portfolio);
    BatchResults results;
    results.first_scenario = paths.first_scenario;
    results.scenarios.resize(static_cast<std::size_t>(paths.scenarios));
    results.series.resize(paths.scenarios, paths.steps, paths.markets);

    // Each worker takes the next scenario; each scenario writes only its own slots, so the
    // results are the same for any number of workers.
    std::atomic<std::int64_t> next_scenario{0};
    std::atomic<std::int64_t> done{0};
    // On failure no new scenario starts. Scenarios are taken in index order, so every scenario
    // below the first failure has run, and the failure reported (the lowest failing index) is the
    // same for any number of workers.
    std::exception_ptr failure;
    std::int64_t failed_scenario = paths.scenarios;
    std::mutex failure_mutex;
    auto worker = [&] {
      cpu::ScenarioState state;
      for (std::int64_t s = next_scenario++; s < paths.scenarios; s = next_scenario++) {
        try {
          cpu::run_scenario(book, config, paths, s, state, results.scenarios[static_cast<std::size_t>(s)], results.series);
        } catch (...) {
          const std::lock_guard<std::mutex> lock(failure_mutex);
          if (s < failed_scenario) {
            failed_scenario = s;
            failure = std::current_exception();
          }
          next_scenario = paths.scenarios;
          return;
        }
        const std::int64_t finished = ++done;
        if (progress) progress(finished);
      }
    };
    const int workers = static_cast<int>(std::min<std::int64_t>(threads_, paths.scenarios));
    std::vector<std::thread> pool;
    for (int w = 1; w < workers; ++w) pool.emplace_back(worker);
    worker();
    for (std::thread& thread : pool) thread.join();
    if (failure) std::rethrow_exception(failure);
    return results;
  }

 private:
  int threads_;
};

}  // namespace

std::unique_ptr<Engine> make_cpu_engine(int threads) { return std::make_unique<CpuEngine>(threads); }

}  // namespace margin_stress
