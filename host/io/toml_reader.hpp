// Checked, typed reads from one table of a TOML config file (used by host/io/config_file.cpp).
// Every failure throws InputError "<file>: <problem naming the key path and value> (line N)",
// with the line taken from toml++'s source region of the offending node.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace margin_stress {

class TomlTableReader {
 public:
  // `path` is the table's key path as the user would write it ("" for the document root,
  // "margin_policy", "markets[1]"). Throws if `table` holds a key not in `allowed_keys` (the one
  // earliest in the file), suggesting the allowed key it most resembles.
  TomlTableReader(const toml::table& table, std::string path, std::string source_name,
                  const std::vector<std::string_view>& allowed_keys);

  bool contains(std::string_view key) const;
  // Throws, naming the key and `what` ("a shock of kind \"gap\""), if the table holds a key that
  // is not in `keys`: a narrower check than the constructor's, for tables whose keys depend on a value.
  void require_only(const std::vector<std::string_view>& keys, const std::string& what) const;

  // Required values. number() accepts integers too.
  double number(std::string_view key) const;
  std::int64_t integer(std::string_view key) const;
  int int32(std::string_view key) const;           // an integer that fits a 32-bit int
  std::uint64_t seed(std::string_view key) const;  // an integer in [0, 2^63 - 1]
  bool boolean(std::string_view key) const;
  std::string string(std::string_view key) const;
  // Index into `names` of the string stored at `key`; throws listing `names` if it is none of them.
  std::size_t choice_index(std::string_view key, const std::vector<std::string_view>& names) const;

  // An array of numbers.
  std::vector<double> numbers(std::string_view key) const;
  // An array of strings.
  std::vector<std::string> strings(std::string_view key) const;
  // An array of n arrays of n numbers each, flattened row-major (n = 0 allowed).
  std::vector<double> square_matrix(std::string_view key) const;
  // An array of rows, each an array of one number per entry of `columns` (the column names, for
  // messages: "markets[0].margin_tiers row 2: 2 entries, expected 3 (cap, rate, leverage)").
  std::vector<std::vector<double>> rows(std::string_view key, const std::vector<std::string_view>& columns) const;

  TomlTableReader table(std::string_view key, const std::vector<std::string_view>& allowed_keys) const;
  // An array of tables ([[key]] in TOML), one reader per element, in order.
  std::vector<TomlTableReader> tables(std::string_view key, const std::vector<std::string_view>& allowed_keys) const;

 private:
  const toml::node& required(std::string_view key) const;
  std::string key_path(std::string_view key) const;
  double element_number(const toml::node& node, const std::string& path) const;
  [[noreturn]] void fail(const toml::node& node, const std::string& message) const;
  [[noreturn]] void fail_type(const toml::node& node, const std::string& path, std::string_view expected) const;

  const toml::table* table_;
  std::string path_;
  std::string source_name_;
};

// A TOML value for an error message: numbers and strings as written, "an array", "a table", ...
std::string describe_toml_value(const toml::node& node);

// The shortest decimal text that reads back as exactly `value` (std::to_chars), as a TOML float:
// "0.55", "60000.0", "2e+09", "inf", "nan".
std::string toml_float_text(double value);

}  // namespace margin_stress
