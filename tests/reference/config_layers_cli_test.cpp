// Composable configs as a user meets them (docs/config.md, "Layering"): --config repeated on the
// commands, policy presets applied to a base written by `calibrate`, a preset naming a market the
// base lacks refused naming it, the layers recorded in the results file; and --summary-json
// (docs/results.md, "Summary JSON") holding the figures of the table and of the other outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/io/config_file.hpp"
#include "host/io/hdf5_handles.hpp"
#include "host/io/policy_file.hpp"
#include "tests/reference/cli_runner.hpp"

namespace margin_stress {
namespace {

namespace fs = std::filesystem;
using testing::expect_contains;
using testing::Outcome;
using testing::read_csv;
using testing::read_text;
using testing::run_cli;
using testing::run_shell;

const std::string source_dir = MARGIN_STRESS_SOURCE_DIR;

std::string preset(const std::string& name) { return source_dir + "/scenarios/presets/" + name; }

// The repository's hourly Binance closes of BTC and ETH, 2022-11-07 to 2022-11-10.
std::string price_file(const std::string& market) {
  return source_dir + "/scenarios/presets/replays/data/" + market + "_usdt_1h_binance_2022-11-07_2022-11-10.csv";
}

class ConfigLayersCli : public testing::ScratchDirectoryTest {
 protected:
  void SetUp() override {
    ScratchDirectoryTest::SetUp();
    small_ = write_file("small.toml", "[portfolio]\naccounts = 2000\n");
  }

  // A BTC and ETH model fitted by `calibrate`: a base with two markets, not the default's four.
  std::string calibrated_base() {
    const std::string model = path("btc-eth.toml");
    const Outcome fit = run_cli("calibrate --quiet --prices " + price_file("btc") + " --prices " + price_file("eth") +
                                " --regimes 2 --starts 2 --out " + model);
    EXPECT_EQ(fit.exit_code, 0) << fit.output;
    return model;
  }

  std::string small_;
};

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_text(path)); }

// A CSV report's value column for the row of `policy`, `metric` and `statistic`.
double csv_value(const std::vector<std::vector<std::string>>& rows, const std::string& policy,
                 const std::string& metric, const std::string& statistic) {
  for (const std::vector<std::string>& row : rows) {
    if (row.size() > 5 && row[0] == policy && row[3] == metric && row[4] == statistic) return std::stod(row[5]);
  }
  ADD_FAILURE() << "no CSV row " << policy << " " << metric << " " << statistic;
  return 0.0;
}

