// libFuzzer target: a price CSV file (docs/calibration.md, "Input") as the calibrate and backtest
// commands and replays read it. Documented failures are InputError (read_price_csv and what
// follows it); anything else escaping, a crash, a hang, a leak or undefined behaviour is a finding.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "host/model/input_error.hpp"
#include "scenarios/calibration/price_series.hpp"
#include "scenarios/calibration/return_series.hpp"
#include "scenarios/calibration/utc_time.hpp"
#include "scenarios/replay.hpp"
#include "tests/fuzz/fuzz_input_file.hpp"

namespace {

// Steps a replay resamples here at most; a run's own step count is range-checked by validate_config.
constexpr std::int64_t max_replay_steps = 1000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace margin_stress;
  using namespace margin_stress::calibration;
  static fuzz::FuzzInputFile file("btc_usdt_1h.csv");
  const std::string& path = file.write(data, size);
  try {
    const PriceSeries series = read_price_csv(path, "BTC", PriceFileFormat{});
    // What a replay does with it (scenarios/replay.cpp): its bars (intrabar points where the file
    // has OHLC columns), the bar length, then the points resampled from the first bar's close on,
    // in steps of a quarter bar.
    const std::vector<ReplayBar> bars = read_replay_bars({"BTC", path, "ohlc", "", true});
    const std::int64_t bar_seconds = most_common_spacing(series.time_seconds);
    const std::int64_t start = series.time_seconds.front() + bar_seconds;
    const std::int64_t steps =
        std::min(max_replay_steps, 4 * ((series.time_seconds.back() - series.time_seconds.front()) / bar_seconds));
    resample_bars(bars, bar_seconds, start, static_cast<double>(bar_seconds) / 4.0, steps, path);
    format_utc_time(series.time_seconds.back());
    // And what calibrate does with it.
    const ReturnSeries returns = aligned_log_returns({series});
    check_prices_move(returns);
  } catch (const InputError&) {
  }
  return 0;
}
