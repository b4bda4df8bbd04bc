#include "host/engine/cpu/cpu_engine.hpp"

#include <atomic>
#include <limits>
#include <vector>

#include "host/engine/book.hpp"
#include "host/engine/cpu/scenario_run.hpp"
#include "host/model/parallel_for.hpp"

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

    // Each scenario writes only its own slots, so the results are the same for any number of
    // threads; a failure stops the run at the lowest failing scenario (host/model/parallel_for.hpp).
    std::atomic<std::int64_t> done{0};
    parallel_for<cpu::ScenarioState>(paths.scenarios, threads_, [&](cpu::ScenarioState& state, std::int64_t s) {
      cpu::run_scenario(book, config, paths, s, state, results.scenarios[static_cast<std::size_t>(s)], results.series,
                        accounts != nullptr ? &(*accounts)[static_cast<std::size_t>(s)].accounts : nullptr);
      const std::int64_t finished = ++done;
      if (progress) progress(finished);
    });
    return results;
  }

  const ModelConfig& config_;
  const Book book_;
  int threads_;
};

class CpuEngine final : public Engine {
 public:
  explicit CpuEngine(int threads) : threads_(worker_threads(threads, std::numeric_limits<std::int64_t>::max())) {}

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