TEST_F(ConfigLayersCli, VenuePolicyPresetsCompareOnACalibratedBase) {
  const std::string base = calibrated_base();
  const std::string csv = path("venues.csv");
  const std::string json = path("venues.json");
  const Outcome compared =
      run_cli("compare --backend cpu --config " + base + " --config " + small_ + " --scenarios 6 --steps 12 --policy " +
              preset("policies/binance-like-tiers.toml") + " --policy " + preset("policies/dydx-like-oimf.toml") +
              " --out " + csv + " --summary-json " + json);
  ASSERT_EQ(compared.exit_code, 0) << compared.output;
  expect_contains(compared.output, {"binance-like-tiers", "dydx-like-oimf", base + " + " + small_});

  // What each preset made of the two markets: only their margins changed, by name.
  const ModelConfig layered = load_config_files({base, small_});
  ASSERT_EQ(layered.market_count(), 2u);
  const ModelConfig dydx = load_policy_config(layered, preset("policies/dydx-like-oimf.toml"));
  const ModelConfig binance = load_policy_config(layered, preset("policies/binance-like-tiers.toml"));
  for (std::size_t m = 0; m < 2; ++m) {
    SCOPED_TRACE(layered.markets[m].name);
    EXPECT_EQ(dydx.markets[m].initial_margin_fraction, 0.02);
    EXPECT_EQ(dydx.markets[m].maintenance_margin_fraction, 0.012);
    EXPECT_EQ(dydx.markets[m].open_interest_upper_cap_usd, 0.0) << "BTC and ETH are Large-Cap: no OIMF";
    EXPECT_EQ(binance.markets[m].margin_tiers.size(), 10u);
    EXPECT_EQ(binance.markets[m].depth_usd, layered.markets[m].depth_usd);
  }

  // The JSON holds the CSV's figures, double for double, and says which layers made the base.
  const nlohmann::json summary = read_json(json);
  EXPECT_EQ(summary["command"], "compare");
  EXPECT_EQ(summary["schema_version"], 1);
  EXPECT_EQ(summary["config_layers"], nlohmann::json({base, small_}));
  const std::vector<std::vector<std::string>> rows = read_csv(csv);
  ASSERT_EQ(summary["policies"].size(), 2u);
  int compared_figures = 0;
  for (const nlohmann::json& policy : summary["policies"]) {
    const std::string name = policy["name"];
    for (const std::string metric : {"platform_loss_usd", "bad_debt_usd", "liquidated_notional_usd",
                                     "average_required_margin_usd", "fund_exhausted"}) {
      for (const std::string statistic : {"mean", "max"}) {
        EXPECT_EQ(policy["metrics"][metric][statistic].get<double>(), csv_value(rows, name, metric, statistic))
            << name << " " << metric << " " << statistic;
        ++compared_figures;
      }
    }
    EXPECT_EQ(policy["metrics"]["platform_loss_usd"]["var_99"].get<double>(),
              csv_value(rows, name, "platform_loss_usd", "var_99"));
  }
  EXPECT_EQ(compared_figures, 20);
  EXPECT_TRUE(summary["policies"][0]["against_baseline"].is_null());
  const nlohmann::json& difference = summary["policies"][1]["against_baseline"]["average_required_margin_usd"];
  EXPECT_DOUBLE_EQ(difference["mean_difference"].get<double>(),
                   summary["policies"][1]["metrics"]["average_required_margin_usd"]["mean"].get<double>() -
                       summary["policies"][0]["metrics"]["average_required_margin_usd"]["mean"].get<double>());
  EXPECT_GT(summary["policies"][0]["metrics"]["average_required_margin_usd"]["mean"].get<double>(), 0.0)
      << "the runs must do something for the comparison to mean anything";
}

TEST_F(ConfigLayersCli, APresetNamingAMarketTheBaseLacksIsRefusedNamingIt) {
  const std::string base = calibrated_base();
  const std::string out = path("refused.csv");
  // drift-like.toml gives a premium to BTC, ETH, SOL and DOGE by name.
  const Outcome drift =
      run_cli("compare --config " + base + " --scenarios 2 --steps 4 --policy " + preset("policies/static.toml") +
              " --policy " + preset("policies/drift-like.toml") + " --out " + out);
  EXPECT_EQ(drift.exit_code, 3) << drift.output;
  expect_contains(
      drift.output,
      {"drift-like.toml: markets.SOL: the configuration has no market named 'SOL' (its markets: BTC, ETH)"});
  EXPECT_FALSE(fs::exists(out));

  // A policy with per-market values must cover every market of the base, or say '*'.
  const std::string btc_only = write_file("btc-only.toml", "[markets.BTC]\nmaintenance_margin_fraction = 0.004\n");
  const Outcome uncovered = run_cli("compare --config " + base + " --scenarios 2 --steps 4 --policy " +
                                    preset("policies/static.toml") + " --policy " + btc_only);
  EXPECT_EQ(uncovered.exit_code, 3) << uncovered.output;
  expect_contains(uncovered.output,
                  {btc_only + ": gives per-market values for BTC but not for ETH", "[markets.ETH]", "[markets.\"*\"]"});

  // A shock preset naming DOGE on the BTC and ETH model, as a layer of `run`.
  const Outcome oracle = run_cli("run --config " + base + " --config " + preset("shocks/oracle-manipulation.toml") +
                                 " --out " + path("never.h5"));
  EXPECT_EQ(oracle.exit_code, 3) << oracle.output;
  expect_contains(
      oracle.output,
      {"oracle-manipulation.toml: scenario.shocks[0].markets: \"DOGE\" is not a market of the configuration "
       "(its markets: BTC, ETH)"});
  EXPECT_FALSE(fs::exists(path("never.h5")));
}

