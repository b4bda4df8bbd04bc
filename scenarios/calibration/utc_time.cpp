#include "scenarios/calibration/utc_time.hpp"

#include <date/date.h>

#include <charconv>
#include <chrono>
#include <sstream>

namespace margin_stress::calibration {
namespace {

using std::chrono::seconds;

// 9999-12-31T23:59:59Z: the last instant a four-digit year can spell.
constexpr std::int64_t last_second = 253402300799;

// Whether `text` has the shape of `pattern`, where '9' stands for any decimal digit and every other
// character for itself. The date library accepts one-digit months and signed years; these checks
// keep the spellings to the documented ones.
bool has_shape(std::string_view text, std::string_view pattern) {
  if (text.size() != pattern.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (pattern[i] == '9' ? !digit : text[i] != pattern[i]) return false;
  }
  return true;
}

std::size_t leading_digits(std::string_view text) {
  std::size_t count = 0;
  while (count < text.size() && text[count] >= '0' && text[count] <= '9') ++count;
  return count;
}

// Parses all of `text` by `format` into a UTC instant (the library applies a %z offset), or
// std::nullopt if a field is out of range or characters are left over.
std::optional<std::int64_t> parse_whole(const std::string& text, const char* format) {
  std::istringstream in(text);
  date::sys_seconds instant;
  in >> date::parse(format, instant);
  if (in.fail() || in.peek() != std::istringstream::traits_type::eof()) return std::nullopt;
  const std::int64_t count = instant.time_since_epoch().count();
  if (count < 0 || count > last_second) return std::nullopt;
  return count;
}

}  // namespace

std::optional<UtcTime> parse_utc_time(std::string_view text) {
  if (text.size() < 10 || !has_shape(text.substr(0, 10), "9999-99-99")) return std::nullopt;
  if (text.size() == 10) {
    const auto day = parse_whole(std::string(text), "%Y-%m-%d");
    if (!day) return std::nullopt;
    return UtcTime{*day, true};
  }
  if (text.size() < 19 || (text[10] != 'T' && text[10] != ' ') || !has_shape(text.substr(11, 8), "99:99:99")) {
    return std::nullopt;
  }
  std::string_view zone = text.substr(19);
  if (!zone.empty() && zone.front() == '.') {
    // Times are kept to the whole second, rounded down: the fraction (non-negative, whatever the
    // offset) is checked and dropped, which rounds down exactly.
    const std::size_t fraction_digits = leading_digits(zone.substr(1));
    if (fraction_digits < 1 || fraction_digits > 9) return std::nullopt;
    zone.remove_prefix(1 + fraction_digits);
  }
  // The library parses "+01:00" by %Ez and "+0100" or "+01" by %z.
  const char* format = "%Y-%m-%dT%H:%M:%S";
  if (has_shape(zone, "+99:99") || has_shape(zone, "-99:99")) {
    format = "%Y-%m-%dT%H:%M:%S%Ez";
  } else if (has_shape(zone, "+9999") || has_shape(zone, "-9999") || has_shape(zone, "+99") || has_shape(zone, "-99")) {
    format = "%Y-%m-%dT%H:%M:%S%z";
  } else if (!zone.empty() && zone != "Z") {
    return std::nullopt;
  }
  if (zone.size() >= 3) {
    // The library takes any two-digit offset; real ones stay within 14 hours (-12:00 to +14:00).
    const int hours = (zone[1] - '0') * 10 + (zone[2] - '0');
    const std::string_view minutes = zone.substr(zone.size() == 6 ? 4 : 3);
    if (hours > 14 || (!minutes.empty() && minutes.front() > '5')) return std::nullopt;
  }
  std::string normalised = std::string(text.substr(0, 10)) + "T" + std::string(text.substr(11, 8));
  if (zone != "Z") normalised += zone;
  const auto instant = parse_whole(normalised, format);
  if (!instant) return std::nullopt;
  return UtcTime{*instant, false};
}

std::optional<std::int64_t> parse_epoch_time(std::string_view text, EpochUnit unit) {
  if (text.empty() || leading_digits(text) != text.size()) return std::nullopt;
  std::uint64_t count = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), count);
  if (result.ec != std::errc()) return std::nullopt;  // beyond 64 bits
  const std::uint64_t whole_seconds = unit == EpochUnit::milliseconds ? count / 1000 : count;
  if (whole_seconds > static_cast<std::uint64_t>(last_second)) return std::nullopt;
  return static_cast<std::int64_t>(whole_seconds);
}

std::string format_utc_time(std::int64_t seconds_since_epoch) {
  return date::format("%Y-%m-%dT%H:%M:%SZ", date::sys_seconds(seconds(seconds_since_epoch)));
}

}  // namespace margin_stress::calibration
