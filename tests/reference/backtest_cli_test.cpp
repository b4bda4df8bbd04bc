// `margin-stress backtest` as a user runs it (docs/backtest.md): a price file and policy configs
// in, the coverage table on stdout and optionally a CSV, exit codes 2 and 3 with messages naming
// the file, line and column, and no CSV overwritten without --force.
//
// tests/data/backtest_btc_1h.csv: 100 hourly closes from 100 with moves of x1.001 and /1.001, and
// four planted moves past the default BTC maintenance fraction of 0.5 %: -1 % at returns 20 and 21,
// +1.1 % at 50, -1.5 % at 80 (exceedances by construction, see tests/unit/backtest_test.cpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/reference/cli_runner.hpp"

namespace margin_stress {
namespace {

// The index of the CSV column `name` in `header`; a test failure (and column 0) when it is missing.
std::size_t column_of(const std::vector<std::string>& header, const std::string& name) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

using testing::expect_contains;
using testing::Outcome;
using testing::read_csv;
using testing::read_text;
using testing::run_cli;

namespace fs = std::filesystem;

std::string fixture(const std::string& name) { return std::string(MARGIN_STRESS_SOURCE_DIR) + "/tests/data/" + name; }

class BacktestCliTest : public testing::ScratchDirectoryTest {
 protected:
  void SetUp() override {
    ScratchDirectoryTest::SetUp();
    static_config_ = write_file("static.toml", "[margin_policy]\nkind = \"static\"\n");
    scaled_config_ = write_file("scaled.toml", "[margin_policy]\nkind = \"volatility_scaled\"\n");
  }

  std::string static_config_;
  std::string scaled_config_;
};

TEST_F(BacktestCliTest, CountsThePlantedExceedancesOfAStaticMargin) {
  const Outcome outcome =
      run_cli("backtest --prices " + fixture("backtest_btc_1h.csv") + " --market BTC --config " + static_config_);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output,
                  {"market BTC, 100 bars of 3600 s", "horizon 3600 s (1 bar)", "static.toml: static",
                   "99 windows; exceedances long 3, short 1, either 4 (4.040 %)", "n00 91, n01 3, n10 3, n11 1",
                   "2021: 4", "2021-01-04T07:00:00Z move -1.50 % against a margin of 0.50 %"});
  // Kupiec at 99 %: n = 99, x = 4, LR = 5.244 (by hand in tests/unit/coverage_tests_test.cpp),
  // p = 0.022: rejected; at 99.5 %: LR = 9.832, p = 0.0017.
  expect_contains(outcome.output, {"99 %", "5.244", "0.022", "99.5 %", "9.832", "0.00171", "POF reject"});
  EXPECT_EQ(outcome.output.find("warning"), std::string::npos) << "a static policy has no per-step parameters";
}

// The same 100 bars as Binance klines (epoch milliseconds, every field quoted, the open and close
// among other columns) give the same report, figure for figure, as the shared data's layout.
TEST_F(BacktestCliTest, EpochMillisecondKlinesGiveTheSameReport) {
  const std::vector<std::vector<std::string>> rows = read_csv(fixture("backtest_btc_1h.csv"));
  ASSERT_EQ(rows.size(), 101u);
  std::string klines = "\"open_time\",\"open\",\"close\",\"volume\"\n";
  const std::int64_t first_ms = 1609459200000;  // 2021-01-01T00:00:00Z
  for (std::size_t r = 1; r < rows.size(); ++r) {
    klines += "\"" + std::to_string(first_ms + static_cast<std::int64_t>(r - 1) * 3600000) + "\",\"" + rows[r][1] +
              "\",\"" + rows[r][2] + "\",\"1,5\"\n";
  }
  const std::string klines_path = write_file("klines.csv", klines);
  const std::string policies = " --market BTC --config " + static_config_ + " --config " + scaled_config_;
  const Outcome iso = run_cli("backtest --prices " + fixture("backtest_btc_1h.csv") + policies);
  const Outcome epoch = run_cli("backtest --prices " + klines_path + " --epoch-unit ms" + policies);
  ASSERT_EQ(iso.exit_code, 0) << iso.output;
  ASSERT_EQ(epoch.exit_code, 0) << epoch.output;
  const auto without_paths = [](std::string text, const std::string& path) {
    for (std::size_t at = text.find(path); at != std::string::npos; at = text.find(path))
      text.replace(at, path.size(), "P");
    return text;
  };
  EXPECT_EQ(without_paths(iso.output, fixture("backtest_btc_1h.csv")), without_paths(epoch.output, klines_path));
  // Without the unit, the epoch times are refused, naming the line and the column.
  const Outcome unitless = run_cli("backtest --prices " + klines_path + policies);
  EXPECT_EQ(unitless.exit_code, 3);
  expect_contains(unitless.output, {klines_path + ": line 2, column open_time", "--epoch-unit"});
}

TEST_F(BacktestCliTest, DefaultsToTheBuiltInPolicyAndWarnsAboutTheStep) {
  const Outcome outcome = run_cli("backtest --prices " + fixture("backtest_btc_1h.csv") + " --market BTC");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output, {"policy 1: built-in default: volatility_scaled",
                                   "warning: built-in default: the policy's per-step parameters were set for "
                                   "run.step_seconds = 900 s; here they apply per 3600 s bar"});
}