TEST_F(ConfigLayersCli, AnUnknownKeyInALaterLayerNamesItsFileAndKey) {
  const std::string typo = write_file("typo.toml", "[margin_policy]\nkind = \"static\"\nscale_kap = 2\n");
  const Outcome outcome = run_cli("run --config " + small_ + " --config " + typo + " --out " + path("never.h5"));
  EXPECT_EQ(outcome.exit_code, 3) << outcome.output;
  expect_contains(
      outcome.output,
      {typo + ": unknown key 'margin_policy.scale_kap' (did you mean 'margin_policy.scale_cap'?) (line 3)"});
  EXPECT_FALSE(fs::exists(path("never.h5")));
  // Two files after one --config are two layers, in the order written.
  const Outcome two = run_cli("run --config " + small_ + " " + typo + " --out " + path("never.h5"));
  EXPECT_EQ(two.exit_code, 3) << two.output;
  expect_contains(two.output, {typo + ": unknown key 'margin_policy.scale_kap'"});
}

// A policy on a shock on a calibrated model, layered with `run`; the results record every layer,
// and the summary JSON holds /summary's figures and the table's (tests/python/check_summary_json.py).
TEST_F(ConfigLayersCli, RunRecordsEveryLayerAndItsSummaryJsonHoldsTheFiguresOfTheTableAndFile) {
  const std::string base = calibrated_base();
  const std::string results = path("layered.h5");
  const std::string json = path("layered.json");
  const std::string table = path("table.txt");
  const std::string arguments = "run --backend cpu --scenarios 40 --steps 40 --config " + base + " --config " + small_ +
                                " --config " + preset("shocks/flash-crash-30.toml") + " --config " +
                                preset("policies/static.toml") + " --out " + results;
  const Outcome run = run_shell(std::string(MARGIN_STRESS_BINARY) + " " + arguments + " --summary-json " + json +
                                " > " + table + " 2>/dev/null");
  ASSERT_EQ(run.exit_code, 0) << read_text(table);

  const hdf5::File file = hdf5::open_file_read_only(results);
  const std::string layers = hdf5::read_string_attribute(file, "config_layers");
  for (const std::string& layer :
       {base, small_, preset("shocks/flash-crash-30.toml"), preset("policies/static.toml")}) {
    expect_contains(layers, {layer, "bytes, CRC-32"});
  }
  EXPECT_EQ(
      hdf5::read_string_attribute(file, "config_source"),
      base + " + " + small_ + " + " + preset("shocks/flash-crash-30.toml") + " + " + preset("policies/static.toml"));
  const std::string effective = hdf5::read_string_attribute(file, "config_toml");
  expect_contains(effective, {"kind = 'static'", "kind = 'crash'", "name = 'BTC'", "name = 'ETH'"});
  EXPECT_EQ(effective.find("name = 'SOL'"), std::string::npos);

  const nlohmann::json summary = read_json(json);
  EXPECT_GT(summary["metrics"]["liquidated_notional_usd"]["mean"].get<double>(), 0.0)
      << "the crash must liquidate, or the figures compared below could all be 0";
  if (std::system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no python3 with h5py (scripts/install-deps installs python3-h5py)";
  }
  const Outcome checked = run_shell("/usr/bin/python3 " + source_dir + "/tests/python/check_summary_json.py " +
                                    results + " " + json + " " + table + " 2>&1");
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  // The check can fail: a JSON with one figure changed is caught.
  nlohmann::json spoiled = summary;
  spoiled["metrics"]["bad_debt_usd"]["var_99"] = summary["metrics"]["bad_debt_usd"]["var_99"].get<double>() + 1.0;
  const std::string spoiled_path = write_file("spoiled.json", spoiled.dump());
  const Outcome caught = run_shell("/usr/bin/python3 " + source_dir + "/tests/python/check_summary_json.py " + results +
                                   " " + spoiled_path + " " + table + " 2>&1");
  EXPECT_NE(caught.exit_code, 0);
  expect_contains(caught.output, {"metrics.bad_debt_usd.var_99"});
}

