// `margin-stress calibrate` as a user runs it (docs/calibration.md): price files in, a model file out
// that `margin-stress run --config` accepts, the summary on stdout, exit codes 2 and 3 with messages
// naming the file, line and column, and no output left behind by a failed run.
#include <Random123/philox.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/model/text_format.hpp"
#include "tests/reference/cli_runner.hpp"

namespace margin_stress {
namespace {

using testing::expect_contains;
using testing::Outcome;
using testing::read_text;
using testing::run_cli;

namespace fs = std::filesystem;

std::string two_digits(long value) { return (value < 10 ? "0" : "") + std::to_string(value); }

// Hourly time of bar `hour` after 2020-01-01T00:00:00Z (hours < 24 * 28, all in January/February).
std::string hour_text(long hour) {
  const long day = hour / 24;
  const long month = day < 31 ? 1 : 2;
  const long day_of_month = day < 31 ? day + 1 : day - 30;
  return "2020-" + two_digits(month) + "-" + two_digits(day_of_month) + "T" + two_digits(hour % 24) + ":00:00Z";
}

class CalibrateCliTest : public testing::ScratchDirectoryTest {
 protected:
  static constexpr long hours = 600;  // 25 days

  void SetUp() override {
    ScratchDirectoryTest::SetUp();
    write_price_files();
  }

  // Two correlated hourly markets that switch between a calm (sd 0.4 %) and a turbulent (sd 1.5 %)
  // regime every 50 bars, from Philox; ETH lacks one bar (a gap), BTC starts one bar earlier.
  void write_price_files() {
    const r123::Philox4x32::key_type key = {{2024u, 0u}};
    std::string btc = "timestamp_utc,open,close\n";
    std::string eth = "timestamp_utc,close\n";
    double log_btc = std::log(30000.0);
    double log_eth = std::log(2000.0);
    for (long hour = 0; hour < hours; ++hour) {
      const r123::Philox4x32::ctr_type block =
          r123::Philox4x32()({{static_cast<std::uint32_t>(hour), 0u, 0x7e57u, 0u}}, key);
      const double u1 = (static_cast<double>(block[0]) + 0.5) * 0x1p-32;
      const double u2 = (static_cast<double>(block[1]) + 0.5) * 0x1p-32;
      const double radius = std::sqrt(-2.0 * std::log(u1));
      const double z0 = radius * std::cos(6.283185307179586 * u2);
      const double z1 = radius * std::sin(6.283185307179586 * u2);
      const double sd = (hour / 50) % 2 == 0 ? 0.004 : 0.015;
      log_btc += sd * z0;
      log_eth += 1.3 * sd * (0.8 * z0 + 0.6 * z1);
      char line[128];
      std::snprintf(line, sizeof line, "%s,0,%.6f\n", hour_text(hour).c_str(), std::exp(log_btc));
      btc += line;
      if (hour == 0 || hour == 300) continue;
      std::snprintf(line, sizeof line, "%s,%.6f\n", hour_text(hour).c_str(), std::exp(log_eth));
      eth += line;
    }
    btc_ = write_file("btc_test_1h.csv", btc);
    eth_ = write_file("eth_test_1h.csv", eth);
  }

  std::string joint() const { return "calibrate --prices " + btc_ + " --prices " + eth_ + " --starts 3 --seed 4"; }

  // The directory holds exactly the price files and these.
  void expect_only(std::initializer_list<std::string> names) const {
    std::size_t count = 0;
    for (const auto& entry : fs::directory_iterator(directory_)) {
      const std::string name = entry.path().filename().string();
      if (name == "btc_test_1h.csv" || name == "eth_test_1h.csv") continue;
      ++count;
      EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << "unexpected file " << name;
    }
    EXPECT_EQ(count, names.size());
  }

