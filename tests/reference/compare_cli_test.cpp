// Policy comparison on common random numbers (docs/compare.md), end to end: on the CPU engine with
// a hand-made violent path whose ordering is known by construction, the policy files layered over
// a base config and the refusal of one that would change the scenarios, and `margin-stress compare`
// as a user runs it (table, CSV, exit codes).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "host/analysis/comparison.hpp"
#include "host/cli/compare_command.hpp"
#include "host/io/config_file.hpp"
#include "host/io/config_writer.hpp"
#include "host/io/policy_file.hpp"
#include "host/model/config_schema.hpp"
#include "host/model/input_error.hpp"
#include "tests/reference/cli_runner.hpp"
#include "tests/reference/engine_fixture.hpp"
#include "tests/unit/config_schema_testing.hpp"

namespace margin_stress {
namespace {

using testing::expect_contains;
using testing::Outcome;
using testing::read_csv;
using testing::read_text;
using testing::run_cli;

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// On the engine.
//
// One market without impact (depth 1e300), imf 10 %, no fee (which would feed the fund), the fund
// empty and no ADL, so every deficit is bad debt. Three accounts long 10 lots at 100 with collateral 100, 200 and 50 (K
// = -900, -800, -950; equity 10 P - 900, 10 P - 800, 10 P - 950). Policy A has mmf 5 %, policy B 8 % (maintenance
// margins 0.5 P and 0.8 P). Paths, three scenarios of two steps:
//   s0: 100, 96, 70.  At 96 B closes the 100-collateral account (60 < 76.8), A does not
//       (60 >= 48); both close the 50-collateral one (10 < 48: no deficit).
//       At 70 the rest are closed at a loss: A owes 200 + 100 = 300, B only 100.
//   s1: 100, 99, 98.  Nothing is liquidated: 0 and 0.
//   s2: 100, 95, 60.  At 95 B closes the 100-collateral account (50 < 76), A does not (50 >= 47.5);
//       both close the 50-collateral one at equity 0 (no deficit). At 60: A owes 300 + 200 = 500,
//       B 200.
// The higher maintenance fraction liquidates earlier on falling prices, so its bad debt is lower
// or equal in every scenario: d = B - A = {-200, 0, -300}, mean -500/3, squared deviations
// (100/3)^2 + (500/3)^2 + (400/3)^2 = 420000/9, variance 210000/9, SE = sqrt(70000) / 3.
ModelConfig violent_config(double maintenance_fraction) {
  ModelConfig config = testing::hand_config(1, 1e300);
  config.markets[0].maintenance_margin_fraction = maintenance_fraction;
  config.liquidation.fee_rate = 0.0;
  config.insurance_fund.initial_balance_usd = 0.0;
  config.insurance_fund.auto_deleveraging = false;
  return config;
}

PolicyScenarioMetrics run_policy(const ModelConfig& config) {
  const Portfolio book =
      testing::hand_portfolio(config, {{100.0, {{0, 10, 100.0}}}, {200.0, {{0, 10, 100.0}}}, {50.0, {{0, 10, 100.0}}}});
  const ScenarioPaths paths =
      testing::hand_paths({{{100.0}, {96.0}, {70.0}}, {{100.0}, {99.0}, {98.0}}, {{100.0}, {95.0}, {60.0}}});
  PolicyScenarioMetrics metrics;
  append_policy_scenario_metrics(testing::run_cpu(config, book, paths), config.run.step_seconds, metrics);
  return metrics;
}

TEST(CompareOnTheEngine, AHigherMaintenanceFractionNeverHasMoreBadDebt) {
  const PolicyScenarioMetrics loose = run_policy(violent_config(0.05));
  const PolicyScenarioMetrics tight = run_policy(violent_config(0.08));
  ASSERT_EQ(loose.bad_debt_usd, (std::vector<double>{300.0, 0.0, 500.0}));  // the path is violent enough
  EXPECT_EQ(tight.bad_debt_usd, (std::vector<double>{100.0, 0.0, 200.0}));
  for (std::size_t s = 0; s < loose.bad_debt_usd.size(); ++s) {
    EXPECT_LE(tight.bad_debt_usd[s], loose.bad_debt_usd[s]) << "scenario " << s;
  }
  const BaselineComparison against = compare_to_baseline(tight, loose, 100, bootstrap_seed);
  const PairedDifference& bad_debt = against.means[1];
  ASSERT_EQ(bad_debt.metric, "bad_debt_usd");
  // No fund, no ADL, no vault here: the platform's loss is its bad debt.
  EXPECT_EQ(tight.platform_loss_usd, tight.bad_debt_usd);
  EXPECT_EQ(against.means[0].mean_difference, bad_debt.mean_difference);
  EXPECT_DOUBLE_EQ(bad_debt.mean_difference, -500.0 / 3.0);
  EXPECT_DOUBLE_EQ(bad_debt.standard_error, std::sqrt(70000.0) / 3.0);
  EXPECT_DOUBLE_EQ(bad_debt.t_statistic, (-500.0 / 3.0) / (std::sqrt(70000.0) / 3.0));
  // The worst scenario's bad debt (VaR 99 % of three scenarios is the largest): 200 - 500.
  EXPECT_EQ(against.bad_debt_tail[0].difference, -300.0);
}

TEST(CompareOnTheEngine, APolicyAgainstItselfDiffersByExactlyZero) {
  const PolicyScenarioMetrics first = run_policy(violent_config(0.05));
  const PolicyScenarioMetrics second = run_policy(violent_config(0.05));
  ASSERT_GT(first.bad_debt_usd[0], 0.0);
  const BaselineComparison against = compare_to_baseline(second, first, 100, bootstrap_seed);
  for (const PairedDifference& d : against.means) {
    EXPECT_EQ(d.mean_difference, 0.0) << d.metric;
    EXPECT_EQ(d.standard_error, 0.0) << d.metric;
  }
  for (const TailDifference& tail : against.bad_debt_tail) {
    EXPECT_EQ(tail.difference, 0.0) << tail.statistic;
    EXPECT_EQ(tail.bootstrap_standard_error, 0.0) << tail.statistic;
  }
}

// ---------------------------------------------------------------------------------------------
// Policy files over a base config, and the CLI.

std::string preset(const std::string& relative) {
  return std::string(MARGIN_STRESS_SOURCE_DIR) + "/scenarios/presets/" + relative;
}

class CompareTest : public testing::ScratchDirectoryTest {
 protected:
  void SetUp() override {
    ScratchDirectoryTest::SetUp();
    // Small enough for seconds: 2000 accounts, 6 scenarios of 16 steps of 15 minutes.
    base_ = write_file("base.toml", "[run]\nscenarios = 6\nsteps = 16\nthreads = 2\n[portfolio]\naccounts = 2000\n");
  }
  // The default markets as a [[markets]] array, with every maintenance fraction times `factor`
  // and, for market `changed_market`, `changed_key = changed_value` instead of its own.
  static std::string markets_toml(double factor, const std::string& changed_key = "", std::size_t changed_market = 0,
                                  const std::string& changed_value = "") {
    std::string text;
    const ModelConfig defaults = default_config();
    for (std::size_t m = 0; m < defaults.markets.size(); ++m) {
      const MarketSpec& market = defaults.markets[m];
      const auto line = [&](const std::string& key, double value) {
        char number[64];
        std::snprintf(number, sizeof number, "%.17g", value);
        const bool changed = key == changed_key && m == changed_market;
        return key + " = " + (changed ? changed_value : std::string(number)) + "\n";
      };
      text += "[[markets]]\nname = \"" + market.name + "\"\n" + line("initial_price_usd", market.initial_price_usd) +
              line("lot_size", market.lot_size) + line("depth_usd", market.depth_usd) +
              line("initial_margin_fraction", market.initial_margin_fraction) +
              line("maintenance_margin_fraction", market.maintenance_margin_fraction * factor) +
              line("reference_volatility", market.reference_volatility);
    }
    return text;
  }
  std::string refusal(const std::string& policy_text) const {
    const std::string policy = write_file("refused.toml", policy_text);
    try {
      load_policy_config(load_config_file(base_), policy);
    } catch (const InputError& error) {
      return error.what();
    }
    ADD_FAILURE() << "accepted:\n" << policy_text;
    return "";
  }

