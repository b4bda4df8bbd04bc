#include "scenarios/validate_config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "host/model/config_schema.hpp"
#include "host/model/input_error.hpp"
#include "host/model/time_units.hpp"
#include "host/portfolio/generator.hpp"
#include "scenarios/regime_chain.hpp"

namespace margin_stress {

namespace {

constexpr std::size_t max_markets = 64;
// Expected market-wide jumps per step. Far more than this is a diffusion in disguise and usually a
// unit mistake (an intensity per step or per year written as per day); it also bounds the work of
// the per-step Poisson draw.
constexpr double max_jumps_per_step = 50.0;
// Seeds are uint64 in the program but signed 64-bit integers in TOML; a larger seed (possible from
// the command line) could not be recorded in source_text, which must reproduce the run.
constexpr std::uint64_t max_seed = std::numeric_limits<std::int64_t>::max();
// generate_portfolio's precondition (host/portfolio/generator.hpp): its entry prices come from
// normals that never exceed 8.7 in magnitude, and the largest position must stay below 9e18 lots.
constexpr double max_entry_price_normal = 8.7;
constexpr double max_position_lots = 9.0e18;
// Venues publish about ten notional brackets; the engine looks a position's bracket up linearly.
constexpr std::size_t max_margin_tiers = 64;

std::string text(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

class ConfigChecker {
 public:
  explicit ConfigChecker(const ModelConfig& config) : source_(config.source_name) {}

  [[noreturn]] void fail(const std::string& message) const { throw InputError(source_ + ": " + message); }

  void integer_in(const std::string& field, std::int64_t value, std::int64_t low, std::int64_t high,
                  const std::string& range) const {
    if (value < low || value > high) fail(field + ": " + std::to_string(value) + " is not in " + range);
  }
  void positive_finite(const std::string& field, double value) const {
    if (!(std::isfinite(value) && value > 0.0)) fail(field + ": " + text(value) + " is not a finite number > 0");
  }
  void seed(const std::string& field, std::uint64_t value) const {
    if (value > max_seed) {
      fail(field + ": " + std::to_string(value) + " is not in [0, 2^63 - 1] (TOML integers are signed 64-bit)");
    }
  }

 private:
  std::string source_;
};

// The declared range of every key that each element of `table` takes (host/model/config_schema.hpp),
// and that every seed fits a TOML integer.
void check_declared_ranges(const ConfigChecker& check, const ModelConfig& config, const ConfigTable& table) {
  for (std::size_t element = 0; element < table.size(config); ++element) {
    for (const ConfigKey& key : table.keys) {
      if (!table.element_takes(config, element, key)) continue;
      const std::string field = table.key_path(element, key.name);
      const ConfigValue value = key.get(config, element);
      if (const auto* seed = std::get_if<std::uint64_t>(&value)) check.seed(field, *seed);
      if (!key.range.checked()) continue;
      if (const auto* integer = std::get_if<std::int64_t>(&value)) {
        if (!key.range.admits(static_cast<double>(*integer))) {
          check.fail(field + ": " + std::to_string(*integer) + " " + key.range.violation(true));
        }
      } else if (const auto* number = std::get_if<double>(&value)) {
        if (!key.range.admits(*number)) check.fail(field + ": " + text(*number) + " " + key.range.violation(false));
      }
    }
  }
}

// The tables whose modules check them first (validate_regime_model, validate_generator_params):
// their messages name the regime, and their checks are those modules' own contract.
bool checked_by_module(const ConfigTable& table) {
  return table.path == "regimes" || table.path == "regimes.states" || table.path == "portfolio";
}

// Notional brackets (docs/model.md, "Equity and margin"). Besides the order of the rows, maintenance
// must stay below initial margin: mmr_b <= 1 / lev_b in every bracket, strictly in the first. In
// bracket b, IM - MM = N (1 / lev_b - mmr_b) + cum_b with cum_b >= 0 (rates do not decrease), so
// this keeps MM < IM at every notional N > 0 (cum_b = 0 only while the rates still equal mmr_0 <
// 1 / lev_0 <= 1 / lev_b), in particular at each bracket's lower edge L_b = cap_{b-1}, where
// L_b mmr_b - cum_b < L_b / lev_b, and beyond the last cap.
void check_margin_tiers(const ConfigChecker& check, const std::string& field, const std::vector<MarginTier>& tiers) {
  if (tiers.size() > max_margin_tiers) {
    check.fail(field + ": " + std::to_string(tiers.size()) + " rows, at most " + std::to_string(max_margin_tiers) +
               " are allowed");
  }
  for (std::size_t j = 0; j < tiers.size(); ++j) {
    const MarginTier& tier = tiers[j];
    const std::string row = field + " row " + std::to_string(j) + ", ";
    const double cap = tier.notional_cap_usd;
    const double rate = tier.maintenance_rate;
    const double leverage = tier.max_leverage;
    if (!(std::isfinite(cap) && cap > 0.0))
      check.fail(row + "notional_cap_usd: " + text(cap) + " is not a finite number > 0");
    if (!(rate > 0.0 && rate <= 1.0)) check.fail(row + "maintenance_rate: " + text(rate) + " is not in (0, 1]");
    if (!(std::isfinite(leverage) && leverage >= 1.0)) {
      check.fail(row + "max_leverage: " + text(leverage) + " is not a finite number >= 1");
    }
    if (j > 0) {
      const MarginTier& previous = tiers[j - 1];
      if (!(cap > previous.notional_cap_usd)) {
        check.fail(row + "notional_cap_usd: " + text(cap) + " is not above the previous row's cap " +
                   text(previous.notional_cap_usd) + " (caps must increase strictly)");
      }
      if (rate < previous.maintenance_rate) {
        check.fail(row + "maintenance_rate: " + text(rate) + " is below the previous row's rate " +
                   text(previous.maintenance_rate) + " (rates must not decrease)");
      }
      if (leverage > previous.max_leverage) {
        check.fail(row + "max_leverage: " + text(leverage) + " is above the previous row's leverage " +
                   text(previous.max_leverage) + " (leverage must not increase)");
      }
    }
    const bool below = j == 0 ? rate < 1.0 / leverage : rate <= 1.0 / leverage;
    if (!below) {
      check.fail(row + "maintenance_rate: " + text(rate) + " is not " + (j == 0 ? "below" : "at most") +
                 " the initial rate 1 / max_leverage = " + text(1.0 / leverage) +
                 " (maintenance must stay below initial margin inside the bracket)");
    }
  }
}

// Drift's size premium (docs/model.md, "Size- and open-interest-scaled margins"): not with
// brackets, which set their own size dependence.
void check_size_premium(const ConfigChecker& check, const std::string& field, const MarketSpec& market) {
  if (market.size_premium_imf_factor > 0.0 && !market.margin_tiers.empty()) {
    check.fail(field + "size_premium_imf_factor: " + text(market.size_premium_imf_factor) +
               " with margin_tiers: a market takes margin_tiers or a size premium, not both");
  }
}

// Open-interest caps (docs/model.md, "Equity and margin"): both 0 (off), or 0 <= lower < upper.
void check_open_interest_caps(const ConfigChecker& check, const std::string& field, const MarketSpec& market) {
  const double lower = market.open_interest_lower_cap_usd;
  const double upper = market.open_interest_upper_cap_usd;
  if (lower == 0.0 && upper == 0.0) return;
  if (!(upper > lower)) {
    check.fail(field + "open_interest_upper_cap_usd: " + text(upper) +
               " is not above open_interest_lower_cap_usd = " + text(lower) + " (both 0: no open-interest scaling)");
  }
  if (!market.margin_tiers.empty()) {
    check.fail(field + "open_interest_upper_cap_usd: " + text(upper) +
               " with margin_tiers: a market takes margin_tiers or open-interest caps, not both (its tiers set the "
               "initial margin)");
  }
}

void check_markets(const ConfigChecker& check, const std::vector<MarketSpec>& markets) {
  if (markets.empty() || markets.size() > max_markets) {
    check.fail("markets: " + std::to_string(markets.size()) + " entries, expected 1 to " + std::to_string(max_markets));
  }
  for (std::size_t m = 0; m < markets.size(); ++m) {
    const MarketSpec& market = markets[m];
    const std::string field = "markets[" + std::to_string(m) + "].";
    if (market.name.empty()) check.fail(field + "name: empty; every market needs a name");
    for (std::size_t earlier = 0; earlier < m; ++earlier) {
      if (markets[earlier].name == market.name) {
        check.fail(field + "name: \"" + market.name + "\" is also the name of markets[" + std::to_string(earlier) +
                   "]; market names must be unique");
      }
    }
    const double imf = market.initial_margin_fraction;
    const double mmf = market.maintenance_margin_fraction;
    if (!(mmf > 0.0 && mmf <= imf)) {
      check.fail(field + "maintenance_margin_fraction: " + text(mmf) +
                 " is not in (0, initial_margin_fraction = " + text(imf) + "]");
    }
    check_margin_tiers(check, field + "margin_tiers", market.margin_tiers);
    check_open_interest_caps(check, field, market);
    check_size_premium(check, field, market);
  }
}

// [margin_policy]'s conditions across keys; each key's own range is declared.
void check_margin_policy(const ConfigChecker& check, const ModelConfig& config) {
  const MarginPolicyParams& policy = config.margin_policy;
  const double max_scale_cap = config_table("margin_policy").key("scale_cap").range.high;
  if (!(policy.scale_cap >= policy.scale_floor && policy.scale_cap <= max_scale_cap)) {
    check.fail("margin_policy.scale_cap: " + text(policy.scale_cap) +
               " is not in [scale_floor = " + text(policy.scale_floor) + ", " + text(max_scale_cap) + "]");
  }
  if (!(policy.garch_alpha >= 0.0 && policy.garch_beta >= 0.0 && policy.garch_alpha + policy.garch_beta < 1.0)) {
    check.fail("margin_policy.garch_alpha, garch_beta: " + text(policy.garch_alpha) + ", " + text(policy.garch_beta) +
               " must be >= 0 with a sum < 1");
  }
  if (policy.kind == MarginPolicyKind::regime_aware) {
    if (policy.regime_scales.size() != config.regime_count()) {
      check.fail("margin_policy.regime_scales: " + std::to_string(policy.regime_scales.size()) +
                 " entries, one per regime expected (" + std::to_string(config.regime_count()) + ")");
    }
    for (std::size_t k = 0; k < policy.regime_scales.size(); ++k) {
      check.positive_finite("margin_policy.regime_scales[" + std::to_string(k) + "]", policy.regime_scales[k]);
    }
    // The platform's filter needs a proper density in every regime.
    for (std::size_t k = 0; k < config.regime_count(); ++k) {
      for (std::size_t m = 0; m < config.regimes.states[k].volatility.size(); ++m) {
        check.positive_finite("regimes.states[" + std::to_string(k) + "].volatility[" + std::to_string(m) +
                                  "] (the regime_aware policy's filter)",
                              config.regimes.states[k].volatility[m]);
      }
    }
  }
}

// Needs run.step_seconds, which validate_regime_model does not see.
void check_jumps_per_step(const ConfigChecker& check, const ModelConfig& config) {
  const double step_days = config.run.step_seconds / seconds_per_day;
  for (std::size_t k = 0; k < config.regimes.states.size(); ++k) {
    const RegimeState& state = config.regimes.states[k];
    const double jumps_per_step = state.jump_intensity_per_day * step_days;
    if (!(jumps_per_step <= max_jumps_per_step)) {
      check.fail("regimes.states[" + std::to_string(k) +
                 "].jump_intensity_per_day: " + text(state.jump_intensity_per_day) + " (regime \"" + state.name +
                 "\") gives " + text(jumps_per_step) + " expected jumps per step of " + text(config.run.step_seconds) +
                 " s; at most " + text(max_jumps_per_step) + " are allowed");
    }
  }
}

// Crosses [[markets]] and [portfolio], so neither module's own check can see it. Runs after both
// are validated: prices, lot sizes and notionals are finite and positive, the spread finite >= 0.
void check_position_sizes(const ConfigChecker& check, const ModelConfig& config) {
  const PortfolioGeneratorParams& portfolio = config.portfolio;
  const double lowest_entry_factor = std::exp(-max_entry_price_normal * portfolio.entry_price_spread);
  for (std::size_t m = 0; m < config.markets.size(); ++m) {
    const MarketSpec& market = config.markets[m];
    const double lots = portfolio.max_notional_usd / (market.lot_size * market.initial_price_usd * lowest_entry_factor);
    if (!(lots < max_position_lots)) {
      check.fail("markets[" + std::to_string(m) + "].lot_size: " + text(market.lot_size) +
                 " is too small: a position of portfolio.max_notional_usd = " + text(portfolio.max_notional_usd) +
                 " at initial_price_usd = " + text(market.initial_price_usd) +
                 " (entry prices down to exp(-8.7 * portfolio.entry_price_spread) of it) could need " + text(lots) +
                 " lots; at most 9e18 fit");
    }
  }
}

}  // namespace

bool is_market(const ModelConfig& config, const std::string& name) {
  for (const MarketSpec& market : config.markets) {
    if (market.name == name) return true;
  }
  return false;
}

// [scenario] (docs/model.md, section 10; docs/config.md): names that exist and windows inside the
// run. The shocks' sizes, which keep every price, depth, oracle and collateral value positive, are
// declared ranges.
void check_scenario(const ConfigChecker& check, const ModelConfig& config) {
  const ScenarioSpec& scenario = config.scenario;
  bool known_regime = false;
  for (const RegimeState& state : config.regimes.states)
    known_regime = known_regime || state.name == scenario.flat_regime;
  if (scenario.base == ScenarioBase::flat && !known_regime)
    check.fail("scenario.flat_regime: \"" + scenario.flat_regime + "\" is not a regime of [[regimes.states]]");
  for (std::size_t i = 0; i < scenario.replays.size(); ++i) {
    const ReplaySeries& replay = scenario.replays[i];
    const std::string field = "scenario.replays[" + std::to_string(i) + "].";
    if (!is_market(config, replay.market))
      check.fail(field + "market: \"" + replay.market + "\" is not a market of [[markets]]");
    for (std::size_t j = 0; j < i; ++j) {
      if (scenario.replays[j].market == replay.market)
        check.fail(field + "market: \"" + replay.market + "\" is replayed twice");
    }
    if (replay.file.empty()) check.fail(field + "file: empty");
    if (replay.column.empty()) check.fail(field + "column: empty");
  }
  for (std::size_t i = 0; i < scenario.shocks.size(); ++i) {
    const ShockSpec& shock = scenario.shocks[i];
    const std::string field = "scenario.shocks[" + std::to_string(i) + "].";
    for (const std::string& market : shock.markets) {
      if (!is_market(config, market)) check.fail(field + "markets: \"" + market + "\" is not a market of [[markets]]");
    }
    // The other keys' ranges are declared, and checked for the keys of the shock's kind.
    check.integer_in(field + "start_step", shock.start_step, 1, config.run.steps,
                     "[1, run.steps = " + std::to_string(config.run.steps) + "]");
    const bool needs_monte_carlo = shock.kind == ShockKind::volatility || shock.kind == ShockKind::correlation;
    // A replay replaces the market's whole Monte Carlo path, noise shocks included.
    for (const ReplaySeries& replay : scenario.replays) {
      const bool named = shock.markets.empty() ||
                         std::find(shock.markets.begin(), shock.markets.end(), replay.market) != shock.markets.end();
      if (needs_monte_carlo && named) {
        check.fail(field + "markets: a " +
                   std::string(shock.kind == ShockKind::volatility ? "volatility" : "correlation") +
                   " shock acts on the Monte Carlo noise, and market \"" + replay.market +
                   "\" is replayed from a file; name only simulated markets");
      }
    }
    if (needs_monte_carlo && scenario.base != ScenarioBase::monte_carlo) {
      check.fail(field + "kind: a " + std::string(shock.kind == ShockKind::volatility ? "volatility" : "correlation") +
                 " shock acts on the Monte Carlo noise, and scenario.base is \"flat\"");
    }
  }
}

void validate_config(const ModelConfig& config) {
  const ConfigChecker check(config);
  // Every key's own range first, so that the checks across keys below see values in range.
  for (const ConfigTable& table : config_tables()) {
    if (!checked_by_module(table)) check_declared_ranges(check, config, table);
  }
  check_markets(check, config.markets);
  check_margin_policy(check, config);
  check_jumps_per_step(check, config);
  validate_regime_model(config.regimes, config.market_count(), config.source_name);
  validate_generator_params(config.portfolio, config.market_count(), config.source_name);
  // After the modules, which check these keys themselves: this catches a declared range that no
  // module checks (a key added since).
  for (const ConfigTable& table : config_tables()) {
    if (checked_by_module(table)) check_declared_ranges(check, config, table);
  }
  check_position_sizes(check, config);
  check_scenario(check, config);
}

}  // namespace margin_stress
