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
    case LiquidationMode::fixed_fraction: return "fixed_fraction";
  }
  return "?";
}

std::string_view toml_name(MarginPolicyKind kind) {
  switch (kind) {
    case MarginPolicyKind::static_margin: return "static";
    case MarginPolicyKind::volatility_scaled: return "volatility_scaled";
    case MarginPolicyKind::regime_aware: return "regime_aware";
  }
  return "?";
}

std::string_view toml_name(VolatilityEstimator estimator) {
  switch (estimator) {
    case VolatilityEstimator::ewma: return "ewma";
    case VolatilityEstimator::garch: return "garch";
  }
  return "?";
}

std::string_view toml_name(ScenarioBase base) {
  switch (base) {
    case ScenarioBase::monte_carlo: return "monte_carlo";
    case ScenarioBase::flat: return "flat";
  }
  return "?";
}

std::string_view toml_name(ShockKind kind) {
  switch (kind) {
    case ShockKind::gap: return "gap";
    case ShockKind::crash: return "crash";
    case ShockKind::v_shape: return "v_shape";
    case ShockKind::volatility: return "volatility";
    case ShockKind::depth: return "depth";
    case ShockKind::correlation: return "correlation";
    case ShockKind::oracle_deviation: return "oracle_deviation";
    case ShockKind::oracle_stale: return "oracle_stale";
    case ShockKind::collateral_depeg: return "collateral_depeg";
  }
  return "?";
}

std::string_view toml_name(ShockShape shape) {
  switch (shape) {
    case ShockShape::linear: return "linear";
    case ShockShape::exponential: return "exponential";
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

// Only the keys the shock's kind takes (host/io/config_file.cpp reads no others).
void write_shock(TomlWriter& toml, const ShockSpec& shock) {
  toml.header("[[scenario.shocks]]");
  if (!shock.name.empty()) toml.string("name", shock.name);
  toml.string("kind", toml_name(shock.kind));
  if (!shock.markets.empty()) toml.strings("markets", shock.markets);
  toml.integer("start_step", shock.start_step);
  if (shock.kind != ShockKind::gap) toml.integer("duration_steps", shock.duration_steps);
  switch (shock.kind) {
    case ShockKind::v_shape:
      toml.integer("recovery_steps", shock.recovery_steps);
      [[fallthrough]];
    case ShockKind::gap:
    case ShockKind::crash:
      toml.number("size", shock.size);
      if (shock.kind != ShockKind::gap) toml.string("shape", toml_name(shock.shape));
      break;
    case ShockKind::volatility:
    case ShockKind::depth: toml.number("multiplier", shock.multiplier); break;
    case ShockKind::correlation: toml.number("weight", shock.weight); break;
    case ShockKind::oracle_deviation: toml.number("deviation", shock.deviation); break;
    case ShockKind::oracle_stale: break;
    case ShockKind::collateral_depeg: toml.number("value", shock.value); break;
  }
}

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
    std::vector<std::vector<double>> tiers;
    for (const MarginTier& tier : market.margin_tiers) {
      tiers.push_back({tier.notional_cap_usd, tier.maintenance_rate, tier.max_leverage});
    }
    toml.rows("margin_tiers", tiers);
    toml.number("open_interest_lower_cap_usd", market.open_interest_lower_cap_usd);
    toml.number("open_interest_upper_cap_usd", market.open_interest_upper_cap_usd);
    toml.number("size_premium_imf_factor", market.size_premium_imf_factor);
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
  toml.number("fixed_fraction", config.liquidation.fixed_fraction);
  toml.number("fixed_fraction_threshold_usd", config.liquidation.fixed_fraction_threshold_usd);
  toml.boolean("fee_depends_on_health", config.liquidation.fee_depends_on_health);
  toml.number("backstop_fraction", config.liquidation.backstop_fraction);

  toml.header("[insurance_fund]");
  toml.number("initial_balance_usd", config.insurance_fund.initial_balance_usd);
  toml.boolean("auto_deleveraging", config.insurance_fund.auto_deleveraging);

  toml.header("[trader_response]");
  toml.boolean("enabled", config.trader_response.enabled);
  toml.number("top_up_probability", config.trader_response.top_up_probability);
  toml.integer("top_up_delay_steps", config.trader_response.top_up_delay_steps);

  toml.header("[margin_policy]");
  toml.string("kind", toml_name(config.margin_policy.kind));
  toml.string("volatility_estimator", toml_name(config.margin_policy.volatility_estimator));
  toml.number("ewma_lambda", config.margin_policy.ewma_lambda);
  toml.number("garch_alpha", config.margin_policy.garch_alpha);
  toml.number("garch_beta", config.margin_policy.garch_beta);
  toml.numbers("regime_scales", config.margin_policy.regime_scales);
  toml.number("scale_floor", config.margin_policy.scale_floor);
  toml.number("scale_cap", config.margin_policy.scale_cap);
  toml.number("stressed_weight", config.margin_policy.stressed_weight);
  toml.number("stressed_volatility_ratio", config.margin_policy.stressed_volatility_ratio);
  toml.number("buffer", config.margin_policy.buffer);
  toml.number("buffer_release_scale", config.margin_policy.buffer_release_scale);
  toml.number("max_increase_per_hour", config.margin_policy.max_increase_per_hour);
  toml.number("max_decrease_per_hour", config.margin_policy.max_decrease_per_hour);
  toml.number("announcement_lag_seconds", config.margin_policy.announcement_lag_seconds);

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
    toml.number("garch_alpha", state.garch_alpha);
    toml.number("garch_beta", state.garch_beta);
    toml.number("student_t_dof", state.student_t_dof);
  }

  toml.header("[scenario]");
  toml.string("base", toml_name(config.scenario.base));
  toml.string("flat_regime", config.scenario.flat_regime);
  for (const ReplaySeries& replay : config.scenario.replays) {
    toml.header("[[scenario.replays]]");
    toml.string("market", replay.market);
    toml.string("file", replay.file);
    toml.string("column", replay.column);
    toml.string("start_utc", replay.start_utc);
    toml.boolean("rebase", replay.rebase);
  }
  for (const ShockSpec& shock : config.scenario.shocks) write_shock(toml, shock);

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
