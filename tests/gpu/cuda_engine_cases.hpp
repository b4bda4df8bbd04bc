// The test cases that hold the CUDA engine to the CPU reference (docs/model.md, "The CUDA
// engine"): the same batch on both must give the same decisions and the same money to the
// micro-dollar, on random books and scenarios, violent cascades with ADL, one account, one
// market, books whose size is not a multiple of the block size, chunked runs, every preset policy
// and committee shocks. Included twice: by tests/gpu/cuda_engine_test.cpp for the engine on a GPU
// (skipped without one), and by tests/emulation/ for its host emulation, which runs everywhere.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "host/analysis/backend_difference.hpp"
#include "host/engine/engine.hpp"
#include "host/io/config_file.hpp"
#include "host/portfolio/generator.hpp"
#include "scenarios/scenario_builder.hpp"
#include "scenarios/validate_config.hpp"
#include "tests/reference/engine_fixture.hpp"

namespace margin_stress {
namespace {

using testing::hand_config;
using testing::hand_paths;
using testing::hand_portfolio;
using testing::HandAccount;

// A file of the repository. The GPU check runs these tests from a bundle built elsewhere, so the
// repository's place may differ from where the tests were built: MARGIN_STRESS_SOURCE_DIR in the
// environment, when set, says where it is now.
std::string source_path(const std::string& relative) {
  const char* moved = std::getenv("MARGIN_STRESS_SOURCE_DIR");
  return std::string(moved != nullptr ? moved : MARGIN_STRESS_SOURCE_DIR) + "/" + relative;
}

// Each including file defines these: whether its CUDA engine can run here, and that engine.
bool cuda_engine_available();
std::unique_ptr<Engine> make_candidate_engine(std::int64_t max_in_flight);

class CudaEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda_engine_available()) GTEST_SKIP() << "no CUDA device is visible (or this build has no CUDA backend)";
  }
};

BatchResults run_cpu_reference(const ModelConfig& config, const Portfolio& portfolio, const ScenarioPaths& paths) {
  EngineOptions options;
  options.backend = Backend::cpu;
  options.threads = 4;
  return make_engine(options)->run(config, portfolio, paths, nullptr);
}

BatchResults run_candidate(const ModelConfig& config, const Portfolio& portfolio, const ScenarioPaths& paths,
                           std::int64_t max_in_flight = 0) {
  return make_candidate_engine(max_in_flight)->run(config, portfolio, paths, nullptr);
}

// Runs the batch on both backends; every metric within tolerance, the ledger identical to the
// micro-dollar, and the decisions identical. Returns the CUDA results.
BatchResults expect_same_as_cpu(const ModelConfig& config, const Portfolio& portfolio, const ScenarioPaths& paths,
                                std::int64_t max_in_flight = 0) {
  const BatchResults cpu = run_cpu_reference(config, portfolio, paths);
  const BatchResults gpu = run_candidate(config, portfolio, paths, max_in_flight);
  const BackendDifference difference =
      compare_backends(cpu, gpu, static_cast<std::int64_t>(portfolio.position_count()));
  for (const MetricDifference& metric : difference.metrics) {
    EXPECT_EQ(metric.beyond, 0) << metric.metric << ": max |diff| " << metric.max_absolute << ", max rel "
                                << metric.max_relative;
  }
  EXPECT_EQ(difference.liquidation_decisions_differing, 0);
  for (std::size_t s = 0; s < cpu.scenarios.size(); ++s) {
    SCOPED_TRACE("scenario " + std::to_string(s));
    const ScenarioLedger& a = cpu.scenarios[s].ledger;
    const ScenarioLedger& b = gpu.scenarios[s].ledger;
    EXPECT_EQ(a.bad_debt, b.bad_debt);
    EXPECT_EQ(a.insurance_payout, b.insurance_payout);
    EXPECT_EQ(a.adl_haircut, b.adl_haircut);
    EXPECT_EQ(a.liquidation_fees, b.liquidation_fees);
    EXPECT_EQ(a.trader_equity_change, b.trader_equity_change);
    EXPECT_EQ(a.liquidity_provider_pnl, b.liquidity_provider_pnl);
    EXPECT_EQ(a.conservation_residual, b.conservation_residual);
    EXPECT_EQ(a.deposits, b.deposits);
    EXPECT_EQ(a.vault_pnl, b.vault_pnl);
    EXPECT_EQ(cpu.scenarios[s].liquidation_count, gpu.scenarios[s].liquidation_count);
  }
  EXPECT_EQ(cpu.series.cascade_rounds, gpu.series.cascade_rounds);
  EXPECT_EQ(cpu.series.mark_price_usd, gpu.series.mark_price_usd);
  return gpu;
}

