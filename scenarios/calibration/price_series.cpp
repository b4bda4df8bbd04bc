#include "scenarios/calibration/price_series.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <string_view>

#include "host/model/input_error.hpp"
#include "host/model/input_file.hpp"
#include "scenarios/calibration/csv_fields.hpp"

namespace margin_stress::calibration {
namespace {

// The names a time column is found by without PriceFileFormat::time_column, each also with _s or
// _ms: the shared data's timestamp_utc and date, pandas' and spreadsheets' usual names, Binance's
// kline field.
constexpr std::string_view time_column_names[] = {"timestamp_utc", "date", "timestamp",
                                                  "datetime",      "time", "open_time"};

// How the rows of a time column spell their times: the names timestamp_utc and date promise one
// spelling; any other column may use either, the same in every row.
enum class TimeSpelling { time_of_day, whole_day, either };

struct TimeColumn {
  std::size_t index = 0;
  std::string name;  // as the header writes it
  TimeSpelling spelling = TimeSpelling::either;
  std::optional<EpochUnit> epoch_unit;
};

std::string lower_case(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lowered;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// The epoch unit a column name states by its suffix (open_time_ms, timestamp_s).
std::optional<EpochUnit> unit_of_name(std::string_view lowered) {
  if (ends_with(lowered, "_ms")) return EpochUnit::milliseconds;
  if (ends_with(lowered, "_s")) return EpochUnit::seconds;
  return std::nullopt;
}

bool is_time_column_name(std::string_view lowered) {
  if (ends_with(lowered, "_ms")) lowered.remove_suffix(3);
  if (ends_with(lowered, "_s")) lowered.remove_suffix(2);
  return std::find(std::begin(time_column_names), std::end(time_column_names), lowered) != std::end(time_column_names);
}

std::string where(const std::string& path, std::size_t line, std::string_view column) {
  return path + ": line " + std::to_string(line) + ", column " + std::string(column) + ": ";
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "'" : ", '") + name + "'";
  return text;
}

// The index of the header column named `wanted` (any case), or header.size() if there is none.
std::size_t column_named(const std::vector<std::string>& header, const std::string& wanted, const std::string& path) {
  std::vector<std::size_t> matches;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (lower_case(header[i]) == lower_case(wanted)) matches.push_back(i);
  }
  if (matches.size() > 1) {
    throw InputError(path + ": line 1: two columns are named '" + wanted + "' (" + header[matches[0]] + " and " +
                     header[matches[1]] + ")");
  }
  return matches.empty() ? header.size() : matches.front();
}

TimeColumn find_time_column(const std::vector<std::string>& header, const PriceFileFormat& format,
                            const std::string& path) {
  TimeColumn column;
  if (!format.time_column.empty()) {
    column.index = column_named(header, format.time_column, path);
    if (column.index == header.size()) {
      throw InputError(path + ": line 1: no time column named '" + format.time_column + "' (the header has " +
                       quoted_list(header) + ")");
    }
  } else {
    std::vector<std::size_t> candidates;
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (is_time_column_name(lower_case(header[i]))) candidates.push_back(i);
    }
    if (candidates.empty() && !header.empty() && header.front().empty()) candidates.push_back(0);
    if (candidates.empty()) {
      throw InputError(path +
                       ": line 1: no time column; expected a column named timestamp_utc or date (or timestamp, "
                       "datetime, time, open_time, each also with _s or _ms for epoch times), or name it with "
                       "--time-column");
    }
    if (candidates.size() > 1) {
      throw InputError(path + ": line 1: two time columns (" + header[candidates[0]] + " and " + header[candidates[1]] +
                       "); name the one to use with --time-column");
    }
    column.index = candidates.front();
  }
  column.name = header[column.index].empty() ? "1 (unnamed)" : header[column.index];
  const std::string lowered = lower_case(header[column.index]);
  column.spelling = lowered == "date"            ? TimeSpelling::whole_day
                    : lowered == "timestamp_utc" ? TimeSpelling::time_of_day
                                                 : TimeSpelling::either;
  column.epoch_unit = format.epoch_unit ? format.epoch_unit : unit_of_name(lowered);
  return column;
}

