#include "host/io/toml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "host/model/input_error.hpp"

namespace margin_stress {

namespace {

// Levenshtein distance, to suggest the intended key for a typo ("ewma_lamda" -> "ewma_lambda").
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string indexed(const std::string& path, std::size_t index) { return path + "[" + std::to_string(index) + "]"; }

}  // namespace

std::string toml_float_text(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text(buffer, result.ptr);
  // TOML reads "60000" as an integer; keep floats floats.
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::string describe_toml_value(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "\"" + std::string(*node.as_string()) + "\"";
    case toml::node_type::integer:
      return std::to_string(node.as_integer()->get());
    case toml::node_type::floating_point:
      return toml_float_text(node.as_floating_point()->get());
    case toml::node_type::boolean:
      return node.as_boolean()->get() ? "true" : "false";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date/time";
  }
}

TomlTableReader::TomlTableReader(const toml::table& table, std::string path, std::string source_name,
                                 const std::vector<std::string_view>& allowed_keys)
    : table_(&table), path_(std::move(path)), source_name_(std::move(source_name)) {
  const toml::key* unknown = nullptr;
  const toml::node* unknown_node = nullptr;
  for (const auto& [key, node] : table) {
    if (std::find(allowed_keys.begin(), allowed_keys.end(), key.str()) != allowed_keys.end()) continue;
    // The table iterates in key order; report the unknown key the user meets first in the file.
    if (unknown_node == nullptr || node.source().begin < unknown_node->source().begin) {
      unknown = &key;
      unknown_node = &node;
    }
  }
  if (unknown == nullptr) return;
  std::string message = "unknown key '" + key_path(unknown->str()) + "'";
  std::string_view closest;
  std::size_t closest_distance = 3;  // suggest only near misses
  for (const std::string_view allowed : allowed_keys) {
    const std::size_t distance = edit_distance(unknown->str(), allowed);
    if (distance < closest_distance) {
      closest = allowed;
      closest_distance = distance;
    }
  }
  if (!closest.empty()) message += " (did you mean '" + key_path(closest) + "'?)";
  fail(*unknown_node, message);
}

bool TomlTableReader::contains(std::string_view key) const { return table_->contains(key); }

std::string TomlTableReader::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void TomlTableReader::fail(const toml::node& node, const std::string& message) const {
  // After layering, a node comes from one of the config's layers (or the built-in default): the
  // message names that file, whose line it is.
  const toml::source_region& source = node.source();
  std::string text = (source.path ? *source.path : source_name_) + ": " + message;
  if (source.begin.line != 0) text += " (line " + std::to_string(source.begin.line) + ")";
  throw InputError(text);
}

void TomlTableReader::fail_type(const toml::node& node, const std::string& path, std::string_view expected) const {
  fail(node, path + ": expected " + std::string(expected) + ", got " + describe_toml_value(node));
}

const toml::node& TomlTableReader::required(std::string_view key) const {
  const toml::node* node = table_->get(key);
  if (node == nullptr) {
    const std::string where = path_.empty() ? "the document" : "the table '" + path_ + "'";
    fail(*table_, "missing key '" + key_path(key) + "' in " + where);
  }
  return *node;
}

double TomlTableReader::element_number(const toml::node& node, const std::string& path) const {
  if (const auto* value = node.as_floating_point()) return value->get();
  if (const auto* value = node.as_integer()) return static_cast<double>(value->get());
  fail_type(node, path, "a number");
}

double TomlTableReader::number(std::string_view key) const { return element_number(required(key), key_path(key)); }

std::int64_t TomlTableReader::integer(std::string_view key) const {
  const toml::node& node = required(key);
  if (const auto* value = node.as_integer()) return value->get();
  fail_type(node, key_path(key), "an integer");
}

int TomlTableReader::int32(std::string_view key) const {
  const std::int64_t value = integer(key);
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    fail(required(key),
         key_path(key) + ": " + std::to_string(value) + " does not fit a 32-bit integer [-2147483648, 2147483647]");
  }
  return static_cast<int>(value);
}

std::uint64_t TomlTableReader::seed(std::string_view key) const {
  const std::int64_t value = integer(key);
  if (value < 0) {
    fail(required(key), key_path(key) + ": " + std::to_string(value) +
                            " is not in [0, 2^63 - 1] (a seed is unsigned; TOML integers are signed 64-bit)");
  }
  return static_cast<std::uint64_t>(value);
}

bool TomlTableReader::boolean(std::string_view key) const {
  const toml::node& node = required(key);
  if (const auto* value = node.as_boolean()) return value->get();
  fail_type(node, key_path(key), "true or false");
}

std::string TomlTableReader::string(std::string_view key) const {
  const toml::node& node = required(key);
  if (const auto* value = node.as_string()) return value->get();
  fail_type(node, key_path(key), "a string");
}

