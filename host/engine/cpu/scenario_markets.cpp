#include "host/engine/cpu/scenario_markets.hpp"

#include <algorithm>
#include <cmath>

#include "host/engine/cpu/impact.hpp"
#include "host/engine/cpu/margin_schedule.hpp"

namespace margin_stress::cpu {
namespace {

constexpr double seconds_per_year = 365.0 * 86400.0;

double impact_now(const MarketState& market) {
  return std::fabs(market.market_price_usd / market.fundamental_price_usd - 1.0);
}

}  // namespace

ScenarioMarkets::ScenarioMarkets(const ModelConfig& config, const Book& book)
    : config_(&config),
      dt_years_(config.run.step_seconds / seconds_per_year),
      decay_(temporary_decay_factor(config.impact.temporary_half_life_seconds, config.run.step_seconds)) {
  const std::size_t market_count = config.market_count();
  opening_.assign(market_count, MarketState{});
  for (std::size_t m = 0; m < market_count; ++m) {
    opening_[m].lot_size = config.markets[m].lot_size;
    opening_[m].maintenance_margin_fraction = config.markets[m].maintenance_margin_fraction;
    opening_[m].size_premium_factor = config.markets[m].size_premium_imf_factor;
    opening_[m].per_position = !book.margin_brackets[m].empty() || opening_[m].size_premium_factor > 0.0;
    if (book.margin_brackets[m].empty()) continue;
    opening_[m].tiered = true;
    opening_[m].margin_brackets = book.margin_brackets[m].data();
    opening_[m].margin_bracket_count = book.margin_brackets[m].size();
  }
  effective_depth_usd_.assign(market_count, 0.0);
  previous_mark_.assign(market_count, 0.0);
  observed_returns_.assign(market_count, 0.0);
  previous_scale_.assign(market_count, 1.0);
  if (config.margin_policy.kind == MarginPolicyKind::regime_aware) filter_.emplace(config);
}

void ScenarioMarkets::start(const ScenarioPaths& paths, std::int64_t scenario, std::vector<MarketState>& markets,
                            ScenarioMetrics& metrics) {
  const ModelConfig& config = *config_;
  markets = opening_;
  for (std::size_t m = 0; m < markets.size(); ++m) {
    const MarketSpec& spec = config.markets[m];
    MarketState& market = markets[m];
    const std::size_t at = paths.price_index(scenario, 0, static_cast<std::int64_t>(m));
    market.fundamental_price_usd = paths.fundamental_price_usd[at];
    market.oracle_factor = paths.oracle_factor[at];
    market.policy_variance = initial_ewma_variance(spec.reference_volatility, dt_years_);
    market.initial_margin_fraction = spec.initial_margin_fraction;
    market.reprice(spec);
  }
  schedules_.assign(markets.size(), MarginScaleSchedule(config.margin_policy, config.run.step_seconds));
  if (filter_) regime_probabilities_ = filter_->prior();
  collateral_value_ = paths.collateral_value[paths.regime_index(scenario, 0)];
  metrics.peak_impact.assign(markets.size(), 0.0);
  metrics.max_margin_scale.assign(markets.size(), 0.0);
}

void ScenarioMarkets::open_step(const ScenarioPaths& paths, std::int64_t scenario, std::int64_t t,
                                const std::vector<std::int64_t>& long_lots, std::vector<MarketState>& markets,
                                ScenarioMetrics& metrics) {
  const ModelConfig& config = *config_;
  const MarginPolicyParams& policy = config.margin_policy;
  collateral_value_ = paths.collateral_value[paths.regime_index(scenario, t)];
  any_scale_rose_ = false;
  for (std::size_t m = 0; m < markets.size(); ++m) {
    const MarketSpec& spec = config.markets[m];
    MarketState& market = markets[m];
    const std::size_t at = paths.price_index(scenario, t, static_cast<std::int64_t>(m));
    previous_mark_[m] = market.mark_price_usd;
    market.fundamental_price_usd = paths.fundamental_price_usd[at];
    market.oracle_factor = paths.oracle_factor[at];
    market.temporary_impact *= decay_;
    const double target = filter_ ? regime_margin_scale(policy, regime_probabilities_)
                                  : margin_scale(policy, market.policy_variance, spec.reference_volatility, dt_years_);
    const double previous_scale = market.margin_scale;
    market.margin_scale = schedules_[m].apply(target);
    previous_scale_[m] = t >= 2 ? previous_scale : market.margin_scale;
    any_scale_rose_ = any_scale_rose_ || market.margin_scale > previous_scale_[m];
    market.reprice(spec);
    effective_depth_usd_[m] = spec.depth_usd * paths.depth_multiplier[at];
    metrics.peak_impact[m] = std::max(metrics.peak_impact[m], impact_now(market));
    metrics.max_margin_scale[m] = std::max(metrics.max_margin_scale[m], market.margin_scale);
  }
  // dYdX's OIMF: the imf in force for the whole step, from the opening open interest.
  for (std::size_t m = 0; m < markets.size(); ++m) {
    const MarketSpec& spec = config.markets[m];
    if (spec.open_interest_upper_cap_usd == 0.0) continue;
    MarketState& market = markets[m];
    const double open_interest_usd = static_cast<double>(long_lots[m]) * market.value_per_lot_usd;
    market.initial_margin_fraction =
        open_interest_initial_margin_fraction(spec.initial_margin_fraction, open_interest_usd,
                                              spec.open_interest_lower_cap_usd, spec.open_interest_upper_cap_usd);
    market.reprice(spec);
  }
}

void ScenarioMarkets::apply_round_impact(const std::vector<std::int64_t>& flow_lots, std::vector<MarketState>& markets,
                                         ScenarioMetrics& metrics) const {
  const ModelConfig& config = *config_;
  for (std::size_t m = 0; m < markets.size(); ++m) {
    if (flow_lots[m] != 0) {
      MarketState& market = markets[m];
      const double signed_notional = static_cast<double>(flow_lots[m]) * config.markets[m].lot_size * market.market_price_usd;
      const double impact = banded_impact(market.permanent_impact + market.temporary_impact,
                                          log_impact(config.impact.law, signed_notional, effective_depth_usd_[m]),
                                          config.impact.max_log_deviation);
      market.permanent_impact += config.impact.permanent_fraction * impact;
      market.temporary_impact += (1.0 - config.impact.permanent_fraction) * impact;
      market.reprice(config.markets[m]);
    }
    metrics.peak_impact[m] = std::max(metrics.peak_impact[m], impact_now(markets[m]));
  }
}

void ScenarioMarkets::close_step(std::vector<MarketState>& markets) {
  const ModelConfig& config = *config_;
  for (std::size_t m = 0; m < markets.size(); ++m) {
    MarketState& market = markets[m];
    observed_returns_[m] = std::log(market.mark_price_usd / previous_mark_[m]);
    market.policy_variance = update_policy_variance(config.margin_policy, market.policy_variance, observed_returns_[m],
                                                    config.markets[m].reference_volatility, dt_years_);
  }
  if (filter_) filter_->update(regime_probabilities_, observed_returns_);
}

}  // namespace margin_stress::cpu
