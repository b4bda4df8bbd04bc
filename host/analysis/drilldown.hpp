// The drill-down into single accounts (docs/model.md section 11, "Per account"): which scenarios
// to capture, and which accounts bore a captured scenario's bad debt and paid its ADL haircuts.
#pragma once

#include <cstdint>
#include <vector>

#include "host/model/account_outcome.hpp"
#include "host/model/results.hpp"

namespace margin_stress {

// The global numbers of the `count` scenarios with the largest platform loss (loss_bearers), worst
// first, ties by the lower scenario number. scenarios[s] is scenario first_scenario + s. Throws
// std::invalid_argument unless 1 <= count <= scenarios.size().
std::vector<std::int64_t> worst_scenarios(const std::vector<ScenarioMetrics>& scenarios, std::int64_t first_scenario,
                                          std::int64_t count);

// A captured scenario's figures (its ledger) and its top_contributor_count largest contributors to
// bad debt (AccountOutcome::bad_debt), to ADL (AccountOutcome::adl_haircut_paid) and to the backstop
// vault's loss (minus AccountOutcome::backstop_vault_pnl_usd), largest first, ties by account index,
// each with its share of the scenario's total; accounts that contributed nothing (or on which the
// vault gained) are not listed.
CapturedScenario capture_summary(const ScenarioMetrics& metrics, const ScenarioAccounts& accounts);

}  // namespace margin_stress
