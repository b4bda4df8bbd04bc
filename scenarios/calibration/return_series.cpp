#include "scenarios/calibration/return_series.hpp"

#include <cmath>

#include "host/model/input_error.hpp"

namespace margin_stress::calibration {

ReturnSeries aligned_log_returns(const std::vector<PriceSeries>& series, std::int64_t from_seconds,
                                 std::int64_t to_seconds) {
  ReturnSeries out;
  if (series.empty()) throw InputError("no price files given");
  out.bar_seconds = most_common_spacing(series[0].time_seconds);
  for (const PriceSeries& one : series) {
    const std::int64_t bar = most_common_spacing(one.time_seconds);
    if (bar != out.bar_seconds) {
      throw InputError(one.source + ": bars of " + std::to_string(bar) + " s, but " + series[0].source +
                       " has bars of " + std::to_string(out.bar_seconds) +
                       " s (all files must have the same bar length)");
    }
    out.markets.push_back(one.market);
    out.sources.push_back(one.source);
  }

  // Merge walk over the sorted times: a bar is common when every series has it.
  const std::size_t markets = series.size();
  std::vector<std::size_t> cursor(markets, 0);
  std::vector<double> previous_price(markets, 0.0);
  std::int64_t previous_time = 0;
  bool have_previous = false;
  while (true) {
    std::int64_t latest = std::numeric_limits<std::int64_t>::min();
    bool exhausted = false;
    for (std::size_t m = 0; m < markets; ++m) {
      if (cursor[m] == series[m].time_seconds.size()) {
        exhausted = true;
        break;
      }
      latest = std::max(latest, series[m].time_seconds[cursor[m]]);
    }
    if (exhausted) break;
    bool common = true;
    for (std::size_t m = 0; m < markets; ++m) {
      const std::vector<std::int64_t>& times = series[m].time_seconds;
      while (cursor[m] < times.size() && times[cursor[m]] < latest) ++cursor[m];
      if (cursor[m] == times.size() || times[cursor[m]] != latest) common = false;
    }
    if (!common) continue;
    if (latest >= from_seconds && latest <= to_seconds) {
      ++out.common_bars;
      if (have_previous && latest - previous_time == out.bar_seconds) {
        out.time_seconds.push_back(latest);
        for (std::size_t m = 0; m < markets; ++m) {
          out.log_returns.push_back(std::log(series[m].price_usd[cursor[m]] / previous_price[m]));
        }
      } else if (have_previous) {
        ++out.gaps;
      }
      for (std::size_t m = 0; m < markets; ++m) previous_price[m] = series[m].price_usd[cursor[m]];
      previous_time = latest;
      have_previous = true;
    }
    for (std::size_t m = 0; m < markets; ++m) ++cursor[m];
  }
  if (out.count() < 2) {
    throw InputError("the price files have " + std::to_string(out.count()) +
                     " returns on common, adjacent bars inside the window; at least 2 are needed");
  }
  return out;
}

void check_prices_move(const ReturnSeries& data) {
  const std::size_t markets = data.market_count();
  for (std::size_t m = 0; m < markets; ++m) {
    bool moves = false;
    for (std::size_t t = 0; t < data.count() && !moves; ++t) moves = data.log_returns[t * markets + m] != 0.0;
    if (!moves) {
      throw InputError(data.sources[m] + ": the prices of market " + data.markets[m] + " do not move over the " +
                       std::to_string(data.count()) +
                       " returns used (every bar's price equals the one before); a regime model needs prices that "
                       "vary");
    }
  }
}

}  // namespace margin_stress::calibration
