// UTC times of price bars as whole seconds since 1970-01-01T00:00:00Z (docs/calibration.md, "Input").
// The calendar arithmetic is Howard Hinnant's date library (date/date.h); this file decides which
// spellings are times, so that a typo is an error and never a silently shifted bar.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace margin_stress::calibration {

struct UtcTime {
  std::int64_t seconds = 0;  // since the epoch, rounded down to the whole second
  bool whole_day = false;    // written as a date alone ("2020-03-12"): 00:00 UTC of that day
};

// An ISO 8601 date or time, one of
//   YYYY-MM-DD
//   YYYY-MM-DDTHH:MM:SS[.fraction][zone]     (a space may replace the T; 1 to 9 fraction digits)
// where zone is Z, +HH:MM, -HH:MM, +HHMM or +HH: the time is converted to UTC by its offset, and a
// time without a zone is UTC. std::nullopt for anything else, including out-of-range fields (month
// 13, 2021-02-29, hour 24, second 60) and instants outside 1970-01-01 to 9999-12-31 (UTC).
std::optional<UtcTime> parse_utc_time(std::string_view text);

enum class EpochUnit { seconds, milliseconds };

// A count of seconds or milliseconds since the epoch written as decimal digits alone ("1584009900",
// "1584009900000"), rounded down to the whole second; std::nullopt for anything else and for
// instants after 9999-12-31T23:59:59Z.
std::optional<std::int64_t> parse_epoch_time(std::string_view text, EpochUnit unit);

// "YYYY-MM-DDTHH:MM:SSZ".
std::string format_utc_time(std::int64_t seconds);

}  // namespace margin_stress::calibration
