// One market's price history read from a CSV file (docs/calibration.md, "Input").
//
// The file has a header row, a time column and a price column; other columns (open, high, low,
// volume, ...) are ignored. Fields may be quoted (scenarios/calibration/csv_fields.hpp); column
// names are matched without regard to case. The time column is the one PriceFileFormat names, or
// else the one column named timestamp_utc, date, timestamp, datetime, time or open_time (each also
// with _s or _ms), or else a first column with an empty name (pandas' unnamed index). It holds
//   - ISO 8601 dates or times (scenarios/calibration/utc_time.hpp): a column named `date` holds
//     dates, one named `timestamp_utc` times, any other the one or the other throughout; or
//   - seconds or milliseconds since the epoch (digits alone), in the unit PriceFileFormat gives or,
//     when it gives none, the column name's suffix says (_s, _ms).
// Every data row is checked: a wrong field count, a time that does not parse or does not increase,
// or a price that is not a positive finite number is an InputError naming the file, the 1-based
// line and the column, e.g.
//   "btc.csv: line 17, column close: "abc" is not a number".
// Blank lines carry no data and are skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/calibration/utc_time.hpp"

namespace margin_stress::calibration {

struct PriceSeries {
  std::string source;                      // the file, as given
  std::string market;                      // market name, matched against the config's [[markets]]
  std::vector<std::int64_t> time_seconds;  // bar open time, seconds since the epoch, strictly increasing
  std::vector<double> price_usd;           // positive, finite
};

// Which columns of a price file hold what (the command-line options --column, --time-column and
// --epoch-unit; a replay sets the price column alone).
struct PriceFileFormat {
  std::string price_column = "close";
  std::string time_column;              // empty: found by name, as above
  std::optional<EpochUnit> epoch_unit;  // empty: from the time column's name (_s, _ms)
};

// Reads `path`. Throws InputError as described above, and when the file cannot be opened, has no
// header, lacks the time or price column, or holds fewer than 2 rows.
PriceSeries read_price_csv(const std::string& path, const std::string& market, const PriceFileFormat& format);

// Whether the header of `path` has a column named `name` (any case). Throws InputError as
// read_price_csv does when the file cannot be opened or has no header, or two columns bear the name.
bool price_file_has_column(const std::string& path, const std::string& name);

// The market name a file implies: the first '_'-separated token of its file name, upper-cased
// ("data/btc_usdt_1h.csv" gives "BTC").
std::string market_name_from_path(const std::string& path);

// The bar length: the most common spacing between consecutive times (the shortest when tied).
// Gaps (missing bars) do not change it as long as most bars are present. Precondition: at least two
// times.
std::int64_t most_common_spacing(const std::vector<std::int64_t>& time_seconds);

}  // namespace margin_stress::calibration