TEST_F(BacktestCliTest, UsesWholeDaysOnADailyFile) {
  // 40 daily closes with one -3 % day (return 25): the default one-hour horizon rounds up to a day.
  const Outcome outcome =
      run_cli("backtest --prices " + fixture("backtest_btc_daily.csv") + " --market BTC -c " + static_config_);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output,
                  {"40 bars of 86400 s", "horizon 86400 s (1 bar)", "39 windows; exceedances long 1, short 0, either 1",
                   "2022-11-25T00:00:00Z move -3.00 %"});
}

TEST_F(BacktestCliTest, WritesTheTableAsCsvAndRefusesToOverwriteIt) {
  const std::string out = path("report.csv");
  const std::string arguments = "backtest --prices " + fixture("backtest_btc_1h.csv") + " --market BTC --policy " +
                                static_config_ + " --policy " + scaled_config_ + " --horizon-seconds 10800 --out " +
                                out;
  const Outcome first = run_cli(arguments);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  expect_contains(first.output, {"report: " + out});

  const std::vector<std::vector<std::string>> rows = read_csv(out);
  ASSERT_EQ(rows.size(), 5u);  // header, then 2 policies x 2 levels
  const std::vector<std::string>& header = rows[0];
  const auto column = [&](const std::string& name) { return column_of(header, name); };
  for (const auto& row : rows) ASSERT_EQ(row.size(), header.size());
  // Three-bar windows (the unit test's construction): 33 non-overlapping with 2 long and 1 short
  // exceedance, 97 overlapping with 7 and 3.
  const std::vector<std::string>& fixed = rows[1];
  EXPECT_EQ(fixed[column("policy")], "static");
  EXPECT_EQ(fixed[column("market")], "BTC");
  EXPECT_EQ(fixed[column("horizon_seconds")], "10800");
  EXPECT_EQ(fixed[column("horizon_bars")], "3");
  EXPECT_EQ(fixed[column("observations")], "33");
  EXPECT_EQ(fixed[column("long_exceedances")], "2");
  EXPECT_EQ(fixed[column("short_exceedances")], "1");
  EXPECT_EQ(fixed[column("either_exceedances")], "3");
  EXPECT_EQ(fixed[column("overlapping_observations")], "97");
  EXPECT_EQ(fixed[column("overlapping_either_exceedances")], "10");
  EXPECT_EQ(fixed[column("confidence_level")], "0.99");
  EXPECT_EQ(rows[2][column("confidence_level")], "0.995");
  // n = 33, x = 3, p = 0.01: LR = -2 [30 ln 0.99 + 3 ln 0.01] + 2 [30 ln(30/33) + 3 ln(3/33)]
  //   = -2 [-0.3015101 - 13.8155106] + 2 [-2.8593054 - 7.1936858] = 28.2340413 - 20.1059824 = 8.1280588
  EXPECT_NEAR(std::stod(fixed[column("lr_pof")]), 8.1280588, 1e-6);
  EXPECT_EQ(fixed[column("pof_rejected_at_5pct")], "1");
  EXPECT_EQ(rows[3][column("policy")], "volatility_scaled");

  const std::string before = read_text(out);
  const Outcome again = run_cli(arguments);
  EXPECT_EQ(again.exit_code, 2) << again.output;  // an existing output is a usage error (README)
  expect_contains(again.output, {"--force"});
  EXPECT_EQ(read_text(out), before);
  const Outcome forced = run_cli(arguments + " --levels 0.9 --force");
  EXPECT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_EQ(read_csv(out).size(), 3u);
}

