// The configuration schema: every key of a config file declared once (docs/config.md is its
// reference). Each declaration names the key, its type, unit, allowed range, a one-line meaning and
// the ModelConfig member it maps to; the TOML reader and writer (host/io/config_file,
// host/io/config_writer), validate_config's per-key range checks, `compare`'s notes and the tests
// all iterate over these declarations, so a new key is one declaration (plus its line in
// docs/config.md, which a test holds to the declarations).
//
// Defaults are not declared here: the built-in default is scenarios/presets/default.toml, and a
// config file is layered on it, so every key of a [table] always has a value. Only keys that may be
// omitted from an element of an array of tables ([[markets]], [[regimes.states]], ...) fall back to
// a default, their struct's member initializer in host/model/config.hpp.
//
// Adding a key: the member in host/model/config.hpp, one key(...) line in the table's declaration
// in config_schema.cpp, its value in scenarios/presets/default.toml (a key of a [table]; an
// optional key of an array element takes its member's initializer instead), and its row in
// docs/config.md. Reading, writing, the range check, compare's notes and the tests follow.
//
// What is structure rather than keys stays code: which keys a [[scenario.shocks]] entry takes
// (shock_takes, by its kind), the margin-tier rows' columns, and every cross-field condition
// (mmf <= imf, floor <= cap, rows summing to 1, ...), which validate_config and the regime and
// portfolio modules check.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "host/model/config.hpp"

namespace margin_stress {

// The spelling of each enum value in a config file ("square_root", "partial", "static", ...).
std::string_view toml_name(ImpactLaw law);
std::string_view toml_name(LiquidationMode mode);
std::string_view toml_name(MarginPolicyKind kind);
std::string_view toml_name(VolatilityEstimator estimator);
std::string_view toml_name(ScenarioBase base);
std::string_view toml_name(ShockKind kind);
std::string_view toml_name(ShockShape shape);

// The TOML type of a key and the C++ type of its member.
enum class ConfigType {
  integer,        // TOML integer; std::int64_t
  int32,          // TOML integer that fits an int; int
  seed,           // TOML integer in [0, 2^63 - 1] (TOML integers are signed); std::uint64_t
  number,         // TOML float, or an integer; double
  boolean,        // bool
  string,         // std::string
  choice,         // a string among ConfigKey::names; an enum
  numbers,        // array of numbers; std::vector<double>
  strings,        // array of strings; std::vector<std::string>
  square_matrix,  // array of n arrays of n numbers; std::vector<double>, row-major
  rows,           // array of rows of one number per ConfigKey::names entry (the columns)
};

// A key's value, whatever its member's type: integers and int32 as std::int64_t, seeds as
// std::uint64_t, choices as their name, square matrices flattened, rows as one vector per row.
using ConfigValue = std::variant<std::int64_t, std::uint64_t, double, bool, std::string, std::vector<double>,
                                 std::vector<std::string>, std::vector<std::vector<double>>>;

// The allowed values of an integer or number key, checked by validate_config for every element
// that holds the key. A number must also be finite. Ranges that depend on other keys, and those of
// arrays, are checked in code; their `text` only documents them.
struct KeyRange {
  enum class Kind { any, interval, in_code };
  Kind kind = Kind::any;
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  bool low_open = false;
  bool high_open = false;
  std::string_view text;  // the interval as messages write it when its bounds need words ("[1, 2^31)"),
                          // or, in_code, what the code checks
  std::string_view noun;  // "a fractional move": "-2 is not a fractional move in (-1, 100]"

  bool checked() const { return kind == Kind::interval; }
  bool admits(double value) const;
  // "is not in [0, 1]", "is not a finite number > 0", "is not >= 0" (integers), after the value.
  std::string violation(bool integer) const;
};

KeyRange any_value();
KeyRange closed(double low, double high);       // [low, high]
KeyRange closed_open(double low, double high);  // [low, high)
KeyRange open_closed(double low, double high);  // (low, high]
KeyRange positive();                            // finite, > 0
KeyRange non_negative();                        // finite, >= 0 (for an integer: >= 0)
KeyRange checked_in_code(std::string_view text);

enum class Presence {
  required,            // in a [table], always there (from the built-in default); in an array element, must be given
  optional,            // may be omitted: its struct's default (in a [table], only keys default.toml omits)
  omitted_when_empty,  // optional, and the writer leaves it out while it is empty
};

struct ConfigKey {
  std::string_view name;
  ConfigType type = ConfigType::number;
  std::string_view unit;  // as docs/config.md writes it; empty where there is none
  KeyRange range;
  std::string_view description;
  Presence presence = Presence::required;
  // A policy file of `compare` may set it (docs/compare.md): every key of [margin_policy],
  // [liquidation] and [insurance_fund], and the markets' margin settings.
  bool policy = false;
  std::vector<std::string_view> names;  // choice: the allowed names; rows: the column names
  // The value of element `element` of the key's table (0 for a [table]), and its assignment.
  std::function<ConfigValue(const ModelConfig&, std::size_t element)> get;
  std::function<void(ModelConfig&, std::size_t element, const ConfigValue&)> set;
};

struct ConfigTable {
  std::string_view path;  // "run", "markets", "regimes.states": the TOML table name
  bool array = false;     // [[path]]: an array of tables, one element per entry of a std::vector
  // An array that may be absent (none). Others must be given; [[markets]] and [[regimes.states]]
  // always are, by the built-in default.
  bool optional = false;
  std::string_view description;
  std::vector<ConfigKey> keys;                                  // in the order the writer writes them
  std::function<std::size_t(const ModelConfig&)> size;          // elements: 1 for a [table]
  std::function<void(ModelConfig&, std::size_t count)> resize;  // arrays only
  // Tables whose keys depend on one of them ([[scenario.shocks]] on `kind`): that key, read first,
  // and whether an element takes a key. Empty `selector`: every element takes every key.
  std::string_view selector;
  std::string_view element_noun;  // for messages: "a shock of kind \"gap\""
  std::function<bool(const ModelConfig&, std::size_t element, std::string_view key)> takes;

  const ConfigKey& key(std::string_view name) const;  // throws std::out_of_range if not declared
  bool element_takes(const ModelConfig& config, std::size_t element, const ConfigKey& key) const {
    return !takes || takes(config, element, key.name);
  }
  // "run.steps", "markets[1].lot_size".
  std::string key_path(std::size_t element, std::string_view key) const;
  // The table's name inside its parent ("states" of "regimes.states"), and the parent ("" for the document).
  std::string_view leaf() const;
  std::string_view parent() const;
};

// Every table, in the order of a written config (docs/config.md): [run], [[markets]], [impact],
// [liquidation], [insurance_fund], [trader_response], [margin_policy], [regimes],
// [[regimes.states]], [scenario], [[scenario.replays]], [[scenario.shocks]], [portfolio]; an
// array of tables inside a table follows it.
const std::vector<ConfigTable>& config_tables();
const ConfigTable& config_table(std::string_view path);  // throws std::out_of_range if not declared

// The keys a shock of `kind` takes besides name, kind, markets and start_step (docs/config.md);
// any other key is refused, so that a setting that would be ignored is never silently accepted.
const std::vector<std::string_view>& shock_keys(ShockKind kind);
bool shock_takes(ShockKind kind, std::string_view key);

}  // namespace margin_stress
