// The complete set of model and run parameters (docs/model.md gives every symbol and default).
// A ModelConfig is plain data: it is filled from TOML by host/io/config_file, checked by
// validate_config, and then read, never changed, by scenario generation and by every engine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace margin_stress {

// One row of a venue's notional bracket table (docs/model.md, "Equity and margin"; Binance's
// "tax brackets"): a position whose notional at the mark is above the previous row's cap and at
// most this row's cap needs maintenance N * maintenance_rate - (the bracket's maintenance amount)
// and initial margin N / max_leverage, both times the margin scale.
struct MarginTier {
  double notional_cap_usd = 0.0;
  double maintenance_rate = 0.0;
  double max_leverage = 0.0;
};

// One perpetual-futures market (docs/model.md, "Markets").
struct MarketSpec {
  std::string name;
  double initial_price_usd = 0.0;            // fundamental and mark price at step 0
  double lot_size = 0.0;                     // base-asset units per lot; quantities are whole lots
  double depth_usd = 0.0;                    // impact depth D: the signed notional whose impact is 1 in log price
  double initial_margin_fraction = 0.0;      // imf, before the margin scale
  double maintenance_margin_fraction = 0.0;  // mmf, before the margin scale; 0 < mmf <= imf <= 1
  double reference_volatility = 0.0;         // sigma_ref, annualised, for the volatility-scaled policy
  // Size-scaled margins (docs/model.md, "Equity and margin"), both off by default. Notional
  // brackets with increasing caps replace imf and mmf in the engine; empty: the linear fractions.
  std::vector<MarginTier> margin_tiers;
  // Open-interest-scaled initial margin (dYdX v4 OIMF): imf rises linearly from the lower cap to
  // 1 at the upper cap of the market's long open notional; both 0: off.
  double open_interest_lower_cap_usd = 0.0;
  double open_interest_upper_cap_usd = 0.0;
  // Drift's size premium: a position of B base units needs the fractions max(r, 0.8 r + f sqrt(B))
  // instead of imf and mmf; f = 0: off.
  double size_premium_imf_factor = 0.0;
};

enum class ImpactLaw { linear, square_root };

// Price impact of liquidation flow (docs/model.md, "Price impact").
struct ImpactParams {
  ImpactLaw law = ImpactLaw::linear;
  double permanent_fraction = 0.5;            // share of each round's impact that never decays
  double temporary_half_life_seconds = 1800;  // half-life of the rest; 0 means gone by the next step
  // Price band: the mark never leaves [F e^-b, F e^b]; a round's impact is truncated at the band.
  double max_log_deviation = 1.0;
};

// full: whole positions; partial: the least fraction that restores initial margin; fixed_fraction:
// a fixed fraction of each position above a notional threshold, the whole position below it or
// when the account was already liquidated earlier in the step (Hyperliquid's partial liquidation
// with its cooldown).
enum class LiquidationMode { full, partial, fixed_fraction };

// Liquidation mechanics (docs/model.md, "Liquidation").
struct LiquidationParams {
  LiquidationMode mode = LiquidationMode::full;
  double fee_rate = 0.005;                         // of the liquidated notional, paid to the insurance fund
  int max_cascade_rounds = 64;                     // a step that reaches this cap is reported, not hidden
  double fixed_fraction = 0.2;                     // fixed_fraction: share of a large position closed at once
  double fixed_fraction_threshold_usd = 100000.0;  // fixed_fraction: positions above this notional
  // The fee rate falls with the account's health: min(fee_rate, max(0, E' / N)) (docs/model.md
  // section 7), so that the fee itself does not push a weak account into bankruptcy.
  bool fee_depends_on_health = false;
  // Hyperliquid's backstop liquidation: an account whose margin equity is below this fraction of its
  // maintenance margin is taken over whole by the platform's backstop vault at the mark, off the
  // book (docs/model.md section 7); 0: off.
  double backstop_fraction = 0.0;
};