ModelConfig small_default(std::int64_t accounts, std::int64_t scenarios, std::int64_t steps) {
  ModelConfig config = default_config();
  config.portfolio.accounts = accounts;
  config.run.scenarios = scenarios;
  config.run.steps = steps;
  config.run.threads = 4;
  validate_config(config);
  return config;
}

struct Batch {
  ModelConfig config;
  Portfolio portfolio;
  ScenarioPaths paths;
};

Batch batch_of(ModelConfig config) {
  validate_config(config);
  Batch batch{config, generate_portfolio(config.portfolio, config.markets, 4), {}};
  batch.paths = build_scenarios(batch.config, 0, batch.config.run.scenarios);
  return batch;
}

std::int64_t total_liquidations(const BatchResults& results) {
  std::int64_t total = 0;
  for (const ScenarioMetrics& metrics : results.scenarios) {
    for (const std::int64_t count : metrics.liquidation_count) total += count;
  }
  return total;
}

TEST_F(CudaEngine, DefaultModelOnARandomBook) {
  // 3,001 accounts: not a multiple of the 256-thread block.
  const Batch batch = batch_of(small_default(3001, 24, 96));
  const BatchResults gpu = expect_same_as_cpu(batch.config, batch.portfolio, batch.paths);
  EXPECT_GT(total_liquidations(gpu), 0);
}

TEST_F(CudaEngine, ViolentCascadesWithAdlAndBadDebt) {
  // Thin books, an empty fund, square-root impact and partial liquidation: long cascades, ADL.
  ModelConfig config = small_default(5000, 16, 96);
  for (MarketSpec& market : config.markets) market.depth_usd *= 0.01;
  config.impact.law = ImpactLaw::square_root;
  config.liquidation.mode = LiquidationMode::partial;
  config.insurance_fund.initial_balance_usd = 0.0;
  const Batch batch = batch_of(config);
  const BatchResults gpu = expect_same_as_cpu(batch.config, batch.portfolio, batch.paths);
  micro_usd adl = 0;
  std::int32_t rounds = 0;
  for (const ScenarioMetrics& metrics : gpu.scenarios) {
    adl += metrics.ledger.adl_haircut;
    rounds = std::max(rounds, metrics.cascade_rounds_max);
  }
  EXPECT_GT(adl, 0) << "the case is meant to reach auto-deleveraging";
  EXPECT_GT(rounds, 2) << "the case is meant to cascade";
}

TEST_F(CudaEngine, WithoutAdlAndAtTheRoundCap) {
  ModelConfig config = small_default(4000, 12, 64);
  for (MarketSpec& market : config.markets) market.depth_usd *= 0.005;
  config.insurance_fund.auto_deleveraging = false;
  config.insurance_fund.initial_balance_usd = 0.0;
  config.liquidation.max_cascade_rounds = 2;
  const Batch batch = batch_of(config);
  const BatchResults gpu = expect_same_as_cpu(batch.config, batch.portfolio, batch.paths);
  std::int32_t cap_hits = 0;
  for (const ScenarioMetrics& metrics : gpu.scenarios) cap_hits += metrics.round_cap_hits;
  EXPECT_GT(cap_hits, 0);
}

