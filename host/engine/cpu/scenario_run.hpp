// One scenario through the CPU reference, step by step (docs/model.md, "Order of operations").
#pragma once

#include <cstdint>
#include <vector>

#include "host/engine/book.hpp"
#include "host/engine/cpu/scenario_state.hpp"
#include "host/model/config.hpp"
#include "host/model/results.hpp"
#include "host/model/scenario_paths.hpp"

namespace margin_stress::cpu {

// Runs scenario `scenario` (index within `paths`) from the initial state, writing its metrics and
// its rows of `series` (same scenario index). `state` is scratch space, reset here. With `accounts`
// it also records every account's outcome there (docs/model.md section 11, "Per account"), one per
// account of the book; the run itself is the same bits either way.
void run_scenario(const Book& book, const ModelConfig& config, const ScenarioPaths& paths, std::int64_t scenario,
                  ScenarioState& state, ScenarioMetrics& metrics, StepSeries& series,
                  std::vector<AccountOutcome>* accounts = nullptr);

}  // namespace margin_stress::cpu