// Insurance fund and auto-deleveraging (docs/model.md, "Insurance fund, ADL and bad debt").
struct InsuranceFundParams {
  double initial_balance_usd = 0.0;
  bool auto_deleveraging = true;
};

// How traders answer a margin call (docs/model.md section 7a): when a raise of the margin scale
// leaves an account above maintenance but below its initial margin, it tops up its collateral
// (with this probability, after this delay) or else sells down to its initial margin.
struct TraderResponseParams {
  bool enabled = false;
  double top_up_probability = 0.5;
  std::int64_t top_up_delay_steps = 1;
};

enum class MarginPolicyKind { static_margin, volatility_scaled, regime_aware };
enum class VolatilityEstimator { ewma, garch };
// The price whose log returns the policy observes (docs/model.md section 4): the mark, which
// carries the cascade's own impact, or the index F o, the fundamental price through the oracle.
enum class ObservedPrice { mark, index };

// Dynamic margin policy (docs/model.md, section 4): a raw scale from what the platform observes,
// then clamped, and passed through the anti-procyclicality tools (each off at its default).
struct MarginPolicyParams {
  MarginPolicyKind kind = MarginPolicyKind::volatility_scaled;
  VolatilityEstimator volatility_estimator = VolatilityEstimator::ewma;  // volatility_scaled
  ObservedPrice observe = ObservedPrice::mark;                           // what the estimates observe
  double ewma_lambda = 0.98;  // weight of the previous variance estimate, per step
  double garch_alpha = 0.05;  // the platform's GARCH(1,1) forecast, per step
  double garch_beta = 0.90;
  std::vector<double> regime_scales;  // regime_aware: the scale in each regime, weighted by the filter
  double scale_floor = 1.0;
  double scale_cap = 3.0;
  double stressed_weight = 0.0;            // weight of a stressed volatility in the variance
  double stressed_volatility_ratio = 1.0;  // the stressed volatility as a multiple of the reference
  double buffer = 0.0;                     // held in calm, released as margins rise
  double buffer_release_scale = 1.0;       // the scale above which the buffer is used up
  double max_increase_per_hour = 0.0;      // speed limit on the scale; 0: no limit
  double max_decrease_per_hour = 0.0;
  double announcement_lag_seconds = 0.0;  // a raise takes effect this long after it is decided
};

// One state of the volatility-regime chain (docs/model.md, "Price process").
struct RegimeState {
  std::string name;
  std::vector<double> volatility;       // per market, annualised
  std::vector<double> drift;            // per market, annualised, of the log price before the -sigma^2/2 term
  std::vector<double> jump_mean;        // per market, mean of the log jump size
  std::vector<double> jump_stddev;      // per market, standard deviation of the log jump size
  double jump_intensity_per_day = 0.0;  // arrivals of market-wide jumps
  double depth_multiplier = 1.0;        // scales every market's depth in this regime
  std::vector<double> correlation;      // markets x markets, row-major, of the diffusive shocks
  // Markov-switching GARCH(1,1) variance of the diffusive shocks; alpha = beta = 0: constant volatility.
  double garch_alpha = 0.0;    // weight of the previous step's squared diffusive shock, >= 0
  double garch_beta = 0.0;     // weight of the previous step's variance, >= 0; alpha + beta < 1
  double student_t_dof = 0.0;  // nu > 2: unit-variance multivariate Student-t shocks; 0: normal shocks
};

struct RegimeModel {
  std::vector<RegimeState> states;
  std::vector<double> transition;            // K x K, row-major, per step; rows sum to 1
  std::vector<double> initial_distribution;  // K; empty means the chain's stationary distribution
};

// The synthetic book (docs/model.md, "Synthetic portfolios").
struct PortfolioGeneratorParams {
  std::int64_t accounts = 100000;
  std::uint64_t seed = 1;
  double pareto_alpha = 1.5;                // tail index of account notional
  double min_notional_usd = 1000.0;         // Pareto scale
  double max_notional_usd = 50.0e6;         // truncation
  double multi_market_fraction = 0.25;      // accounts holding 2 or 3 markets on cross margin
  std::vector<double> open_interest_share;  // per market, sums to 1
  std::vector<double> long_fraction;        // per market, probability a position is long
  std::vector<double> leverage_weights;     // probability of each leverage bracket
  std::vector<double> leverage_bounds;      // bracket edges, size = weights + 1, e.g. 1,3,10,25,50,100
  double entry_price_spread = 0.05;         // stddev of log(entry/initial price)
};

