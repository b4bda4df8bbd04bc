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
#include "scenarios/calibration/utc_time.hpp"

namespace margin_stress::calibration {
namespace {

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) return fields;
    start = comma + 1;
  }
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::string where(const std::string& path, std::size_t line, std::string_view column) {
  return path + ": line " + std::to_string(line) + ", column " + std::string(column) + ": ";
}

// A number in the C locale's spelling, the whole field consumed (from_chars ignores the locale, so a
// user locale with decimal commas cannot change what a file means).
bool parse_number(std::string_view text, double& value) {
  if (text.empty()) return false;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

}  // namespace

std::string market_name_from_path(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  name = name.substr(0, std::min(name.find('_'), name.find('.')));
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

PriceSeries read_price_csv(const std::string& path, const std::string& market, const std::string& price_column) {
  check_file_size(path, max_price_file_bytes, "price file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the price file");
  std::string line;
  std::size_t line_number = 1;
  if (!std::getline(in, line)) throw InputError(path + ": empty file, expected a header row");
  if (!line.empty() && line.back() == '\r') line.pop_back();

  const std::vector<std::string_view> header = split_fields(line);
  std::size_t time_index = header.size();
  std::size_t price_index = header.size();
  bool daily = false;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string_view name = trim(header[i]);
    if (name == "timestamp_utc" || name == "date") {
      if (time_index != header.size()) throw InputError(path + ": line 1: two time columns (timestamp_utc and date)");
      time_index = i;
      daily = name == "date";
    }
    if (name == price_column) price_index = i;
  }
  if (time_index == header.size()) {
    throw InputError(path + ": line 1: no time column; expected a column named timestamp_utc or date");
  }
  if (price_index == header.size()) {
    throw InputError(path + ": line 1: no price column named '" + price_column + "' (choose one with --column)");
  }
  const std::string time_name = daily ? "date" : "timestamp_utc";

  PriceSeries series;
  series.source = path;
  series.market = market;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    const std::vector<std::string_view> fields = split_fields(line);
    if (fields.size() != header.size()) {
      throw InputError(path + ": line " + std::to_string(line_number) + ": " + std::to_string(fields.size()) +
                       " fields, the header has " + std::to_string(header.size()));
    }
    const std::string_view time_text = trim(fields[time_index]);
    const std::optional<std::int64_t> time = parse_utc_time(time_text);
    if (!time || (daily && time_text.size() != 10) || (!daily && time_text.size() == 10)) {
      throw InputError(where(path, line_number, time_name) + "\"" + std::string(time_text) + "\" is not a UTC " +
                       (daily ? "date YYYY-MM-DD" : "time YYYY-MM-DDTHH:MM:SSZ"));
    }
    if (!series.time_seconds.empty() && *time <= series.time_seconds.back()) {
      throw InputError(where(path, line_number, time_name) + std::string(time_text) +
                       " does not come after the previous row's " + format_utc_time(series.time_seconds.back()) +
                       " (times must strictly increase)");
    }
    const std::string_view price_text = trim(fields[price_index]);
    double price = 0.0;
    if (!parse_number(price_text, price)) {
      throw InputError(where(path, line_number, price_column) + "\"" + std::string(price_text) + "\" is not a number");
    }
    if (!std::isfinite(price) || price <= 0.0) {
      throw InputError(where(path, line_number, price_column) + std::string(price_text) +
                       " is not a positive finite price");
    }
    series.time_seconds.push_back(*time);
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
