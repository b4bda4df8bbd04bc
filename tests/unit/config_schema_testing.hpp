// Tests that walk the configuration schema (host/model/config_schema.hpp) key by key: a changed
// value of any declared key, a readable value, and a config in which every array of tables has
// elements.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "host/model/config_schema.hpp"

namespace margin_stress::testing {

// The next double up (down from +inf): the smallest change, which only an exact round trip keeps.
inline double next_double(double value) {
  return value == std::numeric_limits<double>::infinity()
             ? std::nextafter(value, 0.0)
             : std::nextafter(value, std::numeric_limits<double>::infinity());
}

// A value of `key` other than `value`, of the same type and shape: a square matrix stays square,
// a choice stays one of its names, rows keep their columns. An empty array gains an element.
inline ConfigValue changed_value(const ConfigKey& key, const ConfigValue& value) {
  switch (key.type) {
    case ConfigType::integer:
    case ConfigType::int32: {
      const std::int64_t held = std::get<std::int64_t>(value);
      return held < std::numeric_limits<int>::max() ? held + 1 : held - 1;
    }
    case ConfigType::seed: {
      const std::uint64_t held = std::get<std::uint64_t>(value);
      return held < std::uint64_t{1} << 62 ? held + 1 : held - 1;
    }
    case ConfigType::number:
      return next_double(std::get<double>(value));
    case ConfigType::boolean:
      return !std::get<bool>(value);
    case ConfigType::string:
      return std::get<std::string>(value) + "x";
    case ConfigType::choice: {
      const std::string& held = std::get<std::string>(value);
      for (std::size_t i = 0; i < key.names.size(); ++i) {
        if (key.names[i] == held) return std::string(key.names[(i + 1) % key.names.size()]);
      }
      return std::string(key.names.front());
    }
    case ConfigType::numbers:
    case ConfigType::square_matrix: {
      std::vector<double> values = std::get<std::vector<double>>(value);
      if (values.empty()) return std::vector<double>{0.5};  // a 1 x 1 matrix
      values[0] = next_double(values[0]);
      return values;
    }
    case ConfigType::strings: {
      std::vector<std::string> values = std::get<std::vector<std::string>>(value);
      values.push_back("x");
      return values;
    }
    case ConfigType::rows: {
      std::vector<std::vector<double>> rows = std::get<std::vector<std::vector<double>>>(value);
      if (rows.empty()) return std::vector<std::vector<double>>{std::vector<double>(key.names.size(), 0.5)};
      rows[0][0] = next_double(rows[0][0]);
      return rows;
    }
  }
  return value;
}

// A value as a message shows it: 0.30000000000000004, "BTC", [1, 2], [[1, 2], [3, 4]].
inline std::string value_text(const ConfigValue& value) {
  std::ostringstream out;
  out.precision(17);
  const auto item = [&](const auto& held) {
    using Held = std::decay_t<decltype(held)>;
    if constexpr (std::is_same_v<Held, std::string>) {
      out << '"' << held << '"';
    } else {
      out << held;
    }
  };
  std::visit(
      [&](const auto& held) {
        using Held = std::decay_t<decltype(held)>;
        if constexpr (std::is_same_v<Held, std::vector<std::vector<double>>>) {
          out << '[';
          for (std::size_t i = 0; i < held.size(); ++i) {
            out << (i == 0 ? "[" : ", [");
            for (std::size_t j = 0; j < held[i].size(); ++j) out << (j == 0 ? "" : ", ") << held[i][j];
            out << ']';
          }
          out << ']';
        } else if constexpr (std::is_same_v<Held, std::vector<double>> ||
                             std::is_same_v<Held, std::vector<std::string>>) {
          out << '[';
          for (std::size_t i = 0; i < held.size(); ++i) {
            out << (i == 0 ? "" : ", ");
            item(held[i]);
          }
          out << ']';
        } else {
          item(held);
        }
      },
      value);
  return out.str();
}

// `config` with an element in every array of tables that has none: one per name of the selector
// of a table that has one ([[scenario.shocks]]: one shock of each kind), else one element. The
// values are the structs' defaults, so the result need not be valid: it is for round trips.
inline ModelConfig with_every_array_filled(ModelConfig config) {
  for (const ConfigTable& table : config_tables()) {
    if (!table.array || table.size(config) > 0) continue;
    if (table.selector.empty()) {
      table.resize(config, 1);
      continue;
    }
    const ConfigKey& selector = table.key(table.selector);
    table.resize(config, selector.names.size());
    for (std::size_t i = 0; i < selector.names.size(); ++i) {
      selector.set(config, i, std::string(selector.names[i]));
    }
  }
  return config;
}

}  // namespace margin_stress::testing
