#include "host/io/config_writer.hpp"

#include <cstdint>
#include <locale>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <toml++/toml.h>

#include "host/io/toml_reader.hpp"

namespace margin_stress {

std::string_view toml_name(ImpactLaw law) {
  switch (law) {
    case ImpactLaw::linear: return "linear";
    case ImpactLaw::square_root: return "square_root";
  }
  return "?";
}

std::string_view toml_name(LiquidationMode mode) {
  switch (mode) {
    case LiquidationMode::full: return "full";
    case LiquidationMode::partial: return "partial";
  }
  return "?";
}

std::string_view toml_name(MarginPolicyKind kind) {
  switch (kind) {
    case MarginPolicyKind::static_margin: return "static";
    case MarginPolicyKind::volatility_scaled: return "volatility_scaled";
  }
  return "?";
}

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

}  // namespace

std::string config_to_toml(const ModelConfig& config) {
  TomlWriter toml;
  // An empty array of tables has no [[markets]] form; as a root key it must precede every table.
  if (config.markets.empty()) {
    toml.header("markets = []");
  }
  toml.header("[run]");
  toml.integer("scenarios", config.run.scenarios);
  toml.integer("steps", config.run.steps);
  toml.number("step_seconds", config.run.step_seconds);
  toml.unsigned_integer("seed", config.run.seed);
  toml.integer("threads", config.run.threads);

  for (const MarketSpec& market : config.markets) {
    toml.header("[[markets]]");
    toml.string("name", market.name);
    toml.number("initial_price_usd", market.initial_price_usd);
    toml.number("lot_size", market.lot_size);
    toml.number("depth_usd", market.depth_usd);
    toml.number("initial_margin_fraction", market.initial_margin_fraction);
    toml.number("maintenance_margin_fraction", market.maintenance_margin_fraction);
    toml.number("reference_volatility", market.reference_volatility);
  }

  toml.header("[impact]");
  toml.string("law", toml_name(config.impact.law));
  toml.number("permanent_fraction", config.impact.permanent_fraction);
  toml.number("temporary_half_life_seconds", config.impact.temporary_half_life_seconds);
  toml.number("max_log_deviation", config.impact.max_log_deviation);

  toml.header("[liquidation]");
  toml.string("mode", toml_name(config.liquidation.mode));
  toml.number("fee_rate", config.liquidation.fee_rate);
  toml.integer("max_cascade_rounds", config.liquidation.max_cascade_rounds);

  toml.header("[insurance_fund]");
  toml.number("initial_balance_usd", config.insurance_fund.initial_balance_usd);
  toml.boolean("auto_deleveraging", config.insurance_fund.auto_deleveraging);

  toml.header("[margin_policy]");
  toml.string("kind", toml_name(config.margin_policy.kind));
  toml.number("ewma_lambda", config.margin_policy.ewma_lambda);
  toml.number("scale_floor", config.margin_policy.scale_floor);
  toml.number("scale_cap", config.margin_policy.scale_cap);

  toml.header("[regimes]");
  toml.square_matrix("transition", config.regimes.transition);
  if (!config.regimes.initial_distribution.empty()) {
    toml.numbers("initial_distribution", config.regimes.initial_distribution);
  }
  if (config.regimes.states.empty()) {
    toml.numbers("states", {});
  }
  for (const RegimeState& state : config.regimes.states) {
    toml.header("[[regimes.states]]");
    toml.string("name", state.name);
    toml.numbers("volatility", state.volatility);
    toml.numbers("drift", state.drift);
    toml.number("jump_intensity_per_day", state.jump_intensity_per_day);
    toml.numbers("jump_mean", state.jump_mean);
    toml.numbers("jump_stddev", state.jump_stddev);
    toml.number("depth_multiplier", state.depth_multiplier);
    toml.square_matrix("correlation", state.correlation);
  }

  toml.header("[portfolio]");
  toml.integer("accounts", config.portfolio.accounts);
  toml.unsigned_integer("seed", config.portfolio.seed);
  toml.number("pareto_alpha", config.portfolio.pareto_alpha);
  toml.number("min_notional_usd", config.portfolio.min_notional_usd);
  toml.number("max_notional_usd", config.portfolio.max_notional_usd);
  toml.number("multi_market_fraction", config.portfolio.multi_market_fraction);
  toml.numbers("open_interest_share", config.portfolio.open_interest_share);
  toml.numbers("long_fraction", config.portfolio.long_fraction);
  toml.numbers("leverage_bounds", config.portfolio.leverage_bounds);
  toml.numbers("leverage_weights", config.portfolio.leverage_weights);
  toml.number("entry_price_spread", config.portfolio.entry_price_spread);
  return toml.text();
}

}  // namespace margin_stress