  std::string base_;
};

TEST_F(CompareTest, EveryPresetPolicyLayersOverTheDefaultAsItsOwnConfig) {
  const ModelConfig base = default_config();
  for (const char* name :
       {"static", "volatility-ewma", "volatility-garch", "regime-aware", "emir-buffer", "emir-stressed-weight",
        "announced-raises", "binance-like-tiers", "dydx-like-oimf", "drift-like", "hyperliquid-like"}) {
    const std::string file = preset(std::string("policies/") + name + ".toml");
    const ModelConfig layered = load_policy_config(base, file);
    EXPECT_EQ(layered.source_name, file);
    // Over the built-in default the layered config is the file's own effective config, bit for bit.
    EXPECT_EQ(config_to_toml(layered), config_to_toml(load_config_file(file))) << name;
  }
}

TEST_F(CompareTest, APolicyKeepsTheBaseScenariosAndMayChangeItsFractionsLiquidationAndFund) {
  const ModelConfig base = load_config_file(preset("shocks/flash-crash-30.toml"));
  const std::string policy =
      write_file("tight.toml",
                 "[margin_policy]\nkind = \"static\"\n[liquidation]\nmode = \"partial\"\n[insurance_fund]\n"
                 "initial_balance_usd = 1.0e7\n" +
                     markets_toml(1.5));
  const ModelConfig layered = load_policy_config(base, policy);
  EXPECT_EQ(layered.margin_policy.kind, MarginPolicyKind::static_margin);
  EXPECT_EQ(layered.liquidation.mode, LiquidationMode::partial);
  EXPECT_EQ(layered.insurance_fund.initial_balance_usd, 1.0e7);
  EXPECT_EQ(layered.markets[0].maintenance_margin_fraction, base.markets[0].maintenance_margin_fraction * 1.5);
  ASSERT_EQ(layered.scenario.shocks.size(), base.scenario.shocks.size());
  EXPECT_EQ(layered.scenario.shocks[0].size, -0.30);
  EXPECT_EQ(layered.liquidation.fee_rate, base.liquidation.fee_rate);  // untouched keys keep the base's
}

TEST(CompareNotes, NameEveryTableAPolicyChangesBesidesTheMarginPolicy) {
  const ModelConfig base = default_config();
  EXPECT_EQ(other_changes(base, base), "");
  // Every key a policy may set outside [margin_policy] (as declared in the schema), changed alone.
  int keys = 0;
  for (const ConfigTable& table : config_tables()) {
    for (const ConfigKey& key : table.keys) {
      if (!key.policy) continue;
      ModelConfig policy = base;
      key.set(policy, 0, testing::changed_value(key, key.get(base, 0)));
      const std::string expected = table.path == "margin_policy" ? ""
                                   : table.path == "markets"     ? "; also market margins"
                                                                 : "; also [" + std::string(table.path) + "]";
      EXPECT_EQ(other_changes(base, policy), expected) << table.key_path(0, key.name);
      ++keys;
    }
  }
  EXPECT_GT(keys, 25);
  // The key once missed, and several tables at once, in the order of a config file.
  ModelConfig policy = base;
  policy.liquidation.backstop_fraction = 2.0 / 3.0;
  EXPECT_EQ(other_changes(base, policy), "; also [liquidation]");
  policy.insurance_fund.auto_deleveraging = false;
  policy.markets[3].margin_tiers = {{1.0e5, 0.01, 50.0}};
  policy.margin_policy.scale_cap = 2.5;
  EXPECT_EQ(other_changes(base, policy), "; also market margins, [liquidation], [insurance_fund]");
}

TEST_F(CompareTest, RefusesAPolicyThatChangesTheScenariosOrTheBook) {
  expect_contains(refusal("[margin_policy]\nkind = \"static\"\n[run]\nseed = 7\n"),
                  {"refused.toml: changes run.seed", "'seed = 7'", "common random numbers"});
  expect_contains(refusal("[portfolio]\naccounts = 3000\n"), {"changes portfolio.accounts"});
  expect_contains(refusal("[impact]\nlaw = \"square_root\"\n"), {"changes impact.law"});
  expect_contains(refusal("[[scenario.shocks]]\nkind = \"gap\"\nstart_step = 2\nsize = -0.1\n"),
                  {"changes scenario.shocks[0]"});
  expect_contains(refusal(markets_toml(1.0, "depth_usd", 1, "5.0e8")), {"changes markets[1].depth_usd", "5e+08"});
  expect_contains(refusal("[[markets]]\nname = \"BTC\"\ninitial_price_usd = 60000.0\nlot_size = 0.001\n"
                          "depth_usd = 2.0e9\ninitial_margin_fraction = 0.02\nmaintenance_margin_fraction = 0.01\n"
                          "reference_volatility = 0.5\n"),
                  {"refused.toml: has 1 [[markets]]", "in [markets.NAME] tables", "not by replacing [[markets]]"});
  // Unknown keys are reported against the policy file itself, with its line.
  expect_contains(refusal("[margin_policy]\nkind = \"static\"\nscale_flor = 2.0\n"), {"refused.toml", "scale_flor"});
}

TEST_F(CompareTest, ComparesTwoPoliciesOnTheSameScenarios) {
  const std::string out = path("report.csv");
  const Outcome outcome = run_cli("compare --config " + base_ + " --policy " + preset("policies/static.toml") +
                                  " --policy " + preset("policies/volatility-ewma.toml") + " --out " + out);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(
      outcome.output,
      {"2 policies on the same 6 scenarios x 16 steps of 900 s and the same book", "2000 accounts", "static (baseline)",
       "volatility-ewma", "required margin, mean over steps, USD", "allowed leverage", "bad debt VaR 99.9 %, USD",
       "platform loss, USD", "backstop vault loss, USD", "outside LPs' loss", "[95 % interval", " ± ",
       "deleveraging by traders answering margin calls, USD", "margin calls (accounts)", "within 1 h (4 steps)",
       "within 24 h (96 steps)", "volatility-ewma - static, paired over the 6 scenarios", "report: " + out});

  const std::vector<std::vector<std::string>> rows = read_csv(out);
  // Header, then per policy: 20 metrics x (mean, max), 4 tail rows each of platform loss and bad
  // debt, and 2 more.
  ASSERT_EQ(rows.size(), 1u + 2u * (20u * 2u + 8u + 2u));
  const std::vector<std::string>& header = rows[0];
  for (const auto& row : rows) ASSERT_EQ(row.size(), header.size());
  const auto find_row = [&](const std::string& policy, const std::string& metric, const std::string& statistic) {
    for (const auto& row : rows) {
      if (row[0] == policy && row[3] == metric && row[4] == statistic) return row;
    }
    ADD_FAILURE() << "no row " << policy << " " << metric << " " << statistic;
    return std::vector<std::string>(header.size());
  };
  // The baseline has no differences; the other policy's mean rows are paired, with an SE >= 0.
  EXPECT_EQ(find_row("static", "average_required_margin_usd", "mean")[6], "");
  const std::vector<std::string> margin = find_row("volatility-ewma", "average_required_margin_usd", "mean");
  EXPECT_GT(std::stod(margin[5]), 0.0);
  EXPECT_GE(std::stod(margin[7]), 0.0);
  EXPECT_EQ(margin[9], "paired");
  EXPECT_EQ(find_row("volatility-ewma", "bad_debt_usd", "es_99")[9], "paired_bootstrap");
  // The base does not model the traders' response: nothing is deleveraged, with zero difference.
  EXPECT_EQ(find_row("volatility-ewma", "deleveraged_notional_usd", "mean")[5], "0");
  EXPECT_EQ(find_row("volatility-ewma", "deleveraged_notional_usd", "mean")[6], "0");
  EXPECT_EQ(find_row("static", "conservation_residual_usd", "max_abs")[5], "0");
  // Every value carries its own error: a mean its standard error, a tail figure or a probability
  // its 95 % interval (6 scenarios cannot bound VaR99 from above: inf).
  EXPECT_GE(std::stod(find_row("static", "platform_loss_usd", "mean")[10]), 0.0);
  const std::vector<std::string> var_99 = find_row("static", "platform_loss_usd", "var_99");
  EXPECT_LE(std::stod(var_99[11]), std::stod(var_99[5]));
  EXPECT_EQ(var_99[12], "inf");
  const std::vector<std::string> exhausted = find_row("static", "fund_exhausted", "mean");
  EXPECT_LE(std::stod(exhausted[11]), std::stod(exhausted[5]));
  EXPECT_GE(std::stod(exhausted[12]), std::stod(exhausted[5]));
}

TEST_F(CompareTest, AStaticPolicyAgainstItselfDiffersByZeroWithZeroError) {
  const std::string out = path("self.csv");
  const std::string policy = preset("policies/static.toml");
  const Outcome outcome =
      run_cli("compare --config " + base_ + " --policy " + policy + " --policy " + policy + " --out " + out + " -q");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_EQ(outcome.output, out + "\n");  // --quiet with --out: the path alone
  int paired_rows = 0;
  for (const auto& row : read_csv(out)) {
    if (row[0] != "static#2" || row[9] == "") continue;
    EXPECT_EQ(row[6], "0") << row[3] << " " << row[4];
    EXPECT_EQ(row[7], "0") << row[3] << " " << row[4];
    ++paired_rows;
  }
  EXPECT_EQ(paired_rows, 20 + 8);
}

TEST_F(CompareTest, BadInputExitsWithThreeAndOneLineAndNoReport) {
  const std::string out = path("refused.csv");
  const std::string policy = write_file("reseeded.toml", "[run]\nseed = 99\n");
  const Outcome outcome = run_cli("compare --config " + base_ + " --policy " + preset("policies/static.toml") +
                                  " --policy " + policy + " --out " + out);
  EXPECT_EQ(outcome.exit_code, 3) << outcome.output;
  expect_contains(outcome.output, {"margin-stress: error: " + policy + ": changes run.seed"});
  EXPECT_EQ(std::count(outcome.output.begin(), outcome.output.end(), '\n'), 1) << outcome.output;
  EXPECT_FALSE(fs::exists(out));

  EXPECT_EQ(run_cli("compare --config " + base_).exit_code, 2);  // --policy is required
}

TEST_F(CompareTest, NeverOverwritesTheReportWithoutForce) {
  const std::string out = write_file("existing.csv", "keep me\n");
  const std::string arguments =
      "compare --config " + base_ + " --scenarios 2 --policy " + preset("policies/static.toml") + " --out " + out;
  const Outcome refused = run_cli(arguments);
  EXPECT_EQ(refused.exit_code, 2) << refused.output;  // an existing output is a usage error (README)
  expect_contains(refused.output, {"--force"});
  EXPECT_EQ(read_text(out), "keep me\n");
  const Outcome forced = run_cli(arguments + " --force");
  ASSERT_EQ(forced.exit_code, 0) << forced.output;
  expect_contains(read_text(out), {"policy,policy_file,scenarios,metric"});
}

}  // namespace
}  // namespace margin_stress