TEST_F(ConfigLayersCli, SummaryJsonOnStdoutMovesTheTableToStderr) {
  const std::string results = path("out.h5");
  const std::string table = path("stderr.txt");
  const Outcome run =
      run_shell(std::string(MARGIN_STRESS_BINARY) + " run --backend cpu --scenarios 3 --steps 6 --config " + small_ +
                " --out " + results + " --summary-json - 2>" + table);
  ASSERT_EQ(run.exit_code, 0) << run.output << read_text(table);
  const nlohmann::json summary = nlohmann::json::parse(run.output);  // stdout is the JSON alone
  EXPECT_EQ(summary["command"], "run");
  EXPECT_EQ(summary["results_file"], results);
  EXPECT_EQ(summary["scenarios"], 3);
  expect_contains(read_text(table), {"insurance fund exhausted in", "results: " + results});
}

// Every command refuses an output that exists without --force as a usage error (exit 2), before it
// runs, and leaves the file as it was; the summary JSON is such an output too.
TEST_F(ConfigLayersCli, AnOutputThatExistsIsAUsageError) {
  const std::string kept = write_file("kept.txt", "keep me\n");
  const std::string prices = source_dir + "/tests/data/backtest_btc_1h.csv";
  const std::vector<std::string> commands = {
      "run --scenarios 2 --steps 4 --config " + small_ + " --out " + kept,
      "run --scenarios 2 --steps 4 --config " + small_ + " --out " + path("new.h5") + " --summary-json " + kept,
      "portfolio generate --accounts 10 --out " + kept,
      "compare --scenarios 2 --steps 4 --config " + small_ + " --policy " + preset("policies/static.toml") + " --out " +
          kept,
      "compare --scenarios 2 --steps 4 --config " + small_ + " --policy " + preset("policies/static.toml") +
          " --summary-json " + kept,
      "optimize --scenarios 2 --steps 4 --config " + small_ + " --policy " + preset("policies/static.toml") +
          " --out " + kept,
      "optimize --scenarios 2 --steps 4 --config " + small_ + " --policy " + preset("policies/static.toml") +
          " --summary-json " + kept,
      "backtest --market BTC --prices " + prices + " --out " + kept,
      "backtest --market BTC --prices " + prices + " --summary-json " + kept,
      "calibrate --prices " + price_file("btc") + " --out " + kept,
      "calibrate --prices " + price_file("btc") + " --out " + path("model.toml") + " --summary-json " + kept,
  };
  for (const std::string& command : commands) {
    SCOPED_TRACE(command);
    const Outcome refused = run_cli(command);
    EXPECT_EQ(refused.exit_code, 2) << refused.output;
    expect_contains(refused.output, {kept + ": the file exists", "--force"});
    EXPECT_EQ(read_text(kept), "keep me\n");
  }
  EXPECT_FALSE(fs::exists(path("new.h5"))) << "refused before the run, not after it";
  EXPECT_FALSE(fs::exists(path("model.toml")));
}