std::size_t TomlTableReader::choice_index(std::string_view key, const std::vector<std::string_view>& names) const {
  const std::string value = string(key);
  const auto found = std::find(names.begin(), names.end(), value);
  if (found != names.end()) return static_cast<std::size_t>(found - names.begin());
  std::string allowed;
  for (const std::string_view name : names) allowed += (allowed.empty() ? "\"" : ", \"") + std::string(name) + "\"";
  fail(required(key), key_path(key) + ": \"" + value + "\" is not one of " + allowed);
}

std::vector<double> TomlTableReader::numbers(std::string_view key) const {
  const toml::node& node = required(key);
  const std::string path = key_path(key);
  const auto* array = node.as_array();
  if (array == nullptr) fail_type(node, path, "an array of numbers");
  std::vector<double> values;
  values.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) values.push_back(element_number((*array)[i], indexed(path, i)));
  return values;
}

void TomlTableReader::require_only(const std::vector<std::string_view>& keys, const std::string& what) const {
  for (auto&& [key, node] : *table_) {
    if (std::find(keys.begin(), keys.end(), key.str()) != keys.end()) continue;
    std::string allowed;
    for (const std::string_view name : keys) allowed += (allowed.empty() ? "" : ", ") + std::string(name);
    fail(node, key_path(key.str()) + ": not a setting of " + what + " (its keys: " + allowed + ")");
  }
}

std::vector<std::string> TomlTableReader::strings(std::string_view key) const {
  const toml::node& node = required(key);
  const std::string path = key_path(key);
  const auto* array = node.as_array();
  if (array == nullptr) fail_type(node, path, "an array of strings");
  std::vector<std::string> values;
  values.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto* value = (*array)[i].as_string();
    if (value == nullptr) fail_type((*array)[i], indexed(path, i), "a string");
    values.push_back(value->get());
  }
  return values;
}

std::vector<double> TomlTableReader::square_matrix(std::string_view key) const {
  const toml::node& node = required(key);
  const std::string path = key_path(key);
  const auto* rows = node.as_array();
  if (rows == nullptr) fail_type(node, path, "an array of arrays (a matrix, one array per row)");
  std::vector<double> values;
  values.reserve(rows->size() * rows->size());
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const toml::node& row_node = (*rows)[i];
    const std::string row_path = path + " row " + std::to_string(i);
    const auto* row = row_node.as_array();
    if (row == nullptr) fail_type(row_node, row_path, "an array (a matrix row)");
    if (row->size() != rows->size()) {
      fail(row_node, row_path + ": " + std::to_string(row->size()) + " entries, expected " +
                         std::to_string(rows->size()) + " (a square matrix: as many entries per row as rows)");
    }
    for (std::size_t j = 0; j < row->size(); ++j) {
      values.push_back(element_number((*row)[j], row_path + ", column " + std::to_string(j)));
    }
  }
  return values;
}

std::vector<std::vector<double>> TomlTableReader::rows(std::string_view key,
                                                       const std::vector<std::string_view>& columns) const {
  const toml::node& node = required(key);
  const std::string path = key_path(key);
  const auto* array = node.as_array();
  if (array == nullptr) fail_type(node, path, "an array of arrays (one array per row)");
  std::string column_names;
  for (const std::string_view column : columns)
    column_names += (column_names.empty() ? "" : ", ") + std::string(column);
  std::vector<std::vector<double>> values;
  values.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& row_node = (*array)[i];
    const std::string row_path = path + " row " + std::to_string(i);
    const auto* row = row_node.as_array();
    if (row == nullptr) fail_type(row_node, row_path, "an array [" + column_names + "]");
    if (row->size() != columns.size()) {
      fail(row_node, row_path + ": " + std::to_string(row->size()) + " entries, expected " +
                         std::to_string(columns.size()) + " (" + column_names + ")");
    }
    std::vector<double> entries;
    for (std::size_t j = 0; j < row->size(); ++j) {
      entries.push_back(element_number((*row)[j], row_path + ", " + std::string(columns[j])));
    }
    values.push_back(std::move(entries));
  }
  return values;
}

TomlTableReader TomlTableReader::table(std::string_view key, const std::vector<std::string_view>& allowed_keys) const {
  const toml::node& node = required(key);
  const auto* table = node.as_table();
  if (table == nullptr) fail_type(node, key_path(key), "a table");
  return TomlTableReader(*table, key_path(key), source_name_, allowed_keys);
}

std::vector<TomlTableReader> TomlTableReader::tables(std::string_view key,
                                                     const std::vector<std::string_view>& allowed_keys) const {
  const toml::node& node = required(key);
  const std::string path = key_path(key);
  const auto* array = node.as_array();
  if (array == nullptr) fail_type(node, path, "an array of tables ([[" + path + "]])");
  std::vector<TomlTableReader> readers;
  readers.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = (*array)[i];
    const auto* table = element.as_table();
    if (table == nullptr) fail_type(element, indexed(path, i), "a table");
    readers.emplace_back(*table, indexed(path, i), source_name_, allowed_keys);
  }
  return readers;
}

}  // namespace margin_stress