TEST_F(CudaEngine, OneAccountBankruptByHand) {
  // The account of docs/model.md's worked example: long 10 lots at 100 on 100 USD; the price
  // falls to 88, the account is liquidated and bankrupt, the fund is empty and no one can be
  // deleveraged: bad debt.
  ModelConfig config = hand_config(1, 1e6);
  const Portfolio portfolio = hand_portfolio(config, {HandAccount{100.0, {{0, 10, 100.0}}}});
  const ScenarioPaths paths = hand_paths({{{100.0}, {95.0}, {88.0}, {90.0}}});
  const BatchResults gpu = expect_same_as_cpu(config, portfolio, paths);
  EXPECT_GT(gpu.scenarios[0].ledger.bad_debt, 0);
}

TEST_F(CudaEngine, OneMarketManyAccountsDepeggedCollateralAndOracleDeviation) {
  ModelConfig config = hand_config(1, 2e6);
  config.liquidation.mode = LiquidationMode::partial;
  config.insurance_fund.initial_balance_usd = 500.0;
  std::mt19937_64 random(11);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<HandAccount> accounts;
  for (int a = 0; a < 777; ++a) {
    const auto lots = static_cast<std::int64_t>(1 + 40 * unit(random)) * (unit(random) < 0.5 ? -1 : 1);
    accounts.push_back(
        {std::fabs(static_cast<double>(lots)) * 100.0 * (0.07 + 0.2 * unit(random)), {{0, lots, 100.0}}});
  }
  const Portfolio portfolio = hand_portfolio(config, accounts);
  std::vector<std::vector<std::vector<double>>> prices(3);
  for (auto& scenario : prices) {
    double price = 100.0;
    for (int t = 0; t <= 40; ++t) {
      scenario.push_back({price});
      price *= std::exp(0.03 * (unit(random) - 0.5));
    }
  }
  ScenarioPaths paths = hand_paths(prices);
  for (std::size_t i = 0; i < paths.oracle_factor.size(); ++i) paths.oracle_factor[i] = 0.99 + 0.02 * unit(random);
  for (std::size_t i = 10; i < 20; ++i) paths.collateral_value[i] = 0.9;  // scenario 0, steps 10 to 19
  const BatchResults gpu = expect_same_as_cpu(config, portfolio, paths);
  EXPECT_GT(total_liquidations(gpu), 0);
}

TEST_F(CudaEngine, ChunkedRunsEqualOneTileAndTheCpu) {
  const Batch batch = batch_of(small_default(2000, 37, 48));
  const BatchResults chunked = expect_same_as_cpu(batch.config, batch.portfolio, batch.paths, 4);
  const BatchResults whole = run_candidate(batch.config, batch.portfolio, batch.paths);
  EXPECT_EQ(chunked.series.mark_price_usd, whole.series.mark_price_usd);
  EXPECT_EQ(chunked.series.insurance_fund_usd, whole.series.insurance_fund_usd);
  for (std::size_t s = 0; s < whole.scenarios.size(); ++s) {
    EXPECT_EQ(chunked.scenarios[s].ledger.trader_equity_change, whole.scenarios[s].ledger.trader_equity_change);
  }
}

TEST_F(CudaEngine, ScenarioAloneEqualsScenarioInTheBatch) {
  const Batch batch = batch_of(small_default(2000, 20, 48));
  const BatchResults all = run_candidate(batch.config, batch.portfolio, batch.paths);
  for (const std::int64_t s : {0, 7, 19}) {
    const ScenarioPaths alone_paths = build_scenarios(batch.config, s, 1);
    const BatchResults alone = run_candidate(batch.config, batch.portfolio, alone_paths);
    const ScenarioMetrics& a = alone.scenarios[0];
    const ScenarioMetrics& b = all.scenarios[static_cast<std::size_t>(s)];
    EXPECT_EQ(a.ledger.trader_equity_change, b.ledger.trader_equity_change) << s;
    EXPECT_EQ(a.ledger.liquidation_fees, b.ledger.liquidation_fees) << s;
    EXPECT_EQ(a.liquidation_count, b.liquidation_count) << s;
    EXPECT_EQ(a.liquidated_notional_usd, b.liquidated_notional_usd) << s;
  }
}

