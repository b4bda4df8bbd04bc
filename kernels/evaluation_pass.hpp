// The evaluation pass alone, timed on the device for bench/ (docs/model.md, "The CUDA engine"):
// the scan of every account in every scenario of a tile, at the first step's marks, with the book
// untouched (the common case: most steps liquidate no one). Declared for every build; defined
// where CUDA is built.
#pragma once

#include <cstdint>

#include "host/model/config.hpp"
#include "host/model/portfolio.hpp"
#include "host/model/scenario_paths.hpp"

namespace margin_stress {

struct EvaluationPassTiming {
  std::int64_t scenarios = 0;  // in the tile
  double seconds_per_pass = 0.0;
  // The least the pass reads from device memory: per account its offset, cash and one touched
  // flag per scenario; per position its market and lots (and entry price with a depegged
  // collateral): the book once per tile, not once per scenario.
  double bytes_per_pass = 0.0;
  double naive_bytes_per_pass = 0.0;  // a kernel that re-reads every position for every scenario
  double position_evaluations_per_pass = 0.0;
};

// Times `repetitions` passes over scenarios [0, scenarios) of `paths` (which must hold them).
EvaluationPassTiming time_evaluation_pass(const ModelConfig& config, const Portfolio& portfolio,
                                          const ScenarioPaths& paths, int device, std::int64_t scenarios,
                                          int repetitions);

}  // namespace margin_stress
