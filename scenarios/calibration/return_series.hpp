// Log returns of several markets on their common bars (docs/calibration.md, "Input").
//
// The series are aligned on the times all of them share (an inner join), restricted to a window,
// and turned into per-bar log returns r_t[m] = ln(P_t[m] / P_{t-1}[m]). A return is kept only when
// the two bars are exactly one bar length apart: a return across a gap (missing bars in any file)
// spans several bars and would look like one large move, so it is dropped and the returns on either
// side are treated as consecutive observations of the regime chain.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "scenarios/calibration/price_series.hpp"

namespace margin_stress::calibration {

struct ReturnSeries {
  std::vector<std::string> markets;        // in the order of the input series
  std::vector<std::string> sources;        // their files
  std::int64_t bar_seconds = 0;            // the common bar length
  std::vector<std::int64_t> time_seconds;  // per return: the open time of the bar the return ends at
  std::vector<double> log_returns;         // [return][market], row-major
  std::size_t common_bars = 0;             // bars present in every file and inside the window
  std::size_t gaps = 0;                    // returns dropped because the bars were not adjacent

  std::size_t count() const { return time_seconds.size(); }
  std::size_t market_count() const { return markets.size(); }
};

// The aligned returns of `series` over bars with from_seconds <= time <= to_seconds. Throws
// InputError when the files' bar lengths (most_common_spacing of each) differ, naming both files
// and lengths, or when fewer than 2 returns remain.
ReturnSeries aligned_log_returns(const std::vector<PriceSeries>& series,
                                 std::int64_t from_seconds = std::numeric_limits<std::int64_t>::min(),
                                 std::int64_t to_seconds = std::numeric_limits<std::int64_t>::max());

// Throws InputError naming a market's file when its price does not move over the returns (every
// log return 0): its variance is 0 in every regime, so no regime model has a finite likelihood.
void check_prices_move(const ReturnSeries& data);

}  // namespace margin_stress::calibration