// A book loaded once and run in batches (as `run` does between checkpoints, with the book left on
// the device) gives every scenario the bits one batch gives it.
TEST_F(CudaEngine, OneLoadedBookRunsBatchesAsOneBatch) {
  const Batch batch = batch_of(small_default(2000, 20, 48));
  const BatchResults whole = run_candidate(batch.config, batch.portfolio, batch.paths);
  const std::unique_ptr<Engine> engine = make_candidate_engine(0);
  const std::unique_ptr<LoadedBook> book = engine->load(batch.config, batch.portfolio);
  EXPECT_GE(book->scenarios_in_parallel(), 1);
  for (const auto& [first, count] : {std::pair<std::int64_t, std::int64_t>{0, 7}, {7, 6}, {13, 7}}) {
    const BatchResults part = book->run(build_scenarios(batch.config, first, count), nullptr);
    ASSERT_EQ(part.first_scenario, first);
    for (std::int64_t s = 0; s < count; ++s) {
      const ScenarioMetrics& a = part.scenarios[static_cast<std::size_t>(s)];
      const ScenarioMetrics& b = whole.scenarios[static_cast<std::size_t>(first + s)];
      EXPECT_EQ(std::memcmp(&a.ledger, &b.ledger, sizeof a.ledger), 0) << "scenario " << first + s;
      EXPECT_EQ(a.liquidated_notional_usd, b.liquidated_notional_usd) << "scenario " << first + s;
      EXPECT_EQ(a.insurance_fund_min, b.insurance_fund_min) << "scenario " << first + s;
      for (std::int64_t t = 0; t < batch.config.run.steps; ++t) {
        EXPECT_EQ(part.series.insurance_fund_usd[part.series.step_index(s, t)],
                  whole.series.insurance_fund_usd[whole.series.step_index(first + s, t)]);
      }
    }
  }
}

// Every preset policy (volatility-scaled, GARCH, regime-aware, buffers, lags, Binance brackets,
// dYdX open-interest scaling) on a small book: the policy arithmetic runs on the host for both
// engines, but brackets and open-interest margins reach the kernels.
TEST_F(CudaEngine, EveryPresetPolicy) {
  for (const char* preset :
       {"static", "volatility-ewma", "volatility-garch", "regime-aware", "emir-buffer", "emir-stressed-weight",
        "announced-raises", "binance-like-tiers", "dydx-like-oimf", "hyperliquid-like", "drift-like"}) {
    SCOPED_TRACE(preset);
    ModelConfig config = load_config_file(source_path(std::string("scenarios/presets/policies/") + preset + ".toml"));
    config.portfolio.accounts = 1500;
    config.run.scenarios = 6;
    config.run.steps = 48;
    const Batch batch = batch_of(config);
    expect_same_as_cpu(batch.config, batch.portfolio, batch.paths);
  }
}