// A number in the C locale's spelling, the whole field consumed (from_chars ignores the locale, so a
// user locale with decimal commas cannot change what a file means).
bool parse_number(std::string_view text, double& value) {
  if (text.empty()) return false;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

bool digits_only(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Reads the times of one column row by row, holding a column of either spelling to the first row's.
class TimeReader {
 public:
  TimeReader(const std::string& path, TimeColumn column) : path_(path), column_(std::move(column)) {}

  std::int64_t read(std::string_view text, std::size_t line) {
    const std::string at = where(path_, line, column_.name) + "\"" + std::string(text) + "\" ";
    if (digits_only(text)) {
      if (!column_.epoch_unit) {
        throw InputError(at +
                         "is a number: if it counts seconds or milliseconds since 1970, say which with "
                         "--epoch-unit s or ms, or by the column's name (" +
                         column_.name + "_s, " + column_.name + "_ms)");
      }
      const std::optional<std::int64_t> seconds = parse_epoch_time(text, *column_.epoch_unit);
      if (!seconds) {
        throw InputError(at + "is after 9999-12-31 as " +
                         (*column_.epoch_unit == EpochUnit::seconds ? "seconds" : "milliseconds") + " since 1970");
      }
      return *seconds;
    }
    const std::optional<UtcTime> time = parse_utc_time(text);
    if (!time) throw InputError(at + "is not " + expected());
    const TimeSpelling spelling = time->whole_day ? TimeSpelling::whole_day : TimeSpelling::time_of_day;
    if (column_.spelling == TimeSpelling::either) {
      column_.spelling = spelling;  // the first row sets the spelling of the rest
      first_line_ = line;
    } else if (spelling != column_.spelling) {
      if (first_line_ == 0) throw InputError(at + "is not " + expected());
      throw InputError(at + "is " + (time->whole_day ? "a date" : "a time of day") + ", and line " +
                       std::to_string(first_line_) + " has " + (time->whole_day ? "a time of day" : "a date") +
                       " (the column holds one or the other)");
    }
    return time->seconds;
  }

 private:
  std::string expected() const {
    switch (column_.spelling) {
      case TimeSpelling::whole_day:
        return "a UTC date YYYY-MM-DD";
      case TimeSpelling::time_of_day:
        return "an ISO 8601 time like 2020-03-12T10:45:00Z or 2020-03-12 10:45:00.5+00:00";
      case TimeSpelling::either:
        break;
    }
    return "an ISO 8601 date or time (2020-03-12, 2020-03-12T10:45:00Z, 2020-03-12 10:45:00.5+00:00) or a count "
           "of seconds or milliseconds since 1970";
  }

  const std::string& path_;
  TimeColumn column_;
  std::size_t first_line_ = 0;  // the line that fixed the spelling of an `either` column
};

std::vector<std::string> fields_of(const std::string& line, std::size_t line_number, const std::string& path) {
  CsvFields split = split_csv_line(line);
  if (!split.error.empty()) throw InputError(path + ": line " + std::to_string(line_number) + ": " + split.error);
  return std::move(split.fields);
}

// Opens `path` and reads its header row, leaving `in` at the first data row.
std::vector<std::string> open_price_file(const std::string& path, std::ifstream& in) {
  check_file_size(path, max_price_file_bytes, "price file");
  in.open(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the price file");
  std::string line;
  if (!std::getline(in, line)) throw InputError(path + ": empty file, expected a header row");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // the byte-order mark spreadsheets write
  return fields_of(line, 1, path);
}

}  // namespace

std::string market_name_from_path(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  name = name.substr(0, std::min(name.find('_'), name.find('.')));
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

bool price_file_has_column(const std::string& path, const std::string& name) {
  std::ifstream in;
  const std::vector<std::string> header = open_price_file(path, in);
  return column_named(header, name, path) != header.size();
}

PriceSeries read_price_csv(const std::string& path, const std::string& market, const PriceFileFormat& format) {
  std::ifstream in;
  const std::vector<std::string> header = open_price_file(path, in);
  std::string line;
  std::size_t line_number = 1;
  const TimeColumn time_column = find_time_column(header, format, path);
  const std::size_t price_index = column_named(header, format.price_column, path);
  if (price_index == header.size()) {
    throw InputError(path + ": line 1: no price column named '" + format.price_column +
                     "' (choose one with --column; the header has " + quoted_list(header) + ")");
  }
  const std::string& price_name = header[price_index];
  TimeReader times(path, time_column);

  PriceSeries series;
  series.source = path;
  series.market = market;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::vector<std::string> fields = fields_of(line, line_number, path);
    if (fields.size() != header.size()) {
      throw InputError(path + ": line " + std::to_string(line_number) + ": " + std::to_string(fields.size()) +
                       " fields, the header has " + std::to_string(header.size()));
    }
    const std::string& time_text = fields[time_column.index];
    const std::int64_t time = times.read(time_text, line_number);
    if (!series.time_seconds.empty() && time <= series.time_seconds.back()) {
      // Other spellings than the canonical one are shown in both, so that an offset's effect is visible.
      const std::string shown =
          time_text == format_utc_time(time) ? time_text : time_text + " (" + format_utc_time(time) + ")";
      throw InputError(where(path, line_number, time_column.name) + shown + " does not come after the previous row's " +
                       format_utc_time(series.time_seconds.back()) + " (times must strictly increase)");
    }
    const std::string& price_text = fields[price_index];
    double price = 0.0;
    if (!parse_number(price_text, price)) {
      throw InputError(where(path, line_number, price_name) + "\"" + price_text + "\" is not a number");
    }
    if (!std::isfinite(price) || price <= 0.0) {
      throw InputError(where(path, line_number, price_name) + price_text + " is not a positive finite price");
    }
    series.time_seconds.push_back(time);
    series.price_usd.push_back(price);
  }
  if (series.time_seconds.size() < 2) {
    throw InputError(path + ": " + std::to_string(series.time_seconds.size()) + " data rows, at least 2 are needed");
  }
  return series;
}

std::int64_t most_common_spacing(const std::vector<std::int64_t>& time_seconds) {
  std::map<std::int64_t, std::size_t> counts;
  for (std::size_t i = 1; i < time_seconds.size(); ++i) ++counts[time_seconds[i] - time_seconds[i - 1]];
  std::int64_t best = 0;
  std::size_t best_count = 0;
  for (const auto& [spacing, count] : counts) {  // ascending spacing: ties keep the shortest
    if (count > best_count) {
      best = spacing;
      best_count = count;
    }
  }
  return best;
}

}  // namespace margin_stress::calibration
