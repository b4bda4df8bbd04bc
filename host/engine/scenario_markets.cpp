#include "host/engine/scenario_markets.hpp"

#include <algorithm>
#include <cmath>

#include "host/model/formulas/impact.hpp"
#include "host/model/formulas/size_scaled_margins.hpp"

namespace margin_stress {
namespace {

double impact_now(const MarketState& market) {
  return std::fabs(market.market_price_usd / market.fundamental_price_usd - 1.0);
}

// The price the policy observes (docs/model.md section 4). Without impact the two are the same
// double: X = F exp(0) = F, so M = F o.
double observed_price(ObservedPrice observe, const MarketState& market) {
  return observe == ObservedPrice::mark ? market.mark_price_usd : market.fundamental_price_usd * market.oracle_factor;
}

}  // namespace

ScenarioMarkets::ScenarioMarkets(const ModelConfig& config, const Book& book)
    : config_(&config),
      decay_(formulas::temporary_decay_factor(config.impact.temporary_half_life_seconds, config.run.step_seconds)),
      policy_(config) {
  const std::size_t market_count = config.market_count();
  opening_.assign(market_count, MarketState{});
  for (std::size_t m = 0; m < market_count; ++m) {
    static_cast<formulas::MarketTerms&>(opening_[m]) =
        formulas::constant_terms(config.markets[m], book.margin_brackets[m]);
  }
  effective_depth_usd_.assign(market_count, 0.0);
  previous_observed_price_.assign(market_count, 0.0);
  observed_returns_.assign(market_count, 0.0);
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
    market.initial_margin_fraction = spec.initial_margin_fraction;
    market.reprice(spec);
  }
  policy_.reset();
  collateral_value_ = paths.collateral_value[paths.regime_index(scenario, 0)];
  metrics.peak_impact.assign(markets.size(), 0.0);
  metrics.max_margin_scale.assign(markets.size(), 0.0);
}

void ScenarioMarkets::open_step(const ScenarioPaths& paths, std::int64_t scenario, std::int64_t t,
                                const std::vector<std::int64_t>& long_lots, std::vector<MarketState>& markets,
                                ScenarioMetrics& metrics) {
  const ModelConfig& config = *config_;
  collateral_value_ = paths.collateral_value[paths.regime_index(scenario, t)];
  any_scale_rose_ = false;
  for (std::size_t m = 0; m < markets.size(); ++m) {
    const MarketSpec& spec = config.markets[m];
    MarketState& market = markets[m];
    const std::size_t at = paths.price_index(scenario, t, static_cast<std::int64_t>(m));
    previous_observed_price_[m] = observed_price(config.margin_policy.observe, market);
    market.fundamental_price_usd = paths.fundamental_price_usd[at];
    market.oracle_factor = paths.oracle_factor[at];
    market.temporary_impact *= decay_;
    const double previous_scale = market.margin_scale;
    market.margin_scale = policy_.next_scale(m);
    market.previous_margin_scale = t >= 2 ? previous_scale : market.margin_scale;
    any_scale_rose_ = any_scale_rose_ || market.margin_scale > market.previous_margin_scale;
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
    market.initial_margin_fraction = formulas::open_interest_initial_margin_fraction(
        spec.initial_margin_fraction, open_interest_usd, spec.open_interest_lower_cap_usd,
        spec.open_interest_upper_cap_usd);
    market.reprice(spec);
  }
}

void ScenarioMarkets::apply_round_impact(const std::vector<std::int64_t>& flow_lots, std::vector<MarketState>& markets,
                                         ScenarioMetrics& metrics) const {
  const ModelConfig& config = *config_;
  for (std::size_t m = 0; m < markets.size(); ++m) {
    if (flow_lots[m] != 0) {
      MarketState& market = markets[m];
      const double signed_notional =
          static_cast<double>(flow_lots[m]) * config.markets[m].lot_size * market.market_price_usd;
      const double impact =
          formulas::banded_impact(market.permanent_impact + market.temporary_impact,
                                  formulas::log_impact(config.impact.law, signed_notional, effective_depth_usd_[m]),
                                  config.impact.max_log_deviation);
      market.permanent_impact += config.impact.permanent_fraction * impact;
      market.temporary_impact += (1.0 - config.impact.permanent_fraction) * impact;
      market.reprice(config.markets[m]);
    }
    metrics.peak_impact[m] = std::max(metrics.peak_impact[m], impact_now(markets[m]));
  }
}

void ScenarioMarkets::close_step(const std::vector<MarketState>& markets) {
  for (std::size_t m = 0; m < markets.size(); ++m) {
    observed_returns_[m] =
        std::log(observed_price(config_->margin_policy.observe, markets[m]) / previous_observed_price_[m]);
  }
  policy_.observe(observed_returns_);
}

}  // namespace margin_stress