// What the scenarios are made of (docs/model.md, section 10): a base (the Monte Carlo regime
// model, or flat prices for fully deterministic committee scenarios), historical replays of named
// markets, and hand-written shocks layered on top.
enum class ScenarioBase { monte_carlo, flat };

enum class ShockKind {
  gap,               // an instant, permanent price move at start_step
  crash,             // a move reached over duration_steps, then held
  v_shape,           // a crash, then a recovery to the pre-shock level over recovery_steps
  volatility,        // diffusive volatility times multiplier (Monte Carlo base)
  depth,             // market depth times multiplier
  correlation,       // diffusive correlation pulled towards 1 by weight (Monte Carlo base)
  oracle_deviation,  // the mark's oracle reads the price times (1 + deviation)
  oracle_stale,      // the mark's oracle is stuck at the price of the step before start_step
  collateral_depeg,  // collateral valued at `value` per dollar
};

enum class ShockShape { linear, exponential };

struct ShockSpec {
  std::string name;  // a label for reports; may be empty
  ShockKind kind = ShockKind::gap;
  std::vector<std::string> markets;       // empty: every market (collateral_depeg takes none)
  std::int64_t start_step = 1;            // first step the shock acts on, 1..run.steps
  std::int64_t duration_steps = 1;        // steps in effect (crash, v_shape: steps down to the bottom)
  std::int64_t recovery_steps = 0;        // v_shape: steps back up
  double size = 0.0;                      // gap, crash, v_shape: fractional price move, > -1 (-0.3 = -30 %)
  ShockShape shape = ShockShape::linear;  // crash, v_shape: linear in price or in log price
  double multiplier = 1.0;                // volatility, depth: > 0
  double weight = 0.0;                    // correlation: in [0, 1]
  double deviation = 0.0;                 // oracle_deviation: > -1
  double value = 1.0;                     // collateral_depeg: in (0, 1]
};

// One market's fundamental price driven by a price file instead of the Monte Carlo model.
struct ReplaySeries {
  std::string market;
  std::string file;  // CSV; a relative path is relative to the config file's directory
  // The price column, or "ohlc": each bar's open, extremes and close when the file has all four
  // columns (docs/model.md, section 10.2), its close otherwise.
  std::string column = "ohlc";
  std::string start_utc;  // ISO 8601 time of step 0, e.g. "2020-03-12T00:00:00Z"
  bool rebase = true;     // scale the path to start at initial_price_usd (else use the file's prices)
};

struct ScenarioSpec {
  ScenarioBase base = ScenarioBase::monte_carlo;
  std::string flat_regime;  // the regime a flat base sits in (its depth multiplier applies)
  std::vector<ReplaySeries> replays;
  std::vector<ShockSpec> shocks;
};

struct RunParams {
  std::int64_t scenarios = 500;
  std::int64_t steps = 288;
  double step_seconds = 300.0;
  std::uint64_t seed = 20261126;
  int threads = 0;  // 0: all hardware threads
};

struct ModelConfig {
  RunParams run;
  std::vector<MarketSpec> markets;
  ImpactParams impact;
  LiquidationParams liquidation;
  InsuranceFundParams insurance_fund;
  TraderResponseParams trader_response;
  MarginPolicyParams margin_policy;
  RegimeModel regimes;
  ScenarioSpec scenario;
  PortfolioGeneratorParams portfolio;
  std::string source_text;  // the TOML text the config was read from, kept for provenance
  std::string source_name;  // its file name, or "built-in default"

  std::size_t market_count() const { return markets.size(); }
  std::size_t regime_count() const { return regimes.states.size(); }
};

}  // namespace margin_stress