  std::string btc_;
  std::string eth_;
};

TEST_F(CalibrateCliTest, JointFitWritesAModelThatRuns) {
  const Outcome outcome =
      run_cli(joint() + " --out " + path("model.toml") + " --probabilities-out " + path("regimes.csv"), false);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  // BTC has 600 bars, ETH 598; common 598; returns across the gap at hour 300 and the missing first
  // ETH bar are dropped: 598 - 1 - 1 = 596 returns.
  expect_contains(outcome.output, {"source      BTC: " + btc_, "source      ETH: " + eth_, "598 common bars",
                                   "596 returns, 1 across gaps dropped", "bars of 3600 s",
                                   "ln L =", "BIC =", "AIC =", "iterations", "calm", "crisis", "stationary", "stay",
                                   "corr BTC-ETH", "per 900 s step", "model file: " + path("model.toml")});

  const std::string model = read_text(path("model.toml"));
  EXPECT_EQ(model.rfind("# written by margin-stress", 0), 0u) << model.substr(0, 200);
  expect_contains(model, {"# likelihood  ln L =", "# bars        598 common bars", "[[regimes.states]]",
                          "name = 'calm'", "name = 'crisis'", "jump_intensity_per_day = 0.0"});
  const std::string csv = read_text(path("regimes.csv"));
  EXPECT_EQ(csv.rfind("timestamp_utc,regime,p_calm,p_crisis\n", 0), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 597);

  const Outcome run =
      run_cli("run --config " + path("model.toml") + " --scenarios 3 --steps 8 --threads 2 --out " + path("run.h5"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  expect_contains(run.output, {"2 markets", "3 x 8 steps of 900 s, 2 regimes", path("model.toml")});
  expect_only({"model.toml", "regimes.csv", "run.h5"});
}

TEST_F(CalibrateCliTest, SameSeedSameModelFile) {
  ASSERT_EQ(run_cli(joint() + " --threads 1 --quiet --out " + path("model.toml")).exit_code, 0);
  const std::string first = read_text(path("model.toml"));
  ASSERT_EQ(run_cli(joint() + " --threads 2 --quiet --out " + path("model.toml") + " --force").exit_code, 0);
  const std::string second = read_text(path("model.toml"));
  // Only the recorded command line differs.
  EXPECT_EQ(first.substr(first.find("\n#\n")), second.substr(second.find("\n#\n")));
}

TEST_F(CalibrateCliTest, ThreeRegimesAndAWindow) {
  const Outcome outcome = run_cli("calibrate --prices " + btc_ +
                                      " --regimes 3 --starts 2 --from 2020-01-02 --to 2020-01-20 "
                                      "--step-seconds 600 --out " +
                                      path("model.toml"),
                                  false);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  // Days 2 to 20 inclusive: 19 days of 24 bars.
  expect_contains(outcome.output, {"456 common bars", "455 returns", "2020-01-02T00:00:00Z to 2020-01-20T23:00:00Z",
                                   "calm", "stressed", "crisis", "per 600 s step"});
  const Outcome run =
      run_cli("run --config " + path("model.toml") + " --scenarios 2 --steps 6 --threads 2 --out " + path("run.h5"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  expect_contains(run.output, {"1 markets", "3 regimes"});
}

// --regimes auto fits K = 1..3 and keeps the least BIC. The data switch between a calm and a
// turbulent volatility (sd ratio 3.75) every 50 bars, so one regime cannot win. The chosen model is
// the one --regimes K writes with the same seed, and the table is in the summary, the model file's
// header and the JSON.
TEST_F(CalibrateCliTest, RegimesAutoPrintsTheCandidatesAndWritesTheChosenModel) {
  const Outcome outcome = run_cli(
      joint() + " --regimes auto --max-regimes 3 --out " + path("auto.toml") + " --summary-json " + path("auto.json"),
      false);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output, {"regimes     chosen by BIC among K = 1 to 3", "ln L", "parameters", "BIC", "AIC",
                                   "  chosen\n", "model file: " + path("auto.toml")});
  const nlohmann::json summary = nlohmann::json::parse(read_text(path("auto.json")));
  const nlohmann::json& selection = summary["regime_selection"];
  EXPECT_EQ(selection["criterion"], "bic");
  EXPECT_EQ(selection["max_regimes"], 3);
  ASSERT_EQ(selection["candidates"].size(), 3u);
  std::size_t chosen_regimes = 0;
  double least_bic = 0.0;
  for (std::size_t k = 0; k < 3; ++k) {
    const nlohmann::json& candidate = selection["candidates"][k];
    EXPECT_EQ(candidate["regimes"], k + 1);
    ASSERT_TRUE(candidate["fitted"].get<bool>()) << candidate.dump();
    // One line of the table per candidate: K, ln L, parameters, BIC, AIC as printed.
    expect_contains(outcome.output,
                    {printf_string("  %2zu %16.3f %10d %16.3f %16.3f", k + 1, candidate["log_likelihood"].get<double>(),
                                   candidate["parameters"].get<int>(), candidate["bic"].get<double>(),
                                   candidate["aic"].get<double>())});
    if (k == 0 || candidate["bic"].get<double>() < least_bic) least_bic = candidate["bic"].get<double>();
    if (candidate["chosen"].get<bool>()) {
      EXPECT_EQ(chosen_regimes, 0u) << "two candidates chosen";
      chosen_regimes = k + 1;
      EXPECT_EQ(candidate["log_likelihood"], summary["fit"]["log_likelihood"]);
      EXPECT_EQ(candidate["bic"], summary["fit"]["bic"]);
    }
  }
  ASSERT_GE(chosen_regimes, 2u);
  EXPECT_EQ(selection["candidates"][chosen_regimes - 1]["bic"].get<double>(), least_bic);
  // Two markets: p = K(K-1) + 2K + 3K.
  EXPECT_EQ(selection["candidates"][0]["parameters"], 5);
  EXPECT_EQ(selection["candidates"][1]["parameters"], 12);
  EXPECT_EQ(summary["per_bar"]["regimes"].size(), chosen_regimes);

  const std::string model = read_text(path("auto.toml"));
  expect_contains(model, {"# regimes     chosen by BIC among K = 1 to 3", "#    K             ln L"});
  ASSERT_EQ(run_cli(joint() + " --regimes " + std::to_string(chosen_regimes) + " --quiet --out " + path("fixed.toml"))
                .exit_code,
            0);
  // Past the comment header, the two model files are the same TOML.
  const auto body = [](const std::string& text) { return text.substr(text.find("\n\n")); };
  EXPECT_EQ(body(model), body(read_text(path("fixed.toml"))));
  EXPECT_EQ(read_text(path("fixed.toml")).find("chosen by BIC"), std::string::npos);
}

TEST_F(CalibrateCliTest, GarchFitStepsByTheBarAndRuns) {
  const Outcome outcome =
      run_cli("calibrate --prices " + btc_ + " --garch --starts 2 --out " + path("model.toml"), false);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output,
                  {"GARCH", "alpha", "beta", "persistence", "likelihood evaluations", "per 3600 s step"});
  const std::string model = read_text(path("model.toml"));
  expect_contains(model, {"step_seconds = 3600.0", "garch_alpha = ", "garch_beta = "});
  EXPECT_EQ(model.find("garch_alpha = 0.0\n"), std::string::npos) << "a GARCH fit wrote alpha = 0";
  const Outcome run =
      run_cli("run --config " + path("model.toml") + " --scenarios 2 --steps 6 --threads 2 --out " + path("run.h5"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
}

TEST_F(CalibrateCliTest, QuietPrintsOnlyThePath) {
  // --zero-drift: 25 days cannot pin a trend, and a fitted one would be warned about on stderr
  // (ImplausibleModelsAreWarnedAbout).
  const Outcome outcome = run_cli(joint() + " --zero-drift --quiet --out " + path("model.toml"));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_EQ(outcome.output, path("model.toml") + "\n");
}

// One hourly BTC series over 400 bars whose log return at bar t is drift + amplitude sin(1.7 t):
// a trend of drift * 8,760 a year and a volatility of about amplitude * sqrt(8,760 / 2) a year.
std::string hourly_series(double drift, double amplitude) {
  std::string text = "timestamp_utc,close\n";
  double log_price = std::log(30000.0);
  for (long hour = 0; hour < 400; ++hour) {
    log_price += drift + amplitude * std::sin(1.7 * static_cast<double>(hour));
    char line[96];
    std::snprintf(line, sizeof line, "%s,%.6f\n", hour_text(hour).c_str(), std::exp(log_price));
    text += line;
  }
  return text;
}

TEST_F(CalibrateCliTest, ImplausibleModelsAreWarnedAbout) {
  // A trend of 0.002 * 8,760 = 17.5 a year at a volatility near 0.27: the trend is warned about,
  // in the summary and the model file, and --zero-drift writes no trend and no warning.
  const std::string trending = write_file("btc_trend_1h.csv", hourly_series(0.002, 0.004));
  Outcome outcome = run_cli("calibrate --prices " + trending + " --starts 2 --out " + path("trend.toml"), false);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output, {"WARNING: calm, BTC: the fitted trend of the log price is +", "--zero-drift"});
  expect_contains(read_text(path("trend.toml")), {"# WARNING: calm, BTC: the fitted trend of the log price is +"});
  outcome = run_cli("calibrate --prices " + trending + " --starts 2 --zero-drift --out " + path("zero.toml"), false);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_EQ(outcome.output.find("WARNING"), std::string::npos) << outcome.output;
  expect_contains(read_text(path("zero.toml")), {"drift = [0.0]"});

  // Swings of 20 % an hour: a volatility near 13 a year, warned about whatever the drift; with
  // --quiet the warning goes to stderr and stdout keeps only the path.
  const std::string wild = write_file("btc_wild_1h.csv", hourly_series(0.0, 0.2));
  outcome = run_cli("calibrate --prices " + wild + " --starts 2 --zero-drift --quiet --out " + path("wild.toml"));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output, {"WARNING: crisis, BTC: volatility ", "a year is above 6"});
  outcome = run_cli(
      "calibrate --prices " + wild + " --starts 2 --zero-drift --quiet --force --out " + path("wild.toml"), false);
  EXPECT_EQ(outcome.output, path("wild.toml") + "\n");
}

TEST_F(CalibrateCliTest, RefusesToOverwriteWithoutForce) {
  write_file("model.toml", "precious");
  const Outcome refused = run_cli(joint() + " --out " + path("model.toml"));
  EXPECT_EQ(refused.exit_code, 2);  // an existing output is a usage error (README)
  expect_contains(refused.output, {path("model.toml"), "--force"});
  EXPECT_EQ(read_text(path("model.toml")), "precious");
  EXPECT_EQ(run_cli(joint() + " --out " + path("model.toml") + " --force").exit_code, 0);
  EXPECT_NE(read_text(path("model.toml")), "precious");
}

TEST_F(CalibrateCliTest, BadPriceFileNamesFileLineAndColumn) {
  std::string text = read_text(eth_);
  // Line 6 of the file (the header is line 1): its close becomes "n/a".
  std::size_t start = 0;
  for (int line = 1; line < 6; ++line) start = text.find('\n', start) + 1;
  const std::size_t comma = text.find(',', start);
  text.replace(comma + 1, text.find('\n', start) - comma - 1, "n/a");
  const std::string bad = write_file("eth_bad.csv", text);
  const Outcome outcome = run_cli("calibrate --prices " + btc_ + " --prices " + bad + " --out " + path("model.toml"));
  EXPECT_EQ(outcome.exit_code, 3) << outcome.output;
  expect_contains(outcome.output, {bad, "line 6", "column close", "\"n/a\""});
  EXPECT_EQ(std::count(outcome.output.begin(), outcome.output.end(), '\n'), 1) << outcome.output;
  expect_only({"eth_bad.csv"});
}

TEST_F(CalibrateCliTest, MarketMissingFromTheBaseNeedsAConfig) {
  fs::copy_file(btc_, path("xrp_test_1h.csv"));
  const Outcome outcome = run_cli("calibrate --prices " + path("xrp_test_1h.csv") + " --out " + path("model.toml"));
  EXPECT_EQ(outcome.exit_code, 3) << outcome.output;
  expect_contains(outcome.output, {"XRP", "built-in default", "--config"});
  expect_only({"xrp_test_1h.csv"});

  // A base that defines XRP: its market spec and portfolio are carried into the model.
  const std::string base = write_file(
      "base.toml",
      "[[markets]]\nname = \"XRP\"\ninitial_price_usd = 0.5\nlot_size = 10.0\ndepth_usd = 1e8\n"
      "initial_margin_fraction = 0.05\nmaintenance_margin_fraction = 0.025\nreference_volatility = 0.8\n"
      "[regimes]\ntransition = [[1.0]]\n[[regimes.states]]\nname = \"only\"\nvolatility = [0.8]\ndrift = [0.0]\n"
      "jump_intensity_per_day = 0.0\njump_mean = [0.0]\njump_stddev = [0.0]\ndepth_multiplier = 1.0\n"
      "correlation = [[1.0]]\n[scenario]\nflat_regime = \"only\"\n"
      "[portfolio]\naccounts = 500\nopen_interest_share = [1.0]\nlong_fraction = [0.4]\n");
  const Outcome with_base = run_cli("calibrate --prices " + path("xrp_test_1h.csv") + " --config " + base +
                                    " --starts 2 --quiet --out " + path("model.toml"));
  ASSERT_EQ(with_base.exit_code, 0) << with_base.output;
  expect_contains(read_text(path("model.toml")),
                  {"name = 'XRP'", "lot_size = 10.0", "accounts = 500", "long_fraction = [0.4]"});
  const Outcome run =
      run_cli("run --config " + path("model.toml") + " --scenarios 2 --steps 6 --threads 2 --out " + path("run.h5"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
}

TEST_F(CalibrateCliTest, MarketsOptionNamesTheFiles) {
  const Outcome outcome = run_cli(
      "calibrate --prices " + eth_ + " --prices " + btc_ + " --markets BTC,ETH --starts 2 --out " + path("model.toml"),
      false);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output, {"source      BTC: " + eth_, "source      ETH: " + btc_});
  const Outcome twice = run_cli("calibrate --prices " + btc_ + " --prices " + btc_ + " --out " + path("other.toml"));
  EXPECT_EQ(twice.exit_code, 3) << twice.output;
  expect_contains(twice.output, {"BTC", "--markets"});
}

TEST_F(CalibrateCliTest, StepTooLongForTheRescalingIsBadInput) {
  // Leaving the turbulent regime has probability about 1/50 per bar; 1000 hours per step makes it ~20.
  const Outcome outcome = run_cli(joint() + " --step-seconds 3600000 --out " + path("model.toml"));
  EXPECT_EQ(outcome.exit_code, 3) << outcome.output;
  expect_contains(outcome.output, {"regimes.transition row", "--step-seconds 3600"});
  expect_only({});
}

TEST_F(CalibrateCliTest, UsageErrorsExitTwo) {
  const std::string out = " --out " + path("model.toml");
  for (const std::string& arguments :
       {"calibrate --prices " + btc_ + " --regimes 7" + out, "calibrate --prices " + btc_ + " --regimes 1" + out,
        "calibrate --prices " + btc_ + " --starts 0" + out, "calibrate --prices " + btc_,
        "calibrate --out " + path("model.toml"), "calibrate --prices " + path("nowhere.csv") + out,
        "calibrate --prices " + btc_ + " --prices " + eth_ + " --garch" + out,
        "calibrate --prices " + btc_ + " --markets BTC,ETH" + out,
        "calibrate --prices " + btc_ + " --from 2020-02-30" + out,
        "calibrate --prices " + btc_ + " --step-seconds -5" + out,
        "calibrate --prices " + btc_ + " --epoch-unit minutes" + out,
        "calibrate --prices " + btc_ + " --epoch-unit 1" + out,
        "calibrate --prices " + btc_ + " --to '2020-02-01 01:00Z'" + out,
        "calibrate --prices " + btc_ + " --regimes two" + out,
        "calibrate --prices " + btc_ + " --regimes auto --garch" + out,
        "calibrate --prices " + btc_ + " --regimes auto --max-regimes 7" + out,
        "calibrate --prices " + btc_ + " --max-regimes 3" + out}) {
    SCOPED_TRACE(arguments);
    EXPECT_EQ(run_cli(arguments).exit_code, 2);
  }
  expect_only({});
  const Outcome help = run_cli("calibrate --help");
  EXPECT_EQ(help.exit_code, 0);
  expect_contains(help.output,
                  {"--prices", "--markets", "--column", "--time-column", "--epoch-unit", "--regimes", "--max-regimes",
                   "--garch", "--zero-drift", "--starts", "--seed", "--config", "--step-seconds", "--from", "--to",
                   "--out", "--probabilities-out", "--force", "--quiet"});
}

// Constant prices have zero variance in every regime, so no EM start reaches a finite likelihood;
// the message used to say only that, naming no file.
TEST_F(CalibrateCliTest, ConstantPricesNameTheFile) {
  std::string flat = "timestamp_utc,close\n";
  for (long hour = 0; hour < 100; ++hour) flat += hour_text(hour) + ",30000\n";
  const std::string flat_path = write_file("flat_test_1h.csv", flat);
  const Outcome outcome = run_cli("calibrate --prices " + flat_path + " --starts 2 --out " + path("model.toml"));
  EXPECT_EQ(outcome.exit_code, 3) << outcome.output;
  expect_contains(outcome.output, {flat_path + ": the prices of market FLAT do not move", "99 returns"});
  EXPECT_FALSE(fs::exists(path("model.toml")));
}

// A price file above the documented limit (docs/calibration.md) is refused before it is read; a
// sparse file has the size without the disk space.
TEST_F(CalibrateCliTest, APriceFileAboveTheSizeLimitIsRefusedBeforeReading) {
  const std::string huge = write_file("huge_test_1h.csv", "timestamp_utc,close\n");
  fs::resize_file(huge, (std::uintmax_t{512} << 20) + 1);
  const Outcome outcome = run_cli("calibrate --prices " + huge + " --out " + path("model.toml"));
  EXPECT_EQ(outcome.exit_code, 3) << outcome.output;
  expect_contains(outcome.output, {huge + ": the price file is 536870913 bytes", "limit of 536870912 bytes (512 MiB)"});
  EXPECT_FALSE(fs::exists(path("model.toml")));
}

}  // namespace
}  // namespace margin_stress
