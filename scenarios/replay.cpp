#include "scenarios/replay.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "host/model/input_error.hpp"
#include "host/model/text_format.hpp"
#include "scenarios/calibration/price_series.hpp"
#include "scenarios/calibration/utc_time.hpp"

namespace margin_stress {
namespace {

constexpr const char* ohlc_columns[] = {"open", "high", "low", "close"};

// The bars of a file replayed as OHLC: every bar's points in the order it implies. Throws
// InputError naming the file, the column and the bar when a high or low does not bound the bar.
std::vector<ReplayBar> read_ohlc_bars(const ReplaySeries& replay) {
  std::vector<calibration::PriceSeries> columns;
  for (const char* column : ohlc_columns) {
    columns.push_back(calibration::read_price_csv(replay.file, replay.market, {column, "", std::nullopt}));
  }
  const std::vector<double>& open = columns[0].price_usd;
  const std::vector<double>& high = columns[1].price_usd;
  const std::vector<double>& low = columns[2].price_usd;
  const std::vector<double>& close = columns[3].price_usd;
  std::vector<ReplayBar> bars(open.size());
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const std::int64_t time = columns[0].time_seconds[i];
    auto refuse = [&](const std::string& what) {
      throw InputError(replay.file + ": data row " + std::to_string(i + 1) + " (bar " +
                       calibration::format_utc_time(time) + "): " + what);
    };
    if (high[i] < std::max({open[i], low[i], close[i]})) {
      refuse("column high: " + printf_string("%.17g", high[i]) + " is below the bar's open, low or close");
    }
    if (low[i] > std::min(open[i], close[i])) {
      refuse("column low: " + printf_string("%.17g", low[i]) + " is above the bar's open or close");
    }
    bars[i] = {time, intrabar_points(open[i], high[i], low[i], close[i])};
  }
  return bars;
}

// The bars of a file replayed by one column: one point a bar, reached when the bar closes.
std::vector<ReplayBar> read_column_bars(const ReplaySeries& replay, const std::string& column) {
  const calibration::PriceSeries series =
      calibration::read_price_csv(replay.file, replay.market, {column, "", std::nullopt});
  std::vector<ReplayBar> bars(series.time_seconds.size());
  for (std::size_t i = 0; i < bars.size(); ++i) bars[i] = {series.time_seconds[i], {series.price_usd[i]}};
  return bars;
}

}  // namespace

std::vector<double> intrabar_points(double open, double high, double low, double close) {
  const double order[] = {open, close > open ? low : high, close > open ? high : low, close};
  std::vector<double> points;
  for (const double price : order) {
    if (points.empty() || price != points.back()) points.push_back(price);
  }
  return points;
}

std::vector<ReplayBar> read_replay_bars(const ReplaySeries& replay) {
  if (replay.column != "ohlc") return read_column_bars(replay, replay.column);
  for (const char* column : ohlc_columns) {
    if (!calibration::price_file_has_column(replay.file, column)) return read_column_bars(replay, "close");
  }
  return read_ohlc_bars(replay);
}

std::vector<double> resample_bars(const std::vector<ReplayBar>& bars, std::int64_t bar_seconds, std::int64_t start,
                                  double step_seconds, std::int64_t steps, const std::string& source) {
  std::vector<double> prices(static_cast<std::size_t>(steps + 1));
  const std::int64_t end = start + std::llround(static_cast<double>(steps) * step_seconds);
  if (bars.back().open_seconds + bar_seconds < end) {
    throw InputError(source + ": the bars end at " +
                     calibration::format_utc_time(bars.back().open_seconds + bar_seconds) +
                     ", and the run needs prices up to " + calibration::format_utc_time(end) +
                     " (run.steps x run.step_seconds after start_utc)");
  }
  for (std::int64_t t = 0; t <= steps; ++t) {
    const std::int64_t when = start + std::llround(static_cast<double>(t) * step_seconds);
    // Bars opening at or after `when` have reached nothing; walk back from the last one opened
    // before it to the first that has reached a point (a bar opened b or more before has closed).
    auto bar = std::lower_bound(bars.begin(), bars.end(), when,
                                [](const ReplayBar& b, std::int64_t time) { return b.open_seconds < time; });
    std::int64_t reached = 0;
    while (bar != bars.begin() && reached == 0) {
      --bar;
      // Point j is reached at open + (j + 1) * b / k: exactly when k * (when - open) >= (j + 1) * b.
      const auto k = static_cast<std::int64_t>(bar->points.size());
      reached = std::min(k, k * (when - bar->open_seconds) / bar_seconds);
    }
    if (reached == 0) {
      throw InputError(source + ": no bar has closed by " + calibration::format_utc_time(when) +
                       " (the first bar opens at " + calibration::format_utc_time(bars.front().open_seconds) +
                       " and lasts " + std::to_string(bar_seconds) + " s)");
    }
    prices[static_cast<std::size_t>(t)] = bar->points[static_cast<std::size_t>(reached - 1)];
  }
  return prices;
}

void apply_replays(const ModelConfig& config, ScenarioPaths& paths) {
  for (std::size_t i = 0; i < config.scenario.replays.size(); ++i) {
    const ReplaySeries& replay = config.scenario.replays[i];
    const std::string field = "scenario.replays[" + std::to_string(i) + "]";
    const auto start = calibration::parse_utc_time(replay.start_utc);
    if (!start) {
      throw InputError(config.source_name + ": " + field + ".start_utc: \"" + replay.start_utc +
                       "\" is not an ISO 8601 time like 2020-03-12T00:00:00Z");
    }
    // A replay names its price column alone: the time column and an epoch unit are found by name.
    const std::vector<ReplayBar> bars = read_replay_bars(replay);
    std::vector<std::int64_t> open_times(bars.size());
    for (std::size_t b = 0; b < bars.size(); ++b) open_times[b] = bars[b].open_seconds;
    const std::int64_t bar_seconds = calibration::most_common_spacing(open_times);
    const std::vector<double> prices =
        resample_bars(bars, bar_seconds, start->seconds, config.run.step_seconds, paths.steps, replay.file);
    std::size_t market = 0;
    while (config.markets[market].name != replay.market) ++market;
    const double initial = config.markets[market].initial_price_usd;
    if (!replay.rebase && std::fabs(prices[0] - initial) > 1e-9 * initial) {
      throw InputError(config.source_name + ": " + field + ": the file's price at start_utc is " +
                       std::to_string(prices[0]) + ", and markets[" + std::to_string(market) +
                       "].initial_price_usd is " + std::to_string(initial) +
                       "; set one to the other, or rebase = true to replay the file's returns from initial_price_usd");
    }
    for (std::int64_t s = 0; s < paths.scenarios; ++s) {
      for (std::int64_t t = 0; t <= paths.steps; ++t) {
        const double price = prices[static_cast<std::size_t>(t)];
        paths.fundamental_price_usd[paths.price_index(s, t, static_cast<std::int64_t>(market))] =
            replay.rebase ? initial * (price / prices[0]) : price;
      }
    }
  }
}

}  // namespace margin_stress
