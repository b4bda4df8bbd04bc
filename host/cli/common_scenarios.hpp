// Runs of one configuration over every scenario of a base, in batches of paths built afresh each
// time from the base's seed: the evaluations of `optimize` and `reverse` all see the same random
// numbers (common random numbers), so their differences come from what they vary, not from noise.
#pragma once

#include "host/analysis/comparison.hpp"
#include "host/engine/engine.hpp"
#include "host/model/config.hpp"
#include "host/model/portfolio.hpp"

namespace margin_stress {

// The per-scenario metrics of `config` run on the book, over the scenarios `scenarios` describes
// (its run size, seed and scenario section; `config` may be the same configuration). Throws
// std::runtime_error when a scenario's ledger does not balance to the cent.
PolicyScenarioMetrics run_on_common_scenarios(Engine& engine, const ModelConfig& scenarios, const ModelConfig& config,
                                              const Portfolio& portfolio);

}  // namespace margin_stress
