#include "host/model/config_schema.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "host/model/money.hpp"

namespace margin_stress {

namespace {

// ---------------------------------------------------------------------------------------------
// Enum spellings, one list per enum: the names a config file uses, in the order the reader lists
// them in its messages.

template <typename Enum>
struct Spelling;

template <>
struct Spelling<ImpactLaw> {
  static constexpr std::pair<ImpactLaw, std::string_view> values[] = {{ImpactLaw::linear, "linear"},
                                                                      {ImpactLaw::square_root, "square_root"}};
};
template <>
struct Spelling<LiquidationMode> {
  static constexpr std::pair<LiquidationMode, std::string_view> values[] = {
      {LiquidationMode::full, "full"},
      {LiquidationMode::partial, "partial"},
      {LiquidationMode::fixed_fraction, "fixed_fraction"}};
};
template <>
struct Spelling<MarginPolicyKind> {
  static constexpr std::pair<MarginPolicyKind, std::string_view> values[] = {
      {MarginPolicyKind::static_margin, "static"},
      {MarginPolicyKind::volatility_scaled, "volatility_scaled"},
      {MarginPolicyKind::regime_aware, "regime_aware"}};
};
template <>
struct Spelling<VolatilityEstimator> {
  static constexpr std::pair<VolatilityEstimator, std::string_view> values[] = {{VolatilityEstimator::ewma, "ewma"},
                                                                                {VolatilityEstimator::garch, "garch"}};
};
template <>
struct Spelling<ObservedPrice> {
  static constexpr std::pair<ObservedPrice, std::string_view> values[] = {{ObservedPrice::mark, "mark"},
                                                                          {ObservedPrice::index, "index"}};
};
template <>
struct Spelling<ScenarioBase> {
  static constexpr std::pair<ScenarioBase, std::string_view> values[] = {{ScenarioBase::monte_carlo, "monte_carlo"},
                                                                         {ScenarioBase::flat, "flat"}};
};
template <>
struct Spelling<ShockKind> {
  static constexpr std::pair<ShockKind, std::string_view> values[] = {
      {ShockKind::gap, "gap"},
      {ShockKind::crash, "crash"},
      {ShockKind::v_shape, "v_shape"},
      {ShockKind::volatility, "volatility"},
      {ShockKind::depth, "depth"},
      {ShockKind::correlation, "correlation"},
      {ShockKind::oracle_deviation, "oracle_deviation"},
      {ShockKind::oracle_stale, "oracle_stale"},
      {ShockKind::collateral_depeg, "collateral_depeg"}};
};
template <>
struct Spelling<ShockShape> {
  static constexpr std::pair<ShockShape, std::string_view> values[] = {{ShockShape::linear, "linear"},
                                                                       {ShockShape::exponential, "exponential"}};
};

template <typename Enum>
std::string_view spelling(Enum value) {
  for (const auto& [option, name] : Spelling<Enum>::values) {
    if (option == value) return name;
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// Member types and their ConfigValue

// The margin-tier rows' columns, in the order of a row: [notional_cap_usd, maintenance_rate, max_leverage].
constexpr std::pair<std::string_view, double MarginTier::*> margin_tier_columns[] = {
    {"notional_cap_usd", &MarginTier::notional_cap_usd},
    {"maintenance_rate", &MarginTier::maintenance_rate},
    {"max_leverage", &MarginTier::max_leverage}};

template <typename T, typename = void>
struct Conversion;

template <>
struct Conversion<double> {
  static constexpr ConfigType type = ConfigType::number;
  static ConfigValue to(double value) { return value; }
  static void from(const ConfigValue& value, double& member) { member = std::get<double>(value); }
};
template <>
struct Conversion<std::int64_t> {
  static constexpr ConfigType type = ConfigType::integer;
  static ConfigValue to(std::int64_t value) { return value; }
  static void from(const ConfigValue& value, std::int64_t& member) { member = std::get<std::int64_t>(value); }
};
template <>
struct Conversion<int> {
  static constexpr ConfigType type = ConfigType::int32;
  static ConfigValue to(int value) { return std::int64_t{value}; }
  // The reader has checked that the value fits.
  static void from(const ConfigValue& value, int& member) { member = static_cast<int>(std::get<std::int64_t>(value)); }
};
template <>
struct Conversion<std::uint64_t> {
  static constexpr ConfigType type = ConfigType::seed;
  static ConfigValue to(std::uint64_t value) { return value; }
  static void from(const ConfigValue& value, std::uint64_t& member) { member = std::get<std::uint64_t>(value); }
};
template <>
struct Conversion<bool> {
  static constexpr ConfigType type = ConfigType::boolean;
  static ConfigValue to(bool value) { return value; }
  static void from(const ConfigValue& value, bool& member) { member = std::get<bool>(value); }
};
template <>
struct Conversion<std::string> {
  static constexpr ConfigType type = ConfigType::string;
  static ConfigValue to(const std::string& value) { return value; }
  static void from(const ConfigValue& value, std::string& member) { member = std::get<std::string>(value); }
};
template <>
struct Conversion<std::vector<double>> {
  static constexpr ConfigType type = ConfigType::numbers;
  static ConfigValue to(const std::vector<double>& value) { return value; }
  static void from(const ConfigValue& value, std::vector<double>& member) {
    member = std::get<std::vector<double>>(value);
  }
};
template <>
struct Conversion<std::vector<std::string>> {
  static constexpr ConfigType type = ConfigType::strings;
  static ConfigValue to(const std::vector<std::string>& value) { return value; }
  static void from(const ConfigValue& value, std::vector<std::string>& member) {
    member = std::get<std::vector<std::string>>(value);
  }
};
template <>
struct Conversion<std::vector<MarginTier>> {
  static constexpr ConfigType type = ConfigType::rows;
  static std::vector<std::string_view> names() {
    std::vector<std::string_view> columns;
    for (const auto& column : margin_tier_columns) columns.push_back(column.first);
    return columns;
  }
  static ConfigValue to(const std::vector<MarginTier>& tiers) {
    std::vector<std::vector<double>> rows;
    for (const MarginTier& tier : tiers) {
      std::vector<double> row;
      for (const auto& column : margin_tier_columns) row.push_back(tier.*column.second);
      rows.push_back(std::move(row));
    }
    return rows;
  }
  // The reader has checked that every row has one entry per column.
  static void from(const ConfigValue& value, std::vector<MarginTier>& tiers) {
    tiers.clear();
    for (const std::vector<double>& row : std::get<std::vector<std::vector<double>>>(value)) {
      MarginTier tier;
      for (std::size_t c = 0; c < std::size(margin_tier_columns); ++c) tier.*margin_tier_columns[c].second = row.at(c);
      tiers.push_back(tier);
    }
  }
};
template <typename Enum>
struct Conversion<Enum, std::enable_if_t<std::is_enum_v<Enum>>> {
  static constexpr ConfigType type = ConfigType::choice;
  static std::vector<std::string_view> names() {
    std::vector<std::string_view> names;
    for (const auto& option : Spelling<Enum>::values) names.push_back(option.second);
    return names;
  }
  static ConfigValue to(Enum value) { return std::string(spelling(value)); }
  // The reader has checked that the name is one of names().
  static void from(const ConfigValue& value, Enum& member) {
    const std::string& name = std::get<std::string>(value);
    for (const auto& [option, option_name] : Spelling<Enum>::values) {
      if (option_name == name) member = option;
    }
  }
};

template <typename T, typename = void>
struct HasNames : std::false_type {};
template <typename T>
struct HasNames<T, std::void_t<decltype(Conversion<T>::names())>> : std::true_type {};

// ---------------------------------------------------------------------------------------------
// Declarations: a key of a struct, then the table that places the struct in ModelConfig.

template <typename Struct>
struct Declared {
  ConfigKey key;  // without get and set, which the table adds
  std::function<ConfigValue(const Struct&)> get;
  std::function<void(Struct&, const ConfigValue&)> set;

  Declared&& optional() && {
    key.presence = Presence::optional;
    return std::move(*this);
  }
  Declared&& omitted_when_empty() && {
    key.presence = Presence::omitted_when_empty;
    return std::move(*this);
  }
  Declared&& policy() && {
    key.policy = true;
    return std::move(*this);
  }
  Declared&& square_matrix() && {
    key.type = ConfigType::square_matrix;
    return std::move(*this);
  }
};

template <typename Struct, typename Member>
Declared<Struct> key(std::string_view name, Member Struct::*member, std::string_view unit, KeyRange range,
                     std::string_view description) {
  Declared<Struct> declared;
  declared.key.name = name;
  declared.key.type = Conversion<Member>::type;
  declared.key.unit = unit;
  declared.key.range = range;
  declared.key.description = description;
  if constexpr (HasNames<Member>::value) declared.key.names = Conversion<Member>::names();
  declared.get = [member](const Struct& value) { return Conversion<Member>::to(value.*member); };
  declared.set = [member](Struct& value, const ConfigValue& key_value) {
    Conversion<Member>::from(key_value, value.*member);
  };
  return declared;
}

// A [table]: `locate(config)` is its struct (a generic lambda, for const and mutable configs).
template <typename Struct, typename Locate>
ConfigTable table(std::string_view path, std::string_view description, Locate locate,
                  std::vector<Declared<Struct>> keys) {
  ConfigTable table;
  table.path = path;
  table.description = description;
  table.size = [](const ModelConfig&) { return std::size_t{1}; };
  for (Declared<Struct>& declared : keys) {
    ConfigKey key = std::move(declared.key);
    key.get = [locate, get = std::move(declared.get)](const ModelConfig& config, std::size_t) {
      return get(locate(config));
    };
    key.set = [locate, set = std::move(declared.set)](ModelConfig& config, std::size_t, const ConfigValue& value) {
      set(locate(config), value);
    };
    table.keys.push_back(std::move(key));
  }
  return table;
}

// An array of tables: `locate(config)` is its std::vector<Struct>.
template <typename Struct, typename Locate>
ConfigTable array_table(std::string_view path, std::string_view description, Locate locate,
                        std::vector<Declared<Struct>> keys) {
  ConfigTable table;
  table.path = path;
  table.array = true;
  table.description = description;
  table.size = [locate](const ModelConfig& config) { return locate(config).size(); };
  table.resize = [locate](ModelConfig& config, std::size_t count) { locate(config).resize(count); };
  for (Declared<Struct>& declared : keys) {
    ConfigKey key = std::move(declared.key);
    key.get = [locate, get = std::move(declared.get)](const ModelConfig& config, std::size_t element) {
      return get(locate(config).at(element));
    };
    key.set = [locate, set = std::move(declared.set)](ModelConfig& config, std::size_t element,
                                                      const ConfigValue& value) {
      set(locate(config).at(element), value);
    };
    table.keys.push_back(std::move(key));
  }
  return table;
}

ConfigTable policy_table(ConfigTable table) {
  for (ConfigKey& key : table.keys) key.policy = true;
  return table;
}

constexpr double max_scenarios = 2147483648.0;  // 2^31: scenario indices fit an int32
constexpr double max_steps = 1000000.0;
constexpr double max_fee_rate = 0.5;
// e^10 (about 22,000x) is far beyond any price band a venue uses; it also keeps marks finite.
constexpr double max_log_deviation = 10.0;
constexpr double max_insurance_fund_usd = 1.0e12;
constexpr double max_scale = 100.0;

KeyRange with_text(KeyRange range, std::string_view text) {
  range.text = text;
  return range;
}

KeyRange with_noun(KeyRange range, std::string_view noun) {
  range.noun = noun;
  return range;
}

std::vector<ConfigTable> declare_tables() {
  std::vector<ConfigTable> tables;

  tables.push_back(table<RunParams>(
      "run", "size and reproducibility", [](auto& config) -> auto& { return config.run; },
      {
          key("scenarios", &RunParams::scenarios, "", with_text(closed_open(1, max_scenarios), "[1, 2^31)"),
              "number of Monte Carlo scenarios"),
          key("steps", &RunParams::steps, "", closed(1, max_steps), "steps per scenario (T)"),
          key("step_seconds", &RunParams::step_seconds, "s", positive(), "length of a step"),
          key("seed", &RunParams::seed, "", any_value(), "key of every scenario's random numbers"),
          key("threads", &RunParams::threads, "", non_negative(), "CPU worker threads; 0: all hardware threads"),
      }));

  tables.push_back(array_table<MarketSpec>(
      "markets", "the perpetual-futures markets", [](auto& config) -> auto& { return config.markets; },
      {
          key("name", &MarketSpec::name, "", checked_in_code("non-empty, unique"), "market name"),
          key("initial_price_usd", &MarketSpec::initial_price_usd, "USD", positive(),
              "fundamental and mark price at step 0"),
          key("lot_size", &MarketSpec::lot_size, "base units", positive(), "base-asset units per lot"),
          key("depth_usd", &MarketSpec::depth_usd, "USD", positive(),
              "impact depth: the signed notional whose impact is 1 in log price"),
          key("initial_margin_fraction", &MarketSpec::initial_margin_fraction, "", open_closed(0, 1),
              "imf, before the margin scale")
              .policy(),
          key("maintenance_margin_fraction", &MarketSpec::maintenance_margin_fraction, "", open_closed(0, 1),
              "mmf, before the margin scale; at most imf (checked in code)")
              .policy(),
          key("reference_volatility", &MarketSpec::reference_volatility, "1/√year", positive(),
              "the volatility at which the volatility-scaled policy's scale is 1")
              .policy(),
          key("margin_tiers", &MarketSpec::margin_tiers, "USD, fraction, ×",
              checked_in_code("increasing caps, non-decreasing rates, non-increasing leverage; not with "
                              "open-interest caps or a size premium"),
              "notional brackets: rows [notional_cap_usd, maintenance_rate, max_leverage]")
              .optional()
              .policy(),
          key("open_interest_lower_cap_usd", &MarketSpec::open_interest_lower_cap_usd, "USD", non_negative(),
              "open interest from which imf starts to rise (0 with the upper cap 0: off)")
              .optional()
              .policy(),
          key("open_interest_upper_cap_usd", &MarketSpec::open_interest_upper_cap_usd, "USD", non_negative(),
              "open interest at which imf reaches 1; above the lower cap unless both are 0 (checked in code)")
              .optional()
              .policy(),
          key("size_premium_imf_factor", &MarketSpec::size_premium_imf_factor, "per √(base unit)", non_negative(),
              "Drift's size premium f: fractions max(r, 0.8 r + f sqrt(B)); 0: off")
              .optional()
              .policy(),
      }));

  tables.push_back(table<ImpactParams>(
      "impact", "price impact of liquidation flow", [](auto& config) -> auto& { return config.impact; },
      {
          key("law", &ImpactParams::law, "", any_value(), "log impact n/D, or sign(n) sqrt(|n|/D)"),
          key("permanent_fraction", &ImpactParams::permanent_fraction, "", closed(0, 1),
              "share of each round's impact that never decays"),
          key("temporary_half_life_seconds", &ImpactParams::temporary_half_life_seconds, "s", non_negative(),
              "half-life of the rest; 0: gone by the next step"),
          key("max_log_deviation", &ImpactParams::max_log_deviation, "log price", closed(0, max_log_deviation),
              "price band: the mark stays within e^b of the fundamental"),
      }));

  tables.push_back(policy_table(table<LiquidationParams>(
      "liquidation", "liquidation mechanics", [](auto& config) -> auto& { return config.liquidation; },
      {
          key("mode", &LiquidationParams::mode, "", any_value(),
              "whole positions, the least fraction that restores initial margin, or a fixed fraction"),
          key("fee_rate", &LiquidationParams::fee_rate, "of notional", closed(0, max_fee_rate),
              "liquidation fee, paid to the insurance fund"),
          key("max_cascade_rounds", &LiquidationParams::max_cascade_rounds, "", closed(1, 10000),
              "cap on cascade rounds per step"),
          key("fixed_fraction", &LiquidationParams::fixed_fraction, "", open_closed(0, 1),
              "fixed_fraction mode: the share of a large position closed in one round"),
          key("fixed_fraction_threshold_usd", &LiquidationParams::fixed_fraction_threshold_usd, "USD",
              closed(0, max_money_usd), "fixed_fraction mode: positions of at most this notional are closed whole"),
          key("fee_depends_on_health", &LiquidationParams::fee_depends_on_health, "", any_value(),
              "the fee rate is min(fee_rate, max(0, E' / N))"),
          key("backstop_fraction", &LiquidationParams::backstop_fraction, "", closed_open(0, 1),
              "accounts below this fraction of maintenance go to the backstop vault; 0: off"),
      })));

  tables.push_back(policy_table(table<InsuranceFundParams>(
      "insurance_fund", "insurance fund and ADL", [](auto& config) -> auto& { return config.insurance_fund; },
      {
          key("initial_balance_usd", &InsuranceFundParams::initial_balance_usd, "USD",
              closed(0, max_insurance_fund_usd), "the fund at step 0"),
          key("auto_deleveraging", &InsuranceFundParams::auto_deleveraging, "", any_value(),
              "deleverage profitable opposite positions when the fund cannot cover deficits"),
      })));

  tables.push_back(table<TraderResponseParams>(
      "trader_response", "traders' answer to margin calls",
      [](auto& config) -> auto& { return config.trader_response; },
      {
          key("enabled", &TraderResponseParams::enabled, "", any_value(), "margin calls and the answers are modelled"),
          key("top_up_probability", &TraderResponseParams::top_up_probability, "", closed(0, 1),
              "probability that a called trader deposits rather than sells down"),
          key("top_up_delay_steps", &TraderResponseParams::top_up_delay_steps, "steps", closed(0, max_steps),
              "steps until the deposit arrives"),
      }));

  tables.push_back(policy_table(table<MarginPolicyParams>(
      "margin_policy", "dynamic margin", [](auto& config) -> auto& { return config.margin_policy; },
      {
          key("kind", &MarginPolicyParams::kind, "", any_value(), "how the raw margin scale is set"),
          key("volatility_estimator", &MarginPolicyParams::volatility_estimator, "", any_value(),
              "the volatility_scaled estimate"),
          key("observe", &MarginPolicyParams::observe, "", any_value(),
              "the price whose returns the estimates observe: the mark (with impact) or the index"),
          key("ewma_lambda", &MarginPolicyParams::ewma_lambda, "per step", closed_open(0, 1),
              "weight of the previous variance estimate"),
          key("garch_alpha", &MarginPolicyParams::garch_alpha, "per step", non_negative(),
              "the platform's GARCH(1,1) forecast; garch_alpha + garch_beta < 1 (checked in code)"),
          key("garch_beta", &MarginPolicyParams::garch_beta, "per step", non_negative(),
              "the platform's GARCH(1,1) persistence"),
          key("regime_scales", &MarginPolicyParams::regime_scales, "",
              checked_in_code("> 0, one per regime (for regime_aware)"), "the scale in each regime"),
          key("scale_floor", &MarginPolicyParams::scale_floor, "", open_closed(0, max_scale), "lowest margin scale"),
          key("scale_cap", &MarginPolicyParams::scale_cap, "", open_closed(0, max_scale),
              "highest margin scale; at least scale_floor (checked in code)"),
          key("stressed_weight", &MarginPolicyParams::stressed_weight, "", closed(0, 1),
              "weight of a stressed volatility in the variance"),
          key("stressed_volatility_ratio", &MarginPolicyParams::stressed_volatility_ratio, "", positive(),
              "the stressed volatility, as a multiple of reference_volatility"),
          key("buffer", &MarginPolicyParams::buffer, "", closed(0, 10), "margin buffer held in calm"),
          key("buffer_release_scale", &MarginPolicyParams::buffer_release_scale, "", positive(),
              "the scale up to which the buffer is held in full"),
          key("max_increase_per_hour", &MarginPolicyParams::max_increase_per_hour, "per hour", non_negative(),
              "speed limit on raises; 0: none"),
          key("max_decrease_per_hour", &MarginPolicyParams::max_decrease_per_hour, "per hour", closed_open(0, 1),
              "speed limit on cuts; 0: none"),
          key("announcement_lag_seconds", &MarginPolicyParams::announcement_lag_seconds, "s", non_negative(),
              "a raise takes effect this long after it is decided"),
      })));

  // [regimes], [[regimes.states]] and [portfolio] are checked by validate_regime_model and
  // validate_generator_params (their own modules' contracts, which name the regime in messages);
  // the ranges declared here are those checks', and validate_config applies them after the modules.
  tables.push_back(table<RegimeModel>(
      "regimes", "the volatility-regime Markov chain", [](auto& config) -> auto& { return config.regimes; },
      {
          key("transition", &RegimeModel::transition, "per step",
              checked_in_code("K x K, entries in [0, 1], rows summing to 1"), "per-step transition probabilities")
              .square_matrix(),
          key("initial_distribution", &RegimeModel::initial_distribution, "",
              checked_in_code("K entries in [0, 1] summing to 1"),
              "distribution of the regime at step 0; omitted: the chain's stationary distribution")
              .omitted_when_empty(),
      }));

  tables.push_back(array_table<RegimeState>(
      "regimes.states", "one regime", [](auto& config) -> auto& { return config.regimes.states; },
      {
          key("name", &RegimeState::name, "", checked_in_code("non-empty, unique"), "regime name"),
          key("volatility", &RegimeState::volatility, "1/√year", checked_in_code("per market, finite, >= 0"),
              "diffusive volatility"),
          key("drift", &RegimeState::drift, "1/year", checked_in_code("per market, finite"),
              "drift of the log price before the -sigma^2/2 term"),
          key("jump_intensity_per_day", &RegimeState::jump_intensity_per_day, "1/day", non_negative(),
              "arrival rate of market-wide jumps; at most 50 a step (checked in code)"),
          key("jump_mean", &RegimeState::jump_mean, "log price", checked_in_code("per market, finite"),
              "mean of the log jump size"),
          key("jump_stddev", &RegimeState::jump_stddev, "log price", checked_in_code("per market, finite, >= 0"),
              "standard deviation of the log jump size"),
          key("depth_multiplier", &RegimeState::depth_multiplier, "", positive(),
              "multiplies every market's depth in this regime"),
          key("correlation", &RegimeState::correlation, "",
              checked_in_code("M x M, unit diagonal, symmetric, positive definite"),
              "correlation of the markets' diffusive shocks")
              .square_matrix(),
          key("garch_alpha", &RegimeState::garch_alpha, "per step", non_negative(),
              "GARCH(1,1) weight of the previous squared shock; garch_alpha + garch_beta < 1 (checked in code)")
              .optional(),
          key("garch_beta", &RegimeState::garch_beta, "per step", non_negative(),
              "GARCH(1,1) weight of the previous variance")
              .optional(),
          key("student_t_dof", &RegimeState::student_t_dof, "", checked_in_code("0, or finite and > 2"),
              "0: normal shocks; > 2: unit-variance Student-t shocks")
              .optional(),
      }));

  tables.push_back(table<ScenarioSpec>(
      "scenario", "what the scenarios are made of", [](auto& config) -> auto& { return config.scenario; },
      {
          key("base", &ScenarioSpec::base, "", any_value(), "the regime model's paths, or flat prices"),
          key("flat_regime", &ScenarioSpec::flat_regime, "", checked_in_code("a regime's name when base = \"flat\""),
              "the regime a flat base sits in"),
      }));

  ConfigTable replays = array_table<ReplaySeries>(
      "scenario.replays", "a historical replay of one market",
      [](auto& config) -> auto& { return config.scenario.replays; },
      {
          key("market", &ReplaySeries::market, "", checked_in_code("a market's name, once"),
              "the market whose fundamental price the file drives"),
          key("file", &ReplaySeries::file, "", checked_in_code("non-empty"),
              "CSV file, relative to the config file's directory"),
          key("column", &ReplaySeries::column, "", checked_in_code("non-empty"),
              "the price column, or \"ohlc\": each bar's open, extremes and close")
              .optional(),
          key("start_utc", &ReplaySeries::start_utc, "", checked_in_code("ISO 8601"), "the time of step 0"),
          key("rebase", &ReplaySeries::rebase, "", any_value(), "scale the path to start at initial_price_usd")
              .optional(),
      });
  replays.optional = true;
  tables.push_back(std::move(replays));

  // The keys a shock takes depend on its kind (shock_takes): the reader reads `kind` first and
  // refuses any other key, the writer writes only those, and validation checks only those.
  ConfigTable shocks = array_table<ShockSpec>(
      "scenario.shocks", "a committee shock", [](auto& config) -> auto& { return config.scenario.shocks; },
      {
          key("name", &ShockSpec::name, "", any_value(), "a label for reports").omitted_when_empty(),
          key("kind", &ShockSpec::kind, "", any_value(), "what the shock does"),
          key("markets", &ShockSpec::markets, "", checked_in_code("names of markets"),
              "the markets it acts on; omitted: every market")
              .omitted_when_empty(),
          key("start_step", &ShockSpec::start_step, "", checked_in_code("[1, run.steps]"), "the first step it acts on"),
          key("duration_steps", &ShockSpec::duration_steps, "steps", closed(1, max_steps),
              "steps in effect, or (crash, v_shape) down to the bottom"),
          key("recovery_steps", &ShockSpec::recovery_steps, "steps", closed(1, max_steps),
              "v_shape: steps back up to the pre-shock level"),
          key("size", &ShockSpec::size, "", with_noun(open_closed(-1, 100), "a fractional move"),
              "price move: -0.2 = -20 %"),
          key("shape", &ShockSpec::shape, "", any_value(), "even steps in price (linear) or in log price").optional(),
          key("multiplier", &ShockSpec::multiplier, "", open_closed(0, 1000), "volatility or depth times this"),
          key("weight", &ShockSpec::weight, "", closed_open(0, 1), "correlations pulled towards 1: (1 - w) rho + w"),
          key("deviation", &ShockSpec::deviation, "", with_noun(open_closed(-1, 100), "a fractional deviation"),
              "the oracle reads the price times 1 + deviation"),
          key("value", &ShockSpec::value, "", with_noun(open_closed(0, 1), "a value per dollar"),
              "collateral counted at this value per dollar"),
      });
  shocks.optional = true;
  shocks.selector = "kind";
  shocks.element_noun = "shock";
  shocks.takes = [](const ModelConfig& config, std::size_t element, std::string_view key) {
    return shock_takes(config.scenario.shocks.at(element).kind, key);
  };
  tables.push_back(std::move(shocks));

  tables.push_back(table<PortfolioGeneratorParams>(
      "portfolio", "the synthetic book", [](auto& config) -> auto& { return config.portfolio; },
      {
          key("accounts", &PortfolioGeneratorParams::accounts, "",
              with_text(closed_open(1, 2147483648.0), "[1, 2^31 - 1]"), "number of accounts"),
          key("seed", &PortfolioGeneratorParams::seed, "", any_value(), "key of the book's random numbers"),
          key("pareto_alpha", &PortfolioGeneratorParams::pareto_alpha, "", positive(),
              "tail index of account notional"),
          key("min_notional_usd", &PortfolioGeneratorParams::min_notional_usd, "USD", positive(),
              "Pareto scale: the smallest account notional"),
          key("max_notional_usd", &PortfolioGeneratorParams::max_notional_usd, "USD",
              checked_in_code("[min_notional_usd, 1e12]"), "truncation of account notional"),
          key("multi_market_fraction", &PortfolioGeneratorParams::multi_market_fraction, "", closed(0, 1),
              "share of accounts holding 2 or 3 markets"),
          key("open_interest_share", &PortfolioGeneratorParams::open_interest_share, "",
              checked_in_code("per market, finite, >= 0, summing to 1"), "share of open interest in each market"),
          key("long_fraction", &PortfolioGeneratorParams::long_fraction, "", checked_in_code("per market, in [0, 1]"),
              "probability that a position is long"),
          key("leverage_bounds", &PortfolioGeneratorParams::leverage_bounds, "",
              checked_in_code("one more than leverage_weights; first >= 1, increasing"),
              "edges of the leverage brackets"),
          key("leverage_weights", &PortfolioGeneratorParams::leverage_weights, "",
              checked_in_code("finite, >= 0, summing to 1"), "probability of each bracket"),
          key("entry_price_spread", &PortfolioGeneratorParams::entry_price_spread, "log price", non_negative(),
              "standard deviation of log(entry price / initial price)"),
      }));
  return tables;
}

std::string bound_text(double value, bool integer) {
  if (integer) return std::to_string(static_cast<std::int64_t>(value));
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

}  // namespace

std::string_view toml_name(ImpactLaw law) { return spelling(law); }
std::string_view toml_name(LiquidationMode mode) { return spelling(mode); }
std::string_view toml_name(MarginPolicyKind kind) { return spelling(kind); }
std::string_view toml_name(VolatilityEstimator estimator) { return spelling(estimator); }
std::string_view toml_name(ScenarioBase base) { return spelling(base); }
std::string_view toml_name(ShockKind kind) { return spelling(kind); }
std::string_view toml_name(ShockShape shape) { return spelling(shape); }

// ---------------------------------------------------------------------------------------------
// Ranges

KeyRange any_value() { return {}; }

KeyRange closed(double low, double high) { return {KeyRange::Kind::interval, low, high, false, false, {}, {}}; }
KeyRange closed_open(double low, double high) { return {KeyRange::Kind::interval, low, high, false, true, {}, {}}; }
KeyRange open_closed(double low, double high) { return {KeyRange::Kind::interval, low, high, true, false, {}, {}}; }
KeyRange positive() {
  return {KeyRange::Kind::interval, 0.0, std::numeric_limits<double>::infinity(), true, true, {}, {}};
}
KeyRange non_negative() {
  return {KeyRange::Kind::interval, 0.0, std::numeric_limits<double>::infinity(), false, true, {}, {}};
}
KeyRange checked_in_code(std::string_view text) {
  KeyRange range;
  range.kind = KeyRange::Kind::in_code;
  range.text = text;
  return range;
}

bool KeyRange::admits(double value) const {
  if (kind != Kind::interval) return true;
  if (!std::isfinite(value)) return false;
  const bool above = low_open ? value > low : value >= low;
  const bool below = high_open ? value < high : value <= high;
  return above && below;
}

std::string KeyRange::violation(bool integer) const {
  const std::string in = "is not " + (noun.empty() ? std::string() : std::string(noun) + " ") + "in ";
  if (!text.empty()) return in + std::string(text);
  if (std::isinf(high)) {
    const std::string bound = std::string(low_open ? "> " : ">= ") + bound_text(low, integer);
    return integer ? "is not " + bound : "is not a finite number " + bound;
  }
  return in + (low_open ? "(" : "[") + bound_text(low, integer) + ", " + bound_text(high, integer) +
         (high_open ? ")" : "]");
}

// ---------------------------------------------------------------------------------------------
// Tables

const ConfigKey& ConfigTable::key(std::string_view name) const {
  for (const ConfigKey& candidate : keys) {
    if (candidate.name == name) return candidate;
  }
  throw std::out_of_range("config schema: [" + std::string(path) + "] declares no key '" + std::string(name) + "'");
}

std::string ConfigTable::key_path(std::size_t element, std::string_view key) const {
  std::string text(path);
  if (array) text += "[" + std::to_string(element) + "]";
  return text + "." + std::string(key);
}

std::string_view ConfigTable::leaf() const {
  const std::size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

std::string_view ConfigTable::parent() const {
  const std::size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
}

const std::vector<ConfigTable>& config_tables() {
  static const std::vector<ConfigTable> tables = declare_tables();
  return tables;
}

const ConfigTable& config_table(std::string_view path) {
  for (const ConfigTable& table : config_tables()) {
    if (table.path == path) return table;
  }
  throw std::out_of_range("config schema: no table [" + std::string(path) + "]");
}

const std::vector<std::string_view>& shock_keys(ShockKind kind) {
  static const std::vector<std::string_view> none;
  static const std::vector<std::string_view> gap = {"size"};
  static const std::vector<std::string_view> crash = {"size", "duration_steps", "shape"};
  static const std::vector<std::string_view> v_shape = {"size", "duration_steps", "recovery_steps", "shape"};
  static const std::vector<std::string_view> multiplier = {"multiplier", "duration_steps"};
  static const std::vector<std::string_view> weight = {"weight", "duration_steps"};
  static const std::vector<std::string_view> deviation = {"deviation", "duration_steps"};
  static const std::vector<std::string_view> duration = {"duration_steps"};
  static const std::vector<std::string_view> value = {"duration_steps", "value"};
  switch (kind) {
    case ShockKind::gap:
      return gap;
    case ShockKind::crash:
      return crash;
    case ShockKind::v_shape:
      return v_shape;
    case ShockKind::volatility:
    case ShockKind::depth:
      return multiplier;
    case ShockKind::correlation:
      return weight;
    case ShockKind::oracle_deviation:
      return deviation;
    case ShockKind::oracle_stale:
      return duration;
    case ShockKind::collateral_depeg:
      return value;
  }
  return none;
}

bool shock_takes(ShockKind kind, std::string_view key) {
  if (key == "name" || key == "kind" || key == "start_step") return true;
  if (key == "markets") return kind != ShockKind::collateral_depeg;  // the collateral is not a market's
  const std::vector<std::string_view>& keys = shock_keys(kind);
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

}  // namespace margin_stress