// Open-interest-scaled initial margin that binds: caps around the book's own open interest, so
// every liquidated long lowers the next step's imf, and partial liquidation reads it.
TEST_F(CudaEngine, OpenInterestScaledMarginsThatBind) {
  ModelConfig config = load_config_file(source_path("scenarios/presets/policies/dydx-like-oimf.toml"));
  config.portfolio.accounts = 3000;
  config.run.scenarios = 8;
  config.run.steps = 96;
  config.liquidation.mode = LiquidationMode::partial;
  for (MarketSpec& market : config.markets) market.depth_usd *= 0.02;
  validate_config(config);
  Batch batch = batch_of(config);
  std::vector<double> long_open_interest_usd(batch.config.market_count(), 0.0);
  for (std::size_t p = 0; p < batch.portfolio.position_count(); ++p) {
    const auto m = static_cast<std::size_t>(batch.portfolio.market_index[p]);
    if (batch.portfolio.quantity_lots[p] > 0) {
      long_open_interest_usd[m] += static_cast<double>(batch.portfolio.quantity_lots[p]) *
                                   batch.config.markets[m].lot_size * batch.config.markets[m].initial_price_usd;
    }
  }
  for (std::size_t m = 0; m < batch.config.market_count(); ++m) {
    batch.config.markets[m].open_interest_lower_cap_usd = 0.8 * long_open_interest_usd[m];
    batch.config.markets[m].open_interest_upper_cap_usd = 1.2 * long_open_interest_usd[m];
  }
  validate_config(batch.config);
  const BatchResults gpu = expect_same_as_cpu(batch.config, batch.portfolio, batch.paths);
  EXPECT_GT(total_liquidations(gpu), 0);
}

// The GPU check's demanding case (bench/verify-demanding.toml) on a smaller book: cascades to the
// round cap, bankruptcies and ADL in every scenario.
TEST_F(CudaEngine, DemandingVerifyCase) {
  ModelConfig config = load_config_file(source_path("bench/verify-demanding.toml"));
  config.portfolio.accounts = 20000;
  config.run.scenarios = 6;
  const Batch batch = batch_of(config);
  const BatchResults gpu = expect_same_as_cpu(batch.config, batch.portfolio, batch.paths, 4);
  for (const ScenarioMetrics& metrics : gpu.scenarios) EXPECT_GT(metrics.ledger.adl_haircut, 0);
}

// Hyperliquid's fixed-fraction liquidation with its cooldown, on a violent book: slices of large
// positions, then whole positions in later rounds of the same step; with a flat fee, then with a
// health-dependent fee and the backstop vault.
TEST_F(CudaEngine, FixedFractionLiquidationOnAViolentBook) {
  ModelConfig config = small_default(5000, 12, 96);
  for (MarketSpec& market : config.markets) market.depth_usd *= 0.01;
  config.liquidation.mode = LiquidationMode::fixed_fraction;
  config.liquidation.fixed_fraction = 0.2;
  config.liquidation.fixed_fraction_threshold_usd = 20000.0;
  config.insurance_fund.initial_balance_usd = 0.0;
  for (const bool health_fee : {false, true}) {
    SCOPED_TRACE(health_fee);
    config.liquidation.fee_depends_on_health = health_fee;
    config.liquidation.backstop_fraction = health_fee ? 2.0 / 3.0 : 0.0;  // the second run with the backstop vault
    config.liquidation.fee_rate = 0.02;
    const Batch batch = batch_of(config);
    const BatchResults gpu = expect_same_as_cpu(batch.config, batch.portfolio, batch.paths);
    EXPECT_GT(total_liquidations(gpu), 0);
    std::int64_t backstopped = 0;
    for (const ScenarioMetrics& metrics : gpu.scenarios) backstopped += metrics.backstopped_accounts;
    EXPECT_EQ(backstopped > 0, health_fee) << "the vault takes accounts over exactly when it is on";
  }
}

