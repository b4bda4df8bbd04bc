#include "scenarios/calibration/utc_time.hpp"

#include <cstdio>

namespace margin_stress::calibration {
namespace {

bool is_leap(std::int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(std::int64_t year, std::int64_t month) {
  constexpr int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t year, std::int64_t month, std::int64_t day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = year / 400;  // years here are >= 1969, never negative
  const std::int64_t year_of_era = year - era * 400;
  const std::int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

// `width` decimal digits at `text[position]`, or -1.
std::int64_t digits(std::string_view text, std::size_t position, std::size_t width) {
  if (position + width > text.size()) return -1;
  std::int64_t value = 0;
  for (std::size_t i = position; i < position + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::optional<std::int64_t> parse_utc_time(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const std::int64_t year = digits(text, 0, 4);
  const std::int64_t month = digits(text, 5, 2);
  const std::int64_t day = digits(text, 8, 2);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return std::nullopt;
  std::int64_t seconds = days_from_civil(year, month, day) * 86400;
  if (text.size() == 10) return seconds;

  const std::string_view rest = text.substr(10);
  const bool zulu = rest.size() == 10 && rest[9] == 'Z';
  const bool offset = rest.size() == 15 && rest.substr(9) == "+00:00";
  if (!(zulu || offset) || rest[0] != 'T' || rest[3] != ':' || rest[6] != ':') return std::nullopt;
  const std::int64_t hour = digits(rest, 1, 2);
  const std::int64_t minute = digits(rest, 4, 2);
  const std::int64_t second = digits(rest, 7, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return std::nullopt;
  seconds += hour * 3600 + minute * 60 + second;
  return seconds;
}

std::string format_utc_time(std::int64_t seconds) {
  // civil_from_days (Howard Hinnant), for seconds >= 0.
  const std::int64_t days = seconds / 86400;
  const std::int64_t in_day = seconds % 86400;
  const std::int64_t shifted = days + 719468;
  const std::int64_t era = shifted / 146097;
  const std::int64_t day_of_era = shifted - era * 146097;
  const std::int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_index = (5 * day_of_year + 2) / 153;
  const std::int64_t day = day_of_year - (153 * month_index + 2) / 5 + 1;
  const std::int64_t month = month_index < 10 ? month_index + 3 : month_index - 9;
  const std::int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  char text[128];  // sized for any int64 fields, so the compiler can prove no truncation
  std::snprintf(text, sizeof text, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", static_cast<long long>(year),
                static_cast<long long>(month), static_cast<long long>(day), static_cast<long long>(in_day / 3600),
                static_cast<long long>(in_day % 3600 / 60), static_cast<long long>(in_day % 60));
  return text;
}

}  // namespace margin_stress::calibration