// The POF verdict comes from the exact binomial test below an expected count of 5 and from Kupiec's
// chi-square from 5 on, and the table says which: 99 windows at 99 % expect 0.99 exceedances
// (exact: p = 0.0178, by hand in tests/unit/backtest_test.cpp), at 90 % 9.9 (chi-square). The CSV
// and the JSON carry both p-values and the choice.
TEST_F(BacktestCliTest, SaysWhichPofTestItUsed) {
  const std::string out = path("levels.csv");
  const std::string json = path("levels.json");
  const Outcome outcome = run_cli("backtest --prices " + fixture("backtest_btc_1h.csv") + " --market BTC -c " +
                                  static_config_ + " --levels 0.99,0.9 --out " + out + " --summary-json " + json);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output, {"p_exact", "POF test"});
  const auto row_of = [&](const std::string& level) {
    const std::size_t at = outcome.output.find("\n  " + level + " ");
    if (at == std::string::npos) return std::string();
    return outcome.output.substr(at + 1, outcome.output.find('\n', at + 1) - at - 1);
  };
  const std::string exact_row = row_of("99 %");
  const std::string chi_square_row = row_of("90 %");
  expect_contains(exact_row, {" 0.0178 ", " exact ", "POF reject"});
  EXPECT_EQ(exact_row.find("chi-square"), std::string::npos) << exact_row;
  expect_contains(chi_square_row, {" chi-square "});
  EXPECT_EQ(chi_square_row.find(" exact "), std::string::npos) << chi_square_row;

  const std::vector<std::vector<std::string>> rows = read_csv(out);
  ASSERT_EQ(rows.size(), 3u);
  const std::vector<std::string>& header = rows[0];
  const auto column = [&](const std::string& name) { return column_of(header, name); };
  EXPECT_EQ(rows[1][column("pof_test")], "exact_binomial");
  EXPECT_NEAR(std::stod(rows[1][column("p_value_pof_exact")]), 0.0177764, 1e-6);
  EXPECT_EQ(rows[1][column("pof_test_rejected_at_5pct")], "1");
  EXPECT_EQ(rows[2][column("pof_test")], "kupiec_chi_square");
  EXPECT_EQ(rows[2][column("pof_test_rejected_at_5pct")], rows[2][column("pof_rejected_at_5pct")]);

  const nlohmann::json summary = nlohmann::json::parse(read_text(json));
  const nlohmann::json& levels = summary["policies"][0]["levels"];
  ASSERT_EQ(levels.size(), 2u);
  EXPECT_EQ(levels[0]["pof_test"], "exact_binomial");
  EXPECT_EQ(levels[0]["exact_binomial"]["p_value"].get<double>(), std::stod(rows[1][column("p_value_pof_exact")]));
  EXPECT_EQ(levels[0]["pof_test_p_value"], levels[0]["exact_binomial"]["p_value"]);
  EXPECT_EQ(levels[0]["pof_test_rejected_at_5_percent"], true);
  EXPECT_EQ(levels[1]["pof_test"], "kupiec_chi_square");
  EXPECT_EQ(levels[1]["pof_test_p_value"], levels[1]["pof"]["p_value"]);
}

TEST_F(BacktestCliTest, BadInputStopsWithExitCode3NamingTheFileLineAndColumn) {
  const Outcome bad_price = run_cli("backtest --prices " + fixture("backtest_bad_price.csv") + " --market BTC");
  EXPECT_EQ(bad_price.exit_code, 3) << bad_price.output;
  expect_contains(bad_price.output, {"backtest_bad_price.csv: line 5, column close: \"abc\" is not a number"});

  // The market comes from the file name when --market is not given: "backtest" here.
  const Outcome unknown = run_cli("backtest --prices " + fixture("backtest_btc_1h.csv") + " -c " + static_config_);
  EXPECT_EQ(unknown.exit_code, 3) << unknown.output;
  expect_contains(unknown.output, {"static.toml: no [[markets]] entry named 'BACKTEST'", "BTC, ETH, SOL, DOGE"});

  const Outcome uneven =
      run_cli("backtest --prices " + fixture("backtest_btc_1h.csv") + " --market BTC --horizon-seconds 5400");
  EXPECT_EQ(uneven.exit_code, 3) << uneven.output;
  expect_contains(uneven.output, {"--horizon-seconds 5400 is not a whole number of the file's 3600 s bars"});

  const Outcome too_long =
      run_cli("backtest --prices " + fixture("backtest_btc_1h.csv") + " --market BTC --horizon-seconds 360000");
  EXPECT_EQ(too_long.exit_code, 3) << too_long.output;
  expect_contains(too_long.output, {"backtest_btc_1h.csv: 100 rows", "no complete window of the 360000 s horizon"});

  const Outcome bad_config = run_cli("backtest --prices " + fixture("backtest_btc_1h.csv") + " --market BTC -c " +
                                     write_file("bad.toml", "[margin_policy]\newma_lambda = 1.5\n"));
  EXPECT_EQ(bad_config.exit_code, 3) << bad_config.output;
  expect_contains(bad_config.output, {"bad.toml", "ewma_lambda"});
}

TEST_F(BacktestCliTest, UsageErrorsExitWith2) {
  const std::string prices = " --prices " + fixture("backtest_btc_1h.csv") + " --market BTC";
  EXPECT_EQ(run_cli("backtest").exit_code, 2);
  EXPECT_EQ(run_cli("backtest --prices " + path("missing.csv")).exit_code, 2);
  const Outcome level = run_cli("backtest" + prices + " --levels 0.99,1.5");
  EXPECT_EQ(level.exit_code, 2) << level.output;
  expect_contains(level.output, {"'1.5' is not a confidence level in (0, 1)"});
  EXPECT_EQ(run_cli("backtest" + prices + " --horizon-seconds 0").exit_code, 2);
  EXPECT_EQ(run_cli("backtest" + prices + " --levels 0").exit_code, 2);
}

}  // namespace
}  // namespace margin_stress
