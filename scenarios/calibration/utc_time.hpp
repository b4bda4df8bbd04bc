// UTC times of price bars as whole seconds since 1970-01-01T00:00:00Z (docs/calibration.md, "Input").
// Only the two spellings the price files use are accepted, so that a typo is an error and never a
// silently shifted bar.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace margin_stress::calibration {

// Seconds since the epoch of "YYYY-MM-DD" (00:00 UTC of that day) or "YYYY-MM-DDTHH:MM:SSZ"
// ("+00:00" may replace the "Z"); std::nullopt for anything else, including out-of-range fields
// (month 13, 2021-02-29, hour 24) and years outside 1970..9999.
std::optional<std::int64_t> parse_utc_time(std::string_view text);

// "YYYY-MM-DDTHH:MM:SSZ".
std::string format_utc_time(std::int64_t seconds);

}  // namespace margin_stress::calibration
