#include "host/io/policy_file.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "host/io/config_file.hpp"
#include "host/io/config_writer.hpp"
#include "host/model/config_schema.hpp"
#include "host/model/input_error.hpp"
#include "host/model/input_file.hpp"

namespace margin_stress {
namespace {

std::string read_policy_text(const std::string& path) {
  std::error_code status_error;
  const std::filesystem::file_status status = std::filesystem::status(path, status_error);
  if (!std::filesystem::exists(status)) throw InputError(path + ": policy file not found");
  if (std::filesystem::is_directory(status)) throw InputError(path + ": is a directory, not a policy file");
  check_file_size(path, max_config_file_bytes, "policy file");
  std::ifstream file(path, std::ios::binary);
  if (!file) throw InputError(path + ": cannot open the policy file: " + std::strerror(errno));
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The market keys a policy may set (declared so in host/model/config_schema.cpp): how much margin a
// position needs, not what the market is. "a, b and c".
std::string policy_market_keys() {
  std::vector<std::string_view> names;
  for (const ConfigKey& key : config_table("markets").keys) {
    if (key.policy) names.push_back(key.name);
  }
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + std::string(names[i]);
  }
  return text;
}

// The keys a policy may set, set to the base's, so that what is left to compare is everything the
// scenarios, the market and the book are made of.
ModelConfig without_policy_fields(const ModelConfig& base, ModelConfig config) {
  for (const ConfigTable& table : config_tables()) {
    const std::size_t elements = std::min(table.size(config), table.size(base));
    for (const ConfigKey& key : table.keys) {
      if (!key.policy) continue;
      for (std::size_t element = 0; element < elements; ++element) key.set(config, element, key.get(base, element));
    }
  }
  return config;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Where a line of config_to_toml's output sits, as a key path ("run.steps", "markets[1].lot_size").
class TomlPosition {
 public:
  void advance(const std::string& line) {
    if (line.rfind("[[", 0) == 0) {
      const std::string name = line.substr(2, line.find("]]") - 2);
      table_ = name + "[" + std::to_string(array_counts_[name]++) + "]";
      key_.clear();
    } else if (line.rfind("[", 0) == 0) {
      table_ = line.substr(1, line.find(']') - 1);
      key_.clear();
    } else if (const std::size_t equals = line.find(" = "); equals != std::string::npos && line[0] != ' ') {
      key_ = line.substr(0, equals);
    }
  }
  std::string field() const { return table_.empty() ? key_ : key_.empty() ? table_ : table_ + "." + key_; }

 private:
  std::string table_;
  std::string key_;
  std::map<std::string, int> array_counts_;
};

std::string trimmed(const std::string& line) {
  const std::size_t first = line.find_first_not_of(' ');
  return first == std::string::npos ? std::string() : line.substr(first);
}
// A policy that gives per-market values ([markets.NAME]) is a margin schedule: it must say what each
// of the base's markets needs, by name or by [markets."*"], or a market it was not written for
// would run on the base's margins unnoticed (docs/compare.md, "Policy files").
void require_every_market_named(const ModelConfig& base, const std::string& policy_path, const std::string& text) {
  const toml::table policy = toml::parse(text, policy_path);  // parse_config_over has read it already
  const toml::table* named = policy.get_as<toml::table>("markets");
  if (named == nullptr || named->contains(every_market_key)) return;
  std::string given;
  for (const auto& [name, node] : *named) given += (given.empty() ? "" : ", ") + std::string(name.str());
  for (const MarketSpec& market : base.markets) {
    if (named->contains(market.name)) continue;
    throw InputError(policy_path + ": gives per-market values for " + given + " but not for " + market.name +
                     ", a market of the base " + base.source_name + "; add [markets." + market.name +
                     "], or [markets.\"*\"] for every market the policy does not name (empty to keep the base's "
                     "values)");
  }
}

}  // namespace

ModelConfig load_policy_config(const ModelConfig& base, const std::string& policy_path) {
  const std::string text = read_policy_text(policy_path);
  // Malformed TOML, unknown keys and mistyped values are reported with the policy file's own name
  // and lines: layering keeps each node's source.
  ModelConfig policy = parse_config_over(base, text, policy_path);
  require_every_market_named(base, policy_path, text);
  require_common_scenarios(base, policy);
  return policy;
}

void require_common_scenarios(const ModelConfig& base, const ModelConfig& policy) {
  if (policy.markets.size() != base.markets.size()) {
    throw InputError(policy.source_name + ": has " + std::to_string(policy.markets.size()) +
                     " [[markets]] and the base " + base.source_name + " " + std::to_string(base.markets.size()) +
                     "; a policy sets its markets' margins in [markets.NAME] tables (only " + policy_market_keys() +
                     "), not by replacing [[markets]]");
  }
  // Compared as config_to_toml text, which writes every field exactly (doubles bit for bit), so no
  // field can be forgotten here when the configuration grows.
  const std::vector<std::string> expected = lines_of(config_to_toml(without_policy_fields(base, base)));
  const std::vector<std::string> actual = lines_of(config_to_toml(without_policy_fields(base, policy)));
  TomlPosition base_position;
  TomlPosition policy_position;
  for (std::size_t i = 0; i < std::max(expected.size(), actual.size()); ++i) {
    const std::string base_line = i < expected.size() ? expected[i] : std::string();
    const std::string policy_line = i < actual.size() ? actual[i] : std::string();
    base_position.advance(base_line);
    policy_position.advance(policy_line);
    if (base_line == policy_line) continue;
    // Named where the policy's text is, unless it ended first (it has fewer tables).
    const TomlPosition& position = i < actual.size() ? policy_position : base_position;
    const auto shown = [](const std::string& line) {
      return line.empty() ? std::string("nothing") : "'" + trimmed(line) + "'";
    };
    throw InputError(policy.source_name + ": changes " + position.field() + " (base " + base.source_name + " has " +
                     shown(base_line) + ", the policy " + shown(policy_line) +
                     "); a policy may set only [margin_policy], [liquidation], [insurance_fund] and the markets' " +
                     policy_market_keys() +
                     ": everything else shapes the market, the scenarios or the book, which every compared policy "
                     "must share (common random numbers); put it in --config instead");
  }
}

}  // namespace margin_stress
