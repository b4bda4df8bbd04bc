// Historical replays (docs/model.md, section 10.2): a market's fundamental price driven by a price
// file, resampled to the run's steps, so that the engine's own cascade impact comes on top of a
// real path.
#pragma once

#include <cstdint>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/scenario_paths.hpp"

namespace margin_stress {

// The price of each step t = 0..steps at time start + t * step_seconds: the close of the last bar
// that closed at or before it (a bar opening at o closes at o + bar_seconds). `times` are bar open
// times (seconds since the epoch, increasing). Throws InputError naming `source` when no bar has
// closed by the start or the bars end before the last step.
std::vector<double> resample_closes(const std::vector<std::int64_t>& times, const std::vector<double>& closes,
                                    std::int64_t bar_seconds, std::int64_t start, double step_seconds,
                                    std::int64_t steps, const std::string& source);

// Replaces the fundamental price of every replayed market, in every scenario of `paths`.
void apply_replays(const ModelConfig& config, ScenarioPaths& paths);

}  // namespace margin_stress
