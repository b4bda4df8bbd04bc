#include "host/io/config_writer.hpp"

#include <toml++/toml.h>

#include <cstdint>
#include <locale>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <variant>
#include <vector>

#include "host/io/toml_reader.hpp"
#include "host/model/config_schema.hpp"

namespace margin_stress {

namespace {

class TomlWriter {
 public:
  // A global locale with digit grouping would otherwise write 100000 as "100,000".
  TomlWriter() { out_.imbue(std::locale::classic()); }
  void header(std::string_view text) {
    out_ << (first_ ? "" : "\n") << text << '\n';
    first_ = false;
  }
  void number(std::string_view key, double value) { out_ << key << " = " << toml_float_text(value) << '\n'; }
  void integer(std::string_view key, std::int64_t value) { out_ << key << " = " << value << '\n'; }
  void unsigned_integer(std::string_view key, std::uint64_t value) { out_ << key << " = " << value << '\n'; }
  void boolean(std::string_view key, bool value) { out_ << key << " = " << (value ? "true" : "false") << '\n'; }
  void string(std::string_view key, std::string_view value) {
    // toml++ writes the quotes and escapes, so any market or regime name survives the round trip.
    out_ << key << " = " << toml::value<std::string>(std::string(value)) << '\n';
  }
  void strings(std::string_view key, const std::vector<std::string>& values) {
    out_ << key << " = [";
    for (std::size_t i = 0; i < values.size(); ++i) out_ << (i == 0 ? "" : ", ") << toml::value<std::string>(values[i]);
    out_ << "]\n";
  }
  void numbers(std::string_view key, const std::vector<double>& values) {
    out_ << key << " = ";
    row(values.data(), values.size());
    out_ << '\n';
  }
  // A row-major n x n matrix as an array of rows, one per line. Its size, not the market or regime
  // count, sets n: an inconsistent config must still be written as it was read.
  void square_matrix(std::string_view key, const std::vector<double>& values) {
    std::size_t n = 0;
    while (n * n < values.size()) ++n;
    if (n * n != values.size()) {
      throw std::invalid_argument("config_to_toml: " + std::string(key) + " has " + std::to_string(values.size()) +
                                  " entries, which is not a square matrix");
    }
    if (n == 0) {
      out_ << key << " = []\n";
      return;
    }
    out_ << key << " = [\n";
    for (std::size_t i = 0; i < n; ++i) {
      out_ << "  ";
      row(values.data() + i * n, n);
      out_ << ",\n";
    }
    out_ << "]\n";
  }
  // An array of rows of numbers, one row per line.
  void rows(std::string_view key, const std::vector<std::vector<double>>& values) {
    if (values.empty()) {
      out_ << key << " = []\n";
      return;
    }
    out_ << key << " = [\n";
    for (const std::vector<double>& entries : values) {
      out_ << "  ";
      row(entries.data(), entries.size());
      out_ << ",\n";
    }
    out_ << "]\n";
  }
  void empty_array(std::string_view key) { out_ << key << " = []\n"; }
  std::string text() const { return out_.str(); }

 private:
  void row(const double* values, std::size_t count) {
    out_ << '[';
    for (std::size_t i = 0; i < count; ++i) out_ << (i == 0 ? "" : ", ") << toml_float_text(values[i]);
    out_ << ']';
  }

  std::ostringstream out_;
  bool first_ = true;
};

void write_key(TomlWriter& toml, const ConfigKey& key, const ConfigValue& value) {
  const std::string_view name = key.name;
  switch (key.type) {
    case ConfigType::integer:
    case ConfigType::int32:
      toml.integer(name, std::get<std::int64_t>(value));
      break;
    case ConfigType::seed:
      toml.unsigned_integer(name, std::get<std::uint64_t>(value));
      break;
    case ConfigType::number:
      toml.number(name, std::get<double>(value));
      break;
    case ConfigType::boolean:
      toml.boolean(name, std::get<bool>(value));
      break;
    case ConfigType::string:
    case ConfigType::choice:
      toml.string(name, std::get<std::string>(value));
      break;
    case ConfigType::numbers:
      toml.numbers(name, std::get<std::vector<double>>(value));
      break;
    case ConfigType::strings:
      toml.strings(name, std::get<std::vector<std::string>>(value));
      break;
    case ConfigType::square_matrix:
      toml.square_matrix(name, std::get<std::vector<double>>(value));
      break;
    case ConfigType::rows:
      toml.rows(name, std::get<std::vector<std::vector<double>>>(value));
      break;
  }
}

bool is_empty(const ConfigValue& value) {
  return std::visit(
      [](const auto& held) {
        if constexpr (std::is_arithmetic_v<std::decay_t<decltype(held)>>) {
          return false;
        } else {
          return held.empty();
        }
      },
      value);
}

// An array of tables with no element has no [[name]] form: it is written as `name = []`, which
// the reader needs where the array is required. Optional arrays are simply left out.
bool written_as_empty_array(const ConfigTable& table, const ModelConfig& config) {
  return table.array && !table.optional && table.size(config) == 0;
}

}  // namespace

std::string config_to_toml(const ModelConfig& config) {
  TomlWriter toml;
  // As a key of the document, an empty array must precede every table.
  for (const ConfigTable& table : config_tables()) {
    if (table.parent().empty() && written_as_empty_array(table, config)) toml.header(std::string(table.path) + " = []");
  }
  for (const ConfigTable& table : config_tables()) {
    for (std::size_t element = 0; element < table.size(config); ++element) {
      toml.header(table.array ? "[[" + std::string(table.path) + "]]" : "[" + std::string(table.path) + "]");
      for (const ConfigKey& key : table.keys) {
        if (!table.element_takes(config, element, key)) continue;
        const ConfigValue value = key.get(config, element);
        if (key.presence == Presence::omitted_when_empty && is_empty(value)) continue;
        write_key(toml, key, value);
      }
      if (table.array) continue;
      for (const ConfigTable& nested : config_tables()) {
        if (nested.parent() == table.path && written_as_empty_array(nested, config)) toml.empty_array(nested.leaf());
      }
    }
  }
  return toml.text();
}

}  // namespace margin_stress
