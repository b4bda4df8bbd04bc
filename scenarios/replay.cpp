#include "scenarios/replay.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "host/model/input_error.hpp"
#include "scenarios/calibration/price_series.hpp"
#include "scenarios/calibration/utc_time.hpp"

namespace margin_stress {

std::vector<double> resample_closes(const std::vector<std::int64_t>& times, const std::vector<double>& closes,
                                    std::int64_t bar_seconds, std::int64_t start, double step_seconds,
                                    std::int64_t steps, const std::string& source) {
  std::vector<double> prices(static_cast<std::size_t>(steps + 1));
  const std::int64_t end = start + std::llround(static_cast<double>(steps) * step_seconds);
  if (times.back() + bar_seconds < end) {
    throw InputError(source + ": the bars end at " + calibration::format_utc_time(times.back() + bar_seconds) +
                     ", and the run needs prices up to " + calibration::format_utc_time(end) +
                     " (run.steps x run.step_seconds after start_utc)");
  }
  for (std::int64_t t = 0; t <= steps; ++t) {
    const std::int64_t when = start + std::llround(static_cast<double>(t) * step_seconds);
    // Bars closed by `when` open at or before when - bar_seconds; take the last of them.
    const auto after = std::upper_bound(times.begin(), times.end(), when - bar_seconds);
    if (after == times.begin()) {
      throw InputError(source + ": no bar has closed by " + calibration::format_utc_time(when) +
                       " (the first bar opens at " + calibration::format_utc_time(times.front()) + " and lasts " +
                       std::to_string(bar_seconds) + " s)");
    }
    prices[static_cast<std::size_t>(t)] = closes[static_cast<std::size_t>(after - times.begin() - 1)];
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
    const calibration::PriceSeries series =
        calibration::read_price_csv(replay.file, replay.market, {replay.column, "", std::nullopt});
    const std::int64_t bar_seconds = calibration::most_common_spacing(series.time_seconds);
    const std::vector<double> prices =
        resample_closes(series.time_seconds, series.price_usd, bar_seconds, start->seconds, config.run.step_seconds,
                        paths.steps, replay.file);
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
