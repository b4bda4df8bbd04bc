// docs/config.md, the reference of every configuration key, against the declarations it documents
// (host/model/config_schema.hpp): the same keys in the same tables, with their types and units, and
// the built-in default's values (scenarios/presets/default.toml) where it lists them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "host/io/config_file.hpp"
#include "host/model/config_schema.hpp"
#include "tests/unit/config_schema_testing.hpp"

namespace margin_stress {
namespace {

// One row of a key table of docs/config.md (a table whose header starts "| Key |").
struct DocumentedKey {
  std::string table;  // the path of the section's TOML table: "run", "regimes.states"
  std::string name;
  std::string type;  // the Type cell's first word: "float", "float[]", "array"
  bool has_unit = false;
  std::string unit;
  std::string default_value;  // this key's part of the Default cell
  int line = 0;
};

std::string trimmed(const std::string& text) {
  const std::size_t first = text.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

// The cells of a Markdown table row; "\|" inside a cell is not a separator.
std::vector<std::string> cells_of(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '|' && line[i - 1] != '\\') {
      cells.push_back(trimmed(cell));
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return cells;
}

// The `quoted` names of a cell, in order.
std::vector<std::string> backticked(const std::string& cell) {
  std::vector<std::string> names;
  for (std::size_t open = cell.find('`'); open != std::string::npos; open = cell.find('`', open)) {
    const std::size_t close = cell.find('`', open + 1);
    if (close == std::string::npos) break;
    names.push_back(cell.substr(open + 1, close - open - 1));
    open = close + 1;
  }
  return names;
}

// "### `[[regimes.states]]`: one regime" -> "regimes.states"; "" for a heading without a table.
std::string table_of_heading(const std::string& line) {
  const std::size_t open = line.find("`[");
  if (open == std::string::npos) return "";
  const std::size_t close = line.find("]`", open);
  std::string name = line.substr(open + 1, close - open);
  while (!name.empty() && name.front() == '[') name.erase(name.begin());
  while (!name.empty() && name.back() == ']') name.pop_back();
  return name;
}

std::vector<DocumentedKey> documented_keys() {
  std::ifstream file(std::string(MARGIN_STRESS_SOURCE_DIR) + "/docs/config.md");
  EXPECT_TRUE(file) << "docs/config.md not found";
  std::vector<DocumentedKey> keys;
  std::string table;
  std::map<std::string, std::size_t> columns;  // of the key table being read; empty outside one
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    if (line.rfind("#", 0) == 0) {
      table = table_of_heading(line);
      columns.clear();
    } else if (line.rfind("| Key |", 0) == 0) {
      // By the header's first word: "Default (BTC, ETH, SOL, DOGE)" is the Default column.
      const std::vector<std::string> header = cells_of(line);
      for (std::size_t c = 0; c < header.size(); ++c) columns[header[c].substr(0, header[c].find(' '))] = c;
    } else if (line.rfind("|", 0) != 0) {
      columns.clear();
    } else if (!columns.empty() && line.rfind("|---", 0) != 0) {
      const std::vector<std::string> cells = cells_of(line);
      const std::vector<std::string> names = backticked(cells.at(0));
      // A row of several keys ("`garch_alpha`, `garch_beta`") gives their defaults in order.
      std::vector<std::string> defaults(names.size(), cells.at(columns.at("Default")));
      if (names.size() > 1) {
        std::istringstream parts(defaults[0]);
        for (std::string& part : defaults) std::getline(parts, part, ',');
      }
      for (std::size_t k = 0; k < names.size(); ++k) {
        DocumentedKey key;
        key.table = table;
        key.name = names[k];
        std::istringstream type(cells.at(columns.at("Type")));
        type >> key.type;
        key.has_unit = columns.count("Unit") > 0;
        if (key.has_unit) key.unit = cells.at(columns.at("Unit"));
        key.default_value = trimmed(defaults[k]);
        key.line = number;
        keys.push_back(std::move(key));
      }
    }
  }
  return keys;
}

// What a table declares: its keys and the arrays of tables inside it ("states" of [regimes]).
std::set<std::string> declared_names(const ConfigTable& table) {
  std::set<std::string> names;
  for (const ConfigKey& key : table.keys) names.emplace(key.name);
  for (const ConfigTable& nested : config_tables()) {
    if (!nested.parent().empty() && nested.parent() == table.path) names.emplace(nested.leaf());
  }
  return names;
}

std::string documented_type(ConfigType type) {
  switch (type) {
    case ConfigType::integer:
    case ConfigType::int32:
    case ConfigType::seed:
      return "int";
    case ConfigType::number:
      return "float";
    case ConfigType::boolean:
      return "bool";
    case ConfigType::string:
    case ConfigType::choice:
      return "string";
    case ConfigType::numbers:
      return "float[]";
    case ConfigType::strings:
      return "string[]";
    case ConfigType::square_matrix:
    case ConfigType::rows:
      return "float[][]";
  }
  return "?";
}

TEST(ConfigDocs, ListEveryDeclaredKeyOnceAndNoOther) {
  std::set<std::pair<std::string, std::string>> documented;
  for (const DocumentedKey& key : documented_keys()) {
    EXPECT_FALSE(key.table.empty()) << "docs/config.md line " << key.line << ": key `" << key.name
                                    << "` is in a section that names no [table]";
    EXPECT_TRUE(documented.emplace(key.table, key.name).second)
        << "docs/config.md line " << key.line << ": [" << key.table << "] " << key.name << " is listed twice";
  }
  std::set<std::pair<std::string, std::string>> declared;
  for (const ConfigTable& table : config_tables()) {
    for (const std::string& name : declared_names(table)) declared.emplace(std::string(table.path), name);
  }
  for (const auto& [table, name] : declared) {
    EXPECT_EQ(documented.count({table, name}), 1u) << "[" << table << "] " << name << " is not in docs/config.md";
  }
  for (const auto& [table, name] : documented) {
    EXPECT_EQ(declared.count({table, name}), 1u)
        << "docs/config.md lists [" << table << "] " << name << ", which host/model/config_schema.cpp does not declare";
  }
  EXPECT_GT(declared.size(), 90u);
}

TEST(ConfigDocs, GiveEachKeyItsDeclaredTypeAndUnit) {
  for (const DocumentedKey& documented : documented_keys()) {
    SCOPED_TRACE("docs/config.md line " + std::to_string(documented.line) + ": [" + documented.table + "] " +
                 documented.name);
    const ConfigTable& table = config_table(documented.table);
    if (declared_names(table).count(documented.name) == 0) continue;  // reported by the test above
    bool nested = false;
    for (const ConfigTable& candidate : config_tables()) {
      nested = nested || (candidate.parent() == table.path && candidate.leaf() == documented.name);
    }
    if (nested) {
      EXPECT_EQ(documented.type, "array");  // "array of tables"
      continue;
    }
    const ConfigKey& key = table.key(documented.name);
    EXPECT_EQ(documented.type, documented_type(key.type));
    if (documented.has_unit) {
      EXPECT_EQ(documented.unit, key.unit);
    } else {
      EXPECT_EQ(key.unit, "") << "the table has no Unit column";
    }
  }
}

// The numbers of a Default cell: "[1, 1.25, 2, 3]", "0.45, 0.30", "3.0e6", "0 (off)".
std::vector<double> numbers_in(const std::string& text) {
  std::vector<double> numbers;
  const char* cursor = text.c_str();
  while (*cursor != '\0' && *cursor != '(') {
    char* end = nullptr;
    const double value = std::strtod(cursor, &end);
    if (end == cursor) {
      ++cursor;
    } else {
      numbers.push_back(value);
      cursor = end;
    }
  }
  return numbers;
}

TEST(ConfigDocs, GiveTheBuiltInDefaultOfEveryTableKey) {
  // Keys of a [table] always have the built-in default's value; arrays of tables are listed by
  // element in the docs (per market, per regime) and are not compared here.
  const ModelConfig defaults = default_config();
  int compared = 0;
  for (const DocumentedKey& documented : documented_keys()) {
    const ConfigTable& table = config_table(documented.table);
    if (table.array || declared_names(table).count(documented.name) == 0) continue;
    const ConfigKey* key = nullptr;
    for (const ConfigKey& candidate : table.keys) key = candidate.name == documented.name ? &candidate : key;
    if (key == nullptr || key->presence != Presence::required || key->type == ConfigType::square_matrix) continue;
    SCOPED_TRACE("docs/config.md line " + std::to_string(documented.line) + ": [" + documented.table + "] " +
                 documented.name + ", Default \"" + documented.default_value + "\"");
    const ConfigValue value = key->get(defaults, 0);
    if (const auto* text = std::get_if<std::string>(&value)) {
      std::string shown = documented.default_value;
      for (const char quote : {'`', '"'}) {
        if (shown.size() >= 2 && shown.front() == quote && shown.back() == quote)
          shown = shown.substr(1, shown.size() - 2);
      }
      EXPECT_EQ(shown, *text);
    } else if (const auto* flag = std::get_if<bool>(&value)) {
      EXPECT_EQ(documented.default_value, *flag ? "true" : "false");
    } else if (const auto* numbers = std::get_if<std::vector<double>>(&value)) {
      EXPECT_EQ(numbers_in(documented.default_value), *numbers);
    } else {
      const std::vector<double> shown = numbers_in(documented.default_value);
      ASSERT_FALSE(shown.empty());
      const double expected = std::visit(
          [](const auto& held) -> double {
            using Held = std::decay_t<decltype(held)>;
            if constexpr (std::is_arithmetic_v<Held>) {
              return static_cast<double>(held);
            } else {
              return 0.0;
            }
          },
          value);
      EXPECT_EQ(shown.front(), expected) << testing::value_text(value);
    }
    ++compared;
  }
  int expected = 0;
  for (const ConfigTable& table : config_tables()) {
    for (const ConfigKey& key : table.keys) {
      expected += !table.array && key.presence == Presence::required && key.type != ConfigType::square_matrix;
    }
  }
  EXPECT_EQ(compared, expected);
  EXPECT_GT(compared, 40);
}

}  // namespace
}  // namespace margin_stress
