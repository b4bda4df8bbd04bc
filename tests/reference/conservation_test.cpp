// Money is conserved to the cent in every scenario of violent runs, whatever the mechanics
// (docs/model.md, section 9), and the runs really are violent: liquidations, cascades, an
// exhausted fund, ADL and bad debt all happen.
#include <gtest/gtest.h>

#include <cstdlib>

#include "host/engine/cpu/cpu_engine.hpp"
#include "host/io/config_file.hpp"
#include "host/portfolio/generator.hpp"
#include "scenarios/scenario_builder.hpp"
#include "scenarios/validate_config.hpp"

namespace margin_stress {
namespace {

// The default model started in its crisis regime, with a thin fund and a small book.
ModelConfig violent_config() {
  ModelConfig config = default_config();
  config.run.scenarios = 24;
  config.run.steps = 96;
  config.run.threads = 2;
  config.portfolio.accounts = 4000;
  config.insurance_fund.initial_balance_usd = 2000.0;
  const std::size_t regimes = config.regime_count();
  config.regimes.initial_distribution.assign(regimes, 0.0);
  config.regimes.initial_distribution.back() = 1.0;
  for (MarketSpec& market : config.markets) market.depth_usd /= 100.0;
  validate_config(config);
  return config;
}

struct RunTotals {
  std::int64_t liquidations = 0;
  std::int64_t scenarios_with_adl = 0;
  std::int64_t scenarios_with_bad_debt = 0;
  std::int64_t scenarios_exhausted = 0;
  std::int32_t most_rounds = 0;
  std::int64_t margin_calls = 0;
  micro_usd deposits = 0;
  double deleveraged_usd = 0.0;
};

RunTotals check_conservation(const ModelConfig& config) {
  const Portfolio book = generate_portfolio(config.portfolio, config.markets);
  const ScenarioPaths paths = build_scenarios(config, 0, config.run.scenarios);
  const BatchResults results = make_cpu_engine(2)->run(config, book, paths, nullptr);
  RunTotals totals;
  for (std::size_t s = 0; s < results.scenarios.size(); ++s) {
    const ScenarioMetrics& metrics = results.scenarios[s];
    const ScenarioLedger& ledger = metrics.ledger;
    // Exact in integers, so certainly to the cent.
    EXPECT_EQ(ledger.conservation_residual, 0) << "scenario " << s;
    EXPECT_EQ(
        ledger.trader_equity_change + ledger.insurance_fund_change + ledger.liquidity_provider_pnl + ledger.vault_pnl,
        ledger.bad_debt + ledger.deposits)
        << "scenario " << s;
    // The fund's own ledger: fees in, payouts out.
    EXPECT_EQ(ledger.insurance_fund_change, ledger.liquidation_fees - ledger.insurance_payout) << "scenario " << s;
    EXPECT_GE(ledger.bad_debt, 0);
    EXPECT_GE(metrics.insurance_fund_end, 0);
    for (const std::int64_t count : metrics.liquidation_count) totals.liquidations += count;
    totals.scenarios_with_adl += ledger.adl_haircut > 0 ? 1 : 0;
    totals.scenarios_with_bad_debt += ledger.bad_debt > 0 ? 1 : 0;
    totals.scenarios_exhausted += metrics.fund_exhausted;
    totals.most_rounds = std::max(totals.most_rounds, metrics.cascade_rounds_max);
    totals.margin_calls += metrics.margin_calls;
    totals.deposits += ledger.deposits;
    for (const double notional : metrics.deleveraged_notional_usd) totals.deleveraged_usd += notional;
  }
  return totals;
}

TEST(Conservation, FullLiquidationWithAdl) {
  const RunTotals totals = check_conservation(violent_config());
  EXPECT_GT(totals.liquidations, 100);
  EXPECT_GT(totals.most_rounds, 1);
  EXPECT_GT(totals.scenarios_exhausted, 0);
  EXPECT_GT(totals.scenarios_with_adl, 0);
}

TEST(Conservation, WithoutAdlDeficitsBecomeBadDebt) {
  ModelConfig config = violent_config();
  config.insurance_fund.auto_deleveraging = false;
  const RunTotals totals = check_conservation(config);
  EXPECT_GT(totals.scenarios_with_bad_debt, 0);
  EXPECT_EQ(totals.scenarios_with_adl, 0);
}

TEST(Conservation, PartialLiquidationSquareRootImpactScaledMargins) {
  ModelConfig config = violent_config();
  config.liquidation.mode = LiquidationMode::partial;
  config.impact.law = ImpactLaw::square_root;
  config.impact.permanent_fraction = 0.3;
  config.impact.temporary_half_life_seconds = 600.0;
  config.margin_policy.kind = MarginPolicyKind::volatility_scaled;
  config.margin_policy.scale_cap = 5.0;
  for (MarketSpec& market : config.markets) market.depth_usd *= 1.0e4;  // sqrt law: a deeper D for similar moves
  const RunTotals totals = check_conservation(config);
  EXPECT_GT(totals.liquidations, 100);
}

// Traders answering margin calls: deposits are new money, the ledger balances with them; the
// sellers' round moves prices and fills against the liquidity providers like a cascade round.
TEST(Conservation, TradersAnsweringMarginCalls) {
  ModelConfig config = violent_config();
  config.margin_policy.kind = MarginPolicyKind::volatility_scaled;
  config.margin_policy.scale_cap = 5.0;
  config.trader_response.enabled = true;
  config.trader_response.top_up_probability = 0.5;
  config.trader_response.top_up_delay_steps = 1;
  const RunTotals totals = check_conservation(config);
  EXPECT_GT(totals.margin_calls, 0);
  EXPECT_GT(totals.deposits, 0);
  EXPECT_GT(totals.deleveraged_usd, 0.0);
}

// Hyperliquid-like: slices of large positions, whole ones in the cooldown, and the backstop vault
// taking over accounts below 2/3 of maintenance: the vault is a party of the ledger.
TEST(Conservation, FixedFractionLiquidationAndTheBackstopVault) {
  ModelConfig config = violent_config();
  config.liquidation.mode = LiquidationMode::fixed_fraction;
  config.liquidation.fixed_fraction_threshold_usd = 20000.0;
  config.liquidation.backstop_fraction = 2.0 / 3.0;
  config.liquidation.fee_depends_on_health = true;
  const Portfolio book = generate_portfolio(config.portfolio, config.markets);
  const BatchResults results =
      make_cpu_engine(2)->run(config, book, build_scenarios(config, 0, config.run.scenarios), nullptr);
  std::int64_t backstopped = 0;
  for (const ScenarioMetrics& metrics : results.scenarios) {
    EXPECT_EQ(metrics.ledger.conservation_residual, 0);
    backstopped += metrics.backstopped_accounts;
  }
  EXPECT_GT(backstopped, 0);
  const RunTotals totals = check_conservation(config);
  EXPECT_GT(totals.liquidations, 100);
}

}  // namespace
}  // namespace margin_stress