// Margin calls and the traders' answer (docs/model.md section 7a): every kind of answer, a late
// deposit dropped after a liquidation, on hand-made paths; then on a random book in a flash crash
// with a volatility-scaled policy, chunked.
TEST_F(CudaEngine, TradersAnsweringMarginCalls) {
  for (const double probability : {0.0, 1.0, 0.5}) {
    SCOPED_TRACE(probability);
    const ModelConfig config = testing::raising_margin_config(probability, 2);
    std::vector<HandAccount> accounts;
    for (int a = 0; a < 300; ++a) {
      accounts.push_back({220.0 + a % 7 * 10.0, {{0, 10, 100.0}}});
      accounts.push_back({50.0 + a % 5 * 10.0, {{0, -10, 100.0}}});
    }
    const BatchResults gpu = expect_same_as_cpu(config, hand_portfolio(config, accounts),
                                                hand_paths({{{100.0}, {90.0}, {90.0}, {80.0}, {80.0}, {80.0}},
                                                            {{100.0}, {90.0}, {95.0}, {90.0}, {85.0}, {86.0}},
                                                            // Deposits due at step 4 save longs from its fall.
                                                            {{100.0}, {90.0}, {90.0}, {90.0}, {83.0}, {83.0}}}));
    EXPECT_GT(gpu.scenarios[0].margin_calls, 0);
  }
}

TEST_F(CudaEngine, TradersAnsweringMarginCallsOnARandomBook) {
  ModelConfig config = load_config_file(source_path("scenarios/presets/shocks/flash-crash-30.toml"));
  config.portfolio.accounts = 3000;
  config.run.scenarios = 10;
  config.run.steps = 48;
  config.trader_response.enabled = true;
  config.trader_response.top_up_probability = 0.4;
  config.trader_response.top_up_delay_steps = 2;
  const Batch batch = batch_of(config);
  const BatchResults gpu = expect_same_as_cpu(batch.config, batch.portfolio, batch.paths, 4);
  std::int64_t calls = 0;
  micro_usd deposits = 0;
  double sold = 0.0;
  for (const ScenarioMetrics& metrics : gpu.scenarios) {
    calls += metrics.margin_calls;
    deposits += metrics.ledger.deposits;
    for (const double notional : metrics.deleveraged_notional_usd) sold += notional;
    EXPECT_EQ(metrics.ledger.conservation_residual, 0);
  }
  EXPECT_GT(calls, 0);
  EXPECT_GT(deposits, 0);
  EXPECT_GT(sold, 0.0);
}

// A policy that observes the index (docs/model.md section 4, margin_policy.observe): the host's
// ScenarioMarkets feeds both engines the same returns, so the scales, and the decisions that follow
// from them, agree; the case first checks that the setting changes the scales at all.
TEST_F(CudaEngine, PolicyObservingTheIndexInACascade) {
  ModelConfig config = load_config_file(source_path("scenarios/presets/shocks/flash-crash-30.toml"));
  config.portfolio.accounts = 2500;
  config.run.scenarios = 6;
  config.run.steps = 48;
  for (MarketSpec& market : config.markets) market.depth_usd *= 0.05;
  config.margin_policy.scale_cap = 100.0;
  Batch batch = batch_of(config);
  const BatchResults observing_mark = run_cpu_reference(batch.config, batch.portfolio, batch.paths);
  batch.config.margin_policy.observe = ObservedPrice::index;
  const BatchResults gpu = expect_same_as_cpu(batch.config, batch.portfolio, batch.paths, 4);
  EXPECT_GT(total_liquidations(gpu), 0);
  EXPECT_NE(gpu.series.margin_scale, observing_mark.series.margin_scale);
}

// Committee shocks: a crash with a stale oracle, a stablecoin depeg, an oracle manipulation.
TEST_F(CudaEngine, ShockPresets) {
  for (const char* preset : {"stale-oracle-crash", "stablecoin-depeg", "oracle-manipulation", "flash-crash-30"}) {
    SCOPED_TRACE(preset);
    ModelConfig config = load_config_file(source_path(std::string("scenarios/presets/shocks/") + preset + ".toml"));
    config.portfolio.accounts = 2000;
    config.run.scenarios = 4;
    const Batch batch = batch_of(config);
    expect_same_as_cpu(batch.config, batch.portfolio, batch.paths);
  }
}

}  // namespace
}  // namespace margin_stress
