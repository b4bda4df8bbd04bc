// The one interface every backend implements (docs/model.md is the specification).
// The CPU reference (host/engine/cpu/) and the CUDA engine (kernels/) both run a batch of
// scenarios over one portfolio and fill the same BatchResults, so they can be compared field by
// field by `margin-stress verify`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "host/model/account_outcome.hpp"
#include "host/model/config.hpp"
#include "host/model/portfolio.hpp"
#include "host/model/results.hpp"
#include "host/model/scenario_paths.hpp"

namespace margin_stress {

enum class Backend { automatic, cpu, cuda };

// "auto", "cpu" or "cuda" (the CLI's --backend, checked there).
inline Backend backend_from_name(const std::string& name) {
  if (name == "cpu") return Backend::cpu;
  if (name == "cuda") return Backend::cuda;
  return Backend::automatic;
}

// Called from any thread with the number of scenarios finished so far in the batch.
using ProgressCallback = std::function<void(std::int64_t scenarios_done)>;

// A config and a book loaded into a backend (the CUDA engine copies the book to the device once),
// ready to run batches of their scenarios: a long run (`run` with checkpoints, `optimize`'s policies
// on common scenarios) loads the book once, not per batch. Keeps references to the config given to
// Engine::load, which must outlive it.
class LoadedBook {
 public:
  virtual ~LoadedBook() = default;
  // Runs every scenario of `paths` (made from the loaded config); results.scenarios[s] is scenario
  // paths.first_scenario+s, the same bits whatever batches the scenarios are split into.
  virtual BatchResults run(const ScenarioPaths& paths, const ProgressCallback& progress) = 0;
  // Whether run_capturing_accounts is available. The CPU reference captures; the CUDA engine keeps
  // per-account state on the device and does not copy it back, so a drill-down reruns its scenarios
  // on the CPU reference, which gives the same bits (docs/model.md section 14).
  virtual bool captures_accounts() const = 0;
  // As run, and sets accounts[s] to every account's outcome in scenario paths.first_scenario+s
  // (docs/model.md section 11, "Per account"), one per account of the book. The results are the
  // same bits as run's. Throws std::logic_error where captures_accounts() is false.
  virtual BatchResults run_capturing_accounts(const ScenarioPaths& paths, const ProgressCallback& progress,
                                              std::vector<ScenarioAccounts>& accounts) = 0;
  // How many scenarios the backend works on at once (CPU threads, or the scenarios the device's
  // memory holds in flight): a batch of several times this keeps every worker busy.
  virtual std::int64_t scenarios_in_parallel() const = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string name() const = 0;  // e.g. "cpu (2 threads)"
  // Loads `portfolio` for `config`. Both have been validated (validate_config, validate_portfolio).
  virtual std::unique_ptr<LoadedBook> load(const ModelConfig& config, const Portfolio& portfolio) = 0;
  // Runs every scenario of `paths` over `portfolio` in one batch: load(config, portfolio)->run(...).
  BatchResults run(const ModelConfig& config, const Portfolio& portfolio, const ScenarioPaths& paths,
                   const ProgressCallback& progress) {
    return load(config, portfolio)->run(paths, progress);
  }
};

struct EngineOptions {
  Backend backend = Backend::automatic;
  int threads = 0;  // CPU worker threads; 0 means all hardware threads
  int device = 0;   // CUDA device ordinal
  // CUDA: the most scenarios resident on the device at once (0: as many as its memory holds).
  std::int64_t max_scenarios_in_flight = 0;
};

// Every engine checks its paths first: the engines trust validated inputs, but a ScenarioPaths
// assembled by hand (tests, tools) must at least have the layout it claims, and a price out of
// double range (extreme parameters) is refused. Throws std::invalid_argument or InputError.
void check_scenario_paths(const ModelConfig& config, const ScenarioPaths& paths);

// Number of usable CUDA devices: 0 in a build without CUDA, and 0 where the driver reports no
// device or is missing (cudaErrorNoDevice, cudaErrorInsufficientDriver).
int cuda_device_count();

// Backend::automatic picks CUDA when a device is present, else the CPU. Asking for CUDA in a build
// without it, or on a machine without a device, throws std::runtime_error saying which.
std::unique_ptr<Engine> make_engine(const EngineOptions& options);

}  // namespace margin_stress
