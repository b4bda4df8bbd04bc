#include "host/engine/cpu/cpu_engine.hpp"

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "host/engine/book.hpp"
#include "host/engine/cpu/scenario_run.hpp"

namespace margin_stress {
namespace {

class CpuLoadedBook final : public LoadedBook {
 public:
  CpuLoadedBook(const ModelConfig& config, const Portfolio& portfolio, int threads)
      : config_(config), book_(make_book(config, portfolio)), threads_(threads) {}

  std::int64_t scenarios_in_parallel() const override { return threads_; }

  BatchResults run(const ScenarioPaths& paths, const ProgressCallback& progress) override {
    return run_batch(paths, progress, nullptr);
  }

  bool captures_accounts() const override { return true; }

  BatchResults run_capturing_accounts(const ScenarioPaths& paths, const ProgressCallback& progress,
                                      std::vector<ScenarioAccounts>& accounts) override {
    accounts.assign(static_cast<std::size_t>(paths.scenarios), ScenarioAccounts{});
    for (std::size_t s = 0; s < accounts.size(); ++s) {
      accounts[s].scenario = paths.first_scenario + static_cast<std::int64_t>(s);
    }
    return run_batch(paths, progress, &accounts);
  }

 private:
  // `accounts`, when given, has one entry per scenario of `paths`, each filled by its scenario.
  BatchResults run_batch(const ScenarioPaths& paths, const ProgressCallback& progress,
                         std::vector<ScenarioAccounts>* accounts) {
    const ModelConfig& config = config_;
    const Book& book = book_;
    check_scenario_paths(config, paths);
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
          cpu::run_scenario(book, config, paths, s, state, results.scenarios[static_cast<std::size_t>(s)],
                            results.series,
                            accounts != nullptr ? &(*accounts)[static_cast<std::size_t>(s)].accounts : nullptr);
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

  const ModelConfig& config_;
  const Book book_;
  int threads_;
};

class CpuEngine final : public Engine {
 public:
  explicit CpuEngine(int threads)
      : threads_(threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))) {}

  std::string name() const override { return "cpu (" + std::to_string(threads_) + " threads)"; }

  std::unique_ptr<LoadedBook> load(const ModelConfig& config, const Portfolio& portfolio) override {
    return std::make_unique<CpuLoadedBook>(config, portfolio, threads_);
  }

 private:
  int threads_;
};

}  // namespace

std::unique_ptr<Engine> make_cpu_engine(int threads) { return std::make_unique<CpuEngine>(threads); }

}  // namespace margin_stress
