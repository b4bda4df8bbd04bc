// `run --accounts-out`: the run's chosen scenarios rerun alone with every account's outcome captured
// (docs/model.md section 11, "Per account"; the file in docs/results.md, "Accounts files").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/engine/engine.hpp"
#include "host/model/account_outcome.hpp"
#include "host/model/config.hpp"
#include "host/model/portfolio.hpp"
#include "host/model/results.hpp"

namespace margin_stress {

struct AccountCapture {
  std::vector<ScenarioAccounts> accounts;  // in the order the scenarios were chosen
  std::vector<CapturedScenario> captured;  // the same scenarios' top contributors
  std::string engine;                      // the engine that captured them, e.g. "cpu (2 threads)"
  bool on_cpu_reference_instead = false;   // the run's engine cannot capture (CUDA): the CPU reference did
};

// The scenarios of the run's `results` to capture: the `worst` with the largest platform loss, worst
// first (worst_scenarios), or every one of them in order when `worst` is 0.
std::vector<std::int64_t> scenarios_to_capture(const BatchResults& results, std::int64_t worst);

// Reruns `scenarios` (global numbers, all in `results`) alone, consecutive ones as one batch, with
// their accounts captured: on `book` when it can (LoadedBook::captures_accounts), else on a CPU
// reference loaded with the same config and portfolio. A rerun's ledger that differs from the run's
// throws std::logic_error: the drill-down must be the same bits as the run.
AccountCapture capture_accounts(LoadedBook& book, const ModelConfig& config, const Portfolio& portfolio,
                                const BatchResults& results, const std::vector<std::int64_t>& scenarios);

}  // namespace margin_stress
