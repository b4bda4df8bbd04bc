// One market's price history read from a CSV file (docs/calibration.md, "Input").
//
// The file has a header row, a time column named `timestamp_utc` (ISO 8601, "2020-03-12T10:45:00Z")
// or `date` ("2020-03-12"), and a price column (`close` unless another is named). Every data row is
// checked: a missing field, a time that does not parse or does not increase, or a price that is not
// a positive finite number is an InputError naming the file, the 1-based line and the column, e.g.
//   "btc.csv: line 17, column close: "abc" is not a number".
// Blank lines carry no data and are skipped; other columns are ignored.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace margin_stress::calibration {

struct PriceSeries {
  std::string source;                      // the file, as given
  std::string market;                      // market name, matched against the config's [[markets]]
  std::vector<std::int64_t> time_seconds;  // bar open time, seconds since the epoch, strictly increasing
  std::vector<double> price_usd;           // positive, finite
};

// Reads `path`. Throws InputError as described above, and when the file cannot be opened, has no
// header, lacks the time or price column, or holds fewer than 2 rows.
PriceSeries read_price_csv(const std::string& path, const std::string& market, const std::string& price_column);

// The market name a file implies: the first '_'-separated token of its file name, upper-cased
// ("data/btc_usdt_1h.csv" gives "BTC").
std::string market_name_from_path(const std::string& path);

// The bar length: the most common spacing between consecutive times (the shortest when tied).
// Gaps (missing bars) do not change it as long as most bars are present. Precondition: at least two
// times.
std::int64_t most_common_spacing(const std::vector<std::int64_t>& time_seconds);

}  // namespace margin_stress::calibration
