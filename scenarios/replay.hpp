// Historical replays (docs/model.md, section 10.2): a market's fundamental price driven by a price
// file, resampled to the run's steps, so that the engine's own cascade impact comes on top of a
// real path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/scenario_paths.hpp"

namespace margin_stress {

// One bar of a replayed file: its open time and the prices it visits, in order, the last being its
// close. A bar with k points reaches point j (0-based) at open + (j + 1) * bar_seconds / k, so a
// close-only bar (k = 1) reaches its close when it closes.
struct ReplayBar {
  std::int64_t open_seconds = 0;
  std::vector<double> points;
};

// The points of an OHLC bar, in the order the bar implies: open, low, high, close when the close is
// above the open (the path more likely visited the low first), else open, high, low, close; a
// point equal to the one before it is dropped.
std::vector<double> intrabar_points(double open, double high, double low, double close);

// The bars of a replay's file as its `column` says (docs/model.md, section 10.2): "ohlc" gives each
// bar's intrabar points when the file has open, high, low and close columns and its close
// otherwise; a column's name gives that column's value alone. Throws InputError naming the file,
// and the row and column of a bar whose high or low does not bound it.
std::vector<ReplayBar> read_replay_bars(const ReplaySeries& replay);

// The price of each step t = 0..steps at time start + t * step_seconds: the last point reached by
// then, in the last bar that has reached one. Throws InputError naming `source` when no bar has
// closed by the start or the bars end before the last step.
std::vector<double> resample_bars(const std::vector<ReplayBar>& bars, std::int64_t bar_seconds, std::int64_t start,
                                  double step_seconds, std::int64_t steps, const std::string& source);

// Replaces the fundamental price of every replayed market, in every scenario of `paths`.
void apply_replays(const ModelConfig& config, ScenarioPaths& paths);

}  // namespace margin_stress
