// Same seed, same bits: independent of the thread count, of the batch a scenario runs in, and of
// how many times it is run (docs/model.md, section 13).
#include <gtest/gtest.h>

#include <cstring>

#include "host/engine/cpu/cpu_engine.hpp"
#include "host/io/config_file.hpp"
#include "host/portfolio/generator.hpp"
#include "scenarios/scenario_builder.hpp"
#include "scenarios/validate_config.hpp"

namespace margin_stress {
namespace {

ModelConfig small_config() {
  ModelConfig config = default_config();
  config.run.scenarios = 6;
  config.run.steps = 64;
  config.portfolio.accounts = 3000;
  config.insurance_fund.initial_balance_usd = 5000.0;
  config.regimes.initial_distribution.assign(config.regime_count(), 0.0);
  config.regimes.initial_distribution[config.regime_count() - 2] = 1.0;  // start stressed
  for (MarketSpec& market : config.markets) market.depth_usd /= 50.0;
  validate_config(config);
  return config;
}

template <typename T>
bool same_bits(const std::vector<T>& x, const std::vector<T>& y) {
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(T)) == 0);
}

// Scenario s of `x` against scenario t of `y`, every field and every series value bit for bit.
void expect_same_scenario(const BatchResults& x, std::int64_t s, const BatchResults& y, std::int64_t t) {
  const ScenarioMetrics& a = x.scenarios[static_cast<std::size_t>(s)];
  const ScenarioMetrics& b = y.scenarios[static_cast<std::size_t>(t)];
  EXPECT_EQ(std::memcmp(&a.ledger, &b.ledger, sizeof a.ledger), 0);
  EXPECT_EQ(a.insurance_fund_min, b.insurance_fund_min);
  EXPECT_EQ(a.insurance_fund_end, b.insurance_fund_end);
  EXPECT_EQ(std::memcmp(&a.adl_notional_usd, &b.adl_notional_usd, sizeof(double)), 0);
  EXPECT_EQ(a.cascade_rounds_total, b.cascade_rounds_total);
  EXPECT_EQ(a.round_cap_hits, b.round_cap_hits);
  EXPECT_TRUE(same_bits(a.liquidated_notional_usd, b.liquidated_notional_usd));
  EXPECT_TRUE(same_bits(a.liquidation_count, b.liquidation_count));
  EXPECT_TRUE(same_bits(a.peak_impact, b.peak_impact));
  EXPECT_TRUE(same_bits(a.max_margin_scale, b.max_margin_scale));
  const StepSeries& u = x.series;
  const StepSeries& v = y.series;
  for (std::int64_t step = 0; step < u.steps; ++step) {
    EXPECT_EQ(u.cascade_rounds[u.step_index(s, step)], v.cascade_rounds[v.step_index(t, step)]);
    EXPECT_EQ(u.insurance_fund_usd[u.step_index(s, step)], v.insurance_fund_usd[v.step_index(t, step)]);
    for (std::int64_t m = 0; m < u.markets; ++m) {
      EXPECT_EQ(u.mark_price_usd[u.market_index(s, step, m)], v.mark_price_usd[v.market_index(t, step, m)]);
      EXPECT_EQ(u.margin_scale[u.market_index(s, step, m)], v.margin_scale[v.market_index(t, step, m)]);
      EXPECT_EQ(u.open_notional_usd[u.market_index(s, step, m)], v.open_notional_usd[v.market_index(t, step, m)]);
      EXPECT_EQ(u.initial_margin_usd[u.market_index(s, step, m)], v.initial_margin_usd[v.market_index(t, step, m)]);
    }
  }
}

TEST(Determinism, ThreadCountDoesNotChangeABit) {
  const ModelConfig config = small_config();
  const Portfolio book = generate_portfolio(config.portfolio, config.markets);
  const ScenarioPaths paths = build_scenarios(config, 0, config.run.scenarios);
  const BatchResults one = make_cpu_engine(1)->run(config, book, paths, nullptr);
  const BatchResults three = make_cpu_engine(3)->run(config, book, paths, nullptr);
  std::int64_t liquidations = 0;
  for (const ScenarioMetrics& metrics : one.scenarios) {
    for (const std::int64_t count : metrics.liquidation_count) liquidations += count;
  }
  ASSERT_GT(liquidations, 0) << "the scenarios must do something for the comparison to mean anything";
  for (std::int64_t s = 0; s < config.run.scenarios; ++s) expect_same_scenario(one, s, three, s);
  EXPECT_TRUE(same_bits(one.series.mark_price_usd, three.series.mark_price_usd));
  EXPECT_TRUE(same_bits(one.series.liquidated_notional_usd, three.series.liquidated_notional_usd));
}

TEST(Determinism, ScenarioAloneEqualsScenarioInBatch) {
  const ModelConfig config = small_config();
  const Portfolio book = generate_portfolio(config.portfolio, config.markets);
  const BatchResults batch =
      make_cpu_engine(2)->run(config, book, build_scenarios(config, 0, config.run.scenarios), nullptr);
  for (const std::int64_t s : {std::int64_t{0}, std::int64_t{3}, std::int64_t{5}}) {
    const BatchResults alone = make_cpu_engine(1)->run(config, book, build_scenarios(config, s, 1), nullptr);
    ASSERT_EQ(alone.first_scenario, s);
    expect_same_scenario(batch, s, alone, 0);
  }
}

TEST(Determinism, DifferentSeedsGiveDifferentRuns) {
  ModelConfig config = small_config();
  const Portfolio book = generate_portfolio(config.portfolio, config.markets);
  const BatchResults first = make_cpu_engine(2)->run(config, book, build_scenarios(config, 0, 2), nullptr);
  config.run.seed += 1;
  const BatchResults second = make_cpu_engine(2)->run(config, book, build_scenarios(config, 0, 2), nullptr);
  EXPECT_FALSE(same_bits(first.series.mark_price_usd, second.series.mark_price_usd));
}

}  // namespace
}  // namespace margin_stress
