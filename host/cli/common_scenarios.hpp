// Runs of one configuration over every scenario of a base, in batches of paths built afresh each
// time from the base's seed: the evaluations of `optimize` and `reverse` all see the same random
// numbers (common random numbers), so their differences come from what they vary, not from noise.
#pragma once

#include <memory>
#include <string>

#include "host/analysis/comparison.hpp"
#include "host/engine/engine.hpp"
#include "host/model/config.hpp"
#include "host/model/portfolio.hpp"

namespace margin_stress {

// The book of a compare, optimize or reverse run and how the outputs name its source.
struct BaseBook {
  Portfolio portfolio;
  std::string source;
};

// The portfolio file at `portfolio_path`, or (empty path) the base config's synthetic book after
// the memory check; validated against the base's markets.
BaseBook load_base_book(const ModelConfig& base, const std::string& portfolio_path);

// The engine a command's --backend and --device name, on the base's threads.
std::unique_ptr<Engine> make_command_engine(const std::string& backend, int threads, int device);

// The per-scenario metrics of `config` run on the book, over the scenarios `scenarios` describes
// (its run size, seed and scenario section; `config` may be the same configuration). Throws
// std::runtime_error when a scenario's ledger does not balance to the cent.
PolicyScenarioMetrics run_on_common_scenarios(Engine& engine, const ModelConfig& scenarios, const ModelConfig& config,
                                              const Portfolio& portfolio);

}  // namespace margin_stress