// backtest, optimize and calibrate write the figures of their CSV and model outputs.
TEST_F(ConfigLayersCli, BacktestOptimizeAndCalibrateSummariesHoldTheirOutputsFigures) {
  const std::string prices = source_dir + "/tests/data/backtest_btc_1h.csv";
  const std::string backtest_csv = path("backtest.csv");
  const std::string backtest_json = path("backtest.json");
  const Outcome backtest = run_cli(
      "backtest --market BTC --prices " + prices + " --policy " + preset("policies/static.toml") + " --policy " +
      preset("policies/volatility-ewma.toml") + " --out " + backtest_csv + " --summary-json " + backtest_json);
  ASSERT_EQ(backtest.exit_code, 0) << backtest.output;
  const nlohmann::json tested = read_json(backtest_json);
  const std::vector<std::vector<std::string>> rows = read_csv(backtest_csv);
  const std::vector<std::string>& header = rows.front();
  const auto column = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  ASSERT_EQ(tested["policies"].size(), 2u);
  ASSERT_EQ(rows.size(), 1u + 2u * 2u);  // two policies at two levels
  for (std::size_t p = 0; p < 2; ++p) {
    for (std::size_t l = 0; l < 2; ++l) {
      const std::vector<std::string>& row = rows[1 + 2 * p + l];
      const nlohmann::json& level = tested["policies"][p]["levels"][l];
      EXPECT_EQ(level["pof"]["statistic"].get<double>(), std::stod(row[column("lr_pof")]));
      EXPECT_EQ(level["in_sample_multiplier"].get<double>(), std::stod(row[column("in_sample_multiplier")]));
    }
  }

  const std::string frontier_csv = path("frontier.csv");
  const std::string frontier_json = path("frontier.json");
  const Outcome optimize =
      run_cli("optimize --backend cpu --config " + small_ + " --config " + preset("shocks/flash-crash-30.toml") +
              " --policy " + preset("policies/static.toml") +
              " --scenarios 8 --steps 40 --grid 3 --low 0.5 --high 4 --tolerance 0.5 --max-exhaustion-probability 1"
              " --quiet --out " +
              frontier_csv + " --summary-json " + frontier_json);
  ASSERT_EQ(optimize.exit_code, 0) << optimize.output;
  const nlohmann::json frontier = read_json(frontier_json);
  const std::vector<std::vector<std::string>> points = read_csv(frontier_csv);
  ASSERT_EQ(frontier["frontier"].size() + 1, points.size());
  for (std::size_t i = 0; i < frontier["frontier"].size(); ++i) {
    const nlohmann::json& point = frontier["frontier"][i];
    EXPECT_EQ(point["knob"].get<double>(), std::stod(points[i + 1][0]));
    EXPECT_EQ(point["mean_required_margin_usd"].get<double>(), std::stod(points[i + 1][1]));
    EXPECT_EQ(point["bad_debt"]["var_99_usd"].get<double>(), std::stod(points[i + 1][6]));
  }
  EXPECT_FALSE(frontier["answer"].is_null());

  const std::string model = path("btc-eth.toml");
  const std::string fit_json = path("fit.json");
  const Outcome calibrate =
      run_cli("calibrate --quiet --prices " + price_file("btc") + " --prices " + price_file("eth") +
              " --regimes 2 --starts 2 --out " + model + " --summary-json " + fit_json);
  ASSERT_EQ(calibrate.exit_code, 0) << calibrate.output;
  const nlohmann::json fit = read_json(fit_json);
  const ModelConfig written = load_config_file(model);
  ASSERT_EQ(fit["model"]["regimes"].size(), written.regime_count());
  for (std::size_t k = 0; k < written.regime_count(); ++k) {
    EXPECT_EQ(fit["model"]["regimes"][k]["volatility"].get<std::vector<double>>(),
              written.regimes.states[k].volatility);
    EXPECT_EQ(fit["model"]["regimes"][k]["drift"].get<std::vector<double>>(), written.regimes.states[k].drift);
  }
  EXPECT_EQ(fit["markets"], nlohmann::json({"BTC", "ETH"}));
  EXPECT_EQ(fit["model"]["step_seconds"].get<double>(), written.run.step_seconds);
}

}  // namespace
}  // namespace margin_stress
