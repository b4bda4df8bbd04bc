// Historical replays (docs/model.md, section 10.2): resampling by hand, intrabar points of OHLC
// bars, the file's prices exactly (or its returns from the initial price), and every input problem
// named.
#include "scenarios/replay.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "host/engine/cpu/cpu_engine.hpp"
#include "host/io/config_file.hpp"
#include "host/model/input_error.hpp"
#include "host/portfolio/generator.hpp"
#include "scenarios/scenario_builder.hpp"
#include "scenarios/validate_config.hpp"

namespace margin_stress {
namespace {

const std::string fixture = std::string(MARGIN_STRESS_SOURCE_DIR) + "/tests/data/replay_fixture.csv";
const std::string ohlc_fixture = std::string(MARGIN_STRESS_SOURCE_DIR) + "/tests/data/replay_ohlc_fixture.csv";

// Close-only bars, as a file replayed by one column gives them.
std::vector<ReplayBar> close_bars(const std::vector<std::int64_t>& times, const std::vector<double>& closes) {
  std::vector<ReplayBar> bars;
  for (std::size_t i = 0; i < times.size(); ++i) bars.push_back({times[i], {closes[i]}});
  return bars;
}

// 10-minute bars opening at 00:00 .. 01:00 with closes 100.5, 101.25, 97, 96.125, 99, 102, 103.5.
// A price at time T is the close of the last bar closed by T: bar "00:00" closes at 00:10.
TEST(Resample, LastClosedBarAtEachStep) {
  const std::vector<std::int64_t> times = {0, 600, 1200, 1800, 2400, 3000, 3600};
  const std::vector<double> closes = {100.5, 101.25, 97, 96.125, 99, 102, 103.5};
  // Steps of 5 minutes from 00:10: 00:10 100.5, 00:15 100.5, 00:20 101.25, 00:25 101.25, 00:30 97.
  EXPECT_EQ(resample_bars(close_bars(times, closes), 600, 600, 300.0, 4, "f.csv"),
            (std::vector<double>{100.5, 100.5, 101.25, 101.25, 97}));
  // Steps of 20 minutes from 00:20: 101.25, 96.125 (00:40), 102 (01:00: bar 00:50 has closed).
  EXPECT_EQ(resample_bars(close_bars(times, closes), 600, 1200, 1200.0, 2, "f.csv"),
            (std::vector<double>{101.25, 96.125, 102}));
  // The last step may fall exactly on the last close (01:10), not after it.
  EXPECT_EQ(resample_bars(close_bars(times, closes), 600, 3000, 600.0, 2, "f.csv"),
            (std::vector<double>{99, 102, 103.5}));
}

TEST(Resample, WindowOutsideTheFileIsAnError) {
  const std::vector<std::int64_t> times = {0, 600, 1200};
  const std::vector<double> closes = {1, 2, 3};
  try {
    resample_bars(close_bars(times, closes), 600, 300, 300.0, 2, "f.csv");  // nothing has closed by 00:05
    ADD_FAILURE();
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("f.csv: no bar has closed by 1970-01-01T00:05:00Z"), std::string::npos)
        << error.what();
  }
  try {
    resample_bars(close_bars(times, closes), 600, 600, 600.0, 3, "f.csv");  // needs 00:40, bars end 00:30
    ADD_FAILURE();
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("the bars end at 1970-01-01T00:30:00Z"), std::string::npos)
        << error.what();
  }
}

// A bar's points: open, low, high, close when it closed up; open, high, low, close otherwise
// (down or flat); a point equal to the one before it is dropped.
TEST(IntrabarPoints, OrderFollowsTheBarsDirection) {
  EXPECT_EQ(intrabar_points(100, 104, 98, 103), (std::vector<double>{100, 98, 104, 103}));  // up
  EXPECT_EQ(intrabar_points(103, 105, 95, 96), (std::vector<double>{103, 105, 95, 96}));    // down
  EXPECT_EQ(intrabar_points(50, 51, 49, 50), (std::vector<double>{50, 51, 49, 50}));        // flat
  EXPECT_EQ(intrabar_points(96, 99, 96, 98), (std::vector<double>{96, 99, 98}));            // opened at its low
  EXPECT_EQ(intrabar_points(10, 12, 9, 12), (std::vector<double>{10, 9, 12}));              // closed at its high
  EXPECT_EQ(intrabar_points(7, 7, 7, 7), (std::vector<double>{7}));                         // no move
}

// A bar of b seconds with k points reaches point j at open + (j + 1) b / k.
TEST(Resample, OhlcBarsSplitTheirIntervalEquallyAmongTheirPoints) {
  // One-hour bars: 00:00 (100, 98, 104, 103), 01:00 (103, 105, 95, 96), 02:00 (96, 99, 98).
  const std::vector<ReplayBar> bars = {{0, {100, 98, 104, 103}}, {3600, {103, 105, 95, 96}}, {7200, {96, 99, 98}}};
  // 15-minute steps from 00:15: the first two bars' points one a step; the third bar's points at
  // 02:20, 02:40, 03:00, so 02:15 still holds the second bar's close and 02:30 the open.
  EXPECT_EQ(resample_bars(bars, 3600, 900, 900.0, 11, "f.csv"),
            (std::vector<double>{100, 98, 104, 103, 103, 105, 95, 96, 96, 96, 99, 98}));
  // 10-minute steps from 01:00: 01:10 is before the open's quarter (103, the first bar's close).
  EXPECT_EQ(resample_bars(bars, 3600, 3600, 600.0, 12, "f.csv"),
            (std::vector<double>{103, 103, 103, 105, 105, 95, 96, 96, 96, 96, 99, 99, 98}));
}

ModelConfig replay_config(const std::string& replay_table, std::int64_t steps, double step_seconds) {
  ModelConfig config = parse_config("[run]\nsteps = " + std::to_string(steps) +
                                        "\nstep_seconds = " + std::to_string(step_seconds) + "\n" + replay_table,
                                    "replay.toml");
  validate_config(config);
  return config;
}

std::string replay_table(const std::string& start, bool rebase) {
  return "[[scenario.replays]]\nmarket = \"ETH\"\nfile = \"" + fixture + "\"\ncolumn = \"close\"\nstart_utc = \"" +
         start + "\"\nrebase = " + (rebase ? "true" : "false") + "\n";
}

TEST(Replay, RebasedPathFollowsTheFilesReturns) {
  const ModelConfig config = replay_config(replay_table("2024-01-01T00:10:00Z", true), 6, 600.0);
  const ScenarioPaths paths = build_scenarios(config, 0, 3);
  const double closes[] = {100.5, 101.25, 97, 96.125, 99, 102, 103.5};
  for (std::int64_t s = 0; s < 3; ++s) {
    for (std::int64_t t = 0; t <= 6; ++t) {
      EXPECT_EQ(paths.fundamental_price_usd[paths.price_index(s, t, 1)], 3000.0 * (closes[t] / 100.5));
    }
  }
  // The other markets still follow the Monte Carlo model, scenario by scenario.
  EXPECT_NE(paths.fundamental_price_usd[paths.price_index(0, 6, 0)],
            paths.fundamental_price_usd[paths.price_index(1, 6, 0)]);
}

// A replay's file in another layout (epoch milliseconds named by the column's suffix, quoted
// fields) drives the market to the same prices, bit for bit.
TEST(Replay, EpochMillisecondFileReplaysTheSamePrices) {
  std::ifstream in(fixture);
  std::string line;
  std::getline(in, line);  // the header
  std::string text = "\"open_time_ms\",\"open\",\"close\"\n";
  for (std::int64_t bar = 0; std::getline(in, line); ++bar) {
    const std::string rest = line.substr(line.find(','));  // ",open,close"
    const std::size_t comma = rest.find(',', 1);
    // 2024-01-01T00:00:00Z is 1704067200 s; the fixture's bars are 10 minutes apart.
    text += "\"" + std::to_string((1704067200 + bar * 600) * 1000) + "\",\"" + rest.substr(1, comma - 1) + "\",\"" +
            rest.substr(comma + 1) + "\"\n";
  }
  const std::string path = ::testing::TempDir() + "replay_fixture_epoch_ms.csv";
  std::ofstream(path) << text;
  std::string table = replay_table("2024-01-01T00:10:00Z", true);
  table.replace(table.find(fixture), fixture.size(), path);
  const ScenarioPaths epoch = build_scenarios(replay_config(table, 6, 600.0), 0, 2);
  const ScenarioPaths iso = build_scenarios(replay_config(replay_table("2024-01-01T00:10:00Z", true), 6, 600.0), 0, 2);
  for (std::int64_t t = 0; t <= 6; ++t) {
    EXPECT_EQ(epoch.fundamental_price_usd[epoch.price_index(1, t, 1)],
              iso.fundamental_price_usd[iso.price_index(1, t, 1)])
        << "step " << t;
  }
  std::remove(path.c_str());
}

TEST(Replay, WithoutImpactTheEngineReplaysTheFilesPricesExactly) {
  // rebase = false: the file's own prices; the market must then start at the file's price.
  ModelConfig config = replay_config(replay_table("2024-01-01T00:10:00Z", false), 6, 600.0);
  EXPECT_THROW(build_scenarios(config, 0, 1), InputError);  // ETH's initial price is 3000, not 100.5
  config.markets[1].initial_price_usd = 100.5;
  for (MarketSpec& market : config.markets) market.depth_usd = 1e300;  // no impact
  config.portfolio.accounts = 500;
  const ScenarioPaths paths = build_scenarios(config, 0, 2);
  const Portfolio book = generate_portfolio(config.portfolio, config.markets);
  const BatchResults results = make_cpu_engine(1)->run(config, book, paths, nullptr);
  const double closes[] = {100.5, 101.25, 97, 96.125, 99, 102, 103.5};
  for (std::int64_t t = 1; t <= 6; ++t) {
    EXPECT_EQ(results.series.mark_price_usd[results.series.market_index(1, t - 1, 1)], closes[t]);
    EXPECT_EQ(results.series.fundamental_price_usd[results.series.market_index(1, t - 1, 1)], closes[t]);
  }
}

// The hand-written 3-bar file (tests/data/replay_ohlc_fixture.csv, the bars above) replayed with the
// default column: every sub-step's price, listed by hand, exactly; `column = "close"` on the same
// file keeps one price a bar.
TEST(Replay, OhlcFileStepsThroughEachBarsPoints) {
  std::string table = replay_table("2024-01-01T00:15:00Z", false);
  table.replace(table.find(fixture), fixture.size(), ohlc_fixture);
  table.erase(table.find("column = \"close\"\n"), std::string("column = \"close\"\n").size());
  ModelConfig config = replay_config(table, 11, 900.0);
  EXPECT_EQ(config.scenario.replays[0].column, "ohlc");
  config.markets[1].initial_price_usd = 100.0;
  const ScenarioPaths paths = build_scenarios(config, 0, 2);
  const double expected[] = {100, 98, 104, 103, 103, 105, 95, 96, 96, 96, 99, 98};
  for (std::int64_t t = 0; t <= 11; ++t) {
    EXPECT_EQ(paths.fundamental_price_usd[paths.price_index(1, t, 1)], expected[t]) << "step " << t;
  }
  std::string closes = replay_table("2024-01-01T01:00:00Z", false);
  closes.replace(closes.find(fixture), fixture.size(), ohlc_fixture);
  ModelConfig close_config = replay_config(closes, 8, 900.0);
  close_config.markets[1].initial_price_usd = 103.0;
  const ScenarioPaths close_paths = build_scenarios(close_config, 0, 1);
  const double close_expected[] = {103, 103, 103, 103, 96, 96, 96, 96, 98};
  for (std::int64_t t = 0; t <= 8; ++t) {
    EXPECT_EQ(close_paths.fundamental_price_usd[close_paths.price_index(0, t, 1)], close_expected[t]) << "step " << t;
  }
}

// A file without high and low columns (the close-only fixture has open and close) replays its closes
// under the default column, exactly as column = "close" does.
TEST(Replay, DefaultColumnOnACloseOnlyFileReplaysCloses) {
  std::string table = replay_table("2024-01-01T00:10:00Z", true);
  table.erase(table.find("column = \"close\"\n"), std::string("column = \"close\"\n").size());
  const ScenarioPaths by_default = build_scenarios(replay_config(table, 6, 300.0), 0, 1);
  const ScenarioPaths by_close =
      build_scenarios(replay_config(replay_table("2024-01-01T00:10:00Z", true), 6, 300.0), 0, 1);
  EXPECT_EQ(by_default.fundamental_price_usd, by_close.fundamental_price_usd);
}

// A high below the bar's other prices, or a low above them, names the file, the row and the column.
TEST(Replay, InconsistentBarIsNamed) {
  const std::string path = ::testing::TempDir() + "replay_bad_bar.csv";
  std::ofstream(path) << "timestamp_utc,open,high,low,close\n2024-01-01T00:00:00Z,100,101,99,100\n"
                         "2024-01-01T01:00:00Z,100,101,99,102\n2024-01-01T02:00:00Z,102,103,102.5,103\n";
  std::string table = replay_table("2024-01-01T01:00:00Z", true);
  table.replace(table.find(fixture), fixture.size(), path);
  table.erase(table.find("column = \"close\"\n"), std::string("column = \"close\"\n").size());
  try {
    build_scenarios(replay_config(table, 2, 900.0), 0, 1);
    ADD_FAILURE();
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find(path + ": data row 2 (bar 2024-01-01T01:00:00Z): column high: 101"),
              std::string::npos)
        << error.what();
  }
  std::ofstream(path) << "timestamp_utc,open,high,low,close\n2024-01-01T00:00:00Z,100,101,99,100\n"
                         "2024-01-01T01:00:00Z,100,103,100.5,102\n";
  try {
    build_scenarios(replay_config(table, 2, 900.0), 0, 1);
    ADD_FAILURE();
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("data row 2 (bar 2024-01-01T01:00:00Z): column low: 100.5"),
              std::string::npos)
        << error.what();
  }
  std::remove(path.c_str());
}

TEST(Replay, ConfigProblemsAreNamed) {
  auto message = [](const std::string& table) {
    try {
      const ModelConfig config = replay_config(table, 4, 600.0);
      build_scenarios(config, 0, 1);
    } catch (const InputError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(replay_table("2024-13-01T00:00:00Z", true)).find("scenario.replays[0].start_utc"),
            std::string::npos);
  EXPECT_NE(message(replay_table("2023-12-31T00:00:00Z", true)).find("no bar has closed"), std::string::npos);
  EXPECT_NE(message(replay_table("2024-01-01T00:50:00Z", true)).find("the bars end at 2024-01-01T01:10:00Z"),
            std::string::npos);
  EXPECT_NE(message("[[scenario.replays]]\nmarket = \"LUNA\"\nfile = \"x.csv\"\nstart_utc = \"2024-01-01T00:10:00Z\"\n")
                .find("scenario.replays[0].market"),
            std::string::npos);
  EXPECT_NE(message("[[scenario.replays]]\nmarket = \"BTC\"\nfile = \"/nonexistent/x.csv\"\nstart_utc = "
                    "\"2024-01-01T00:10:00Z\"\n")
                .find("/nonexistent/x.csv"),
            std::string::npos);
  std::string wrong_column = replay_table("2024-01-01T00:10:00Z", true);
  wrong_column.replace(wrong_column.find("\"close\""), 7, "\"last\"");
  EXPECT_NE(message(wrong_column).find("last"), std::string::npos);
}

TEST(Replay, PresetsLoadFromAnyDirectoryAndCoverTheirWindow) {
  const std::filesystem::path presets = std::filesystem::path(MARGIN_STRESS_SOURCE_DIR) / "scenarios/presets/replays";
  const auto here = std::filesystem::current_path();
  std::filesystem::current_path(std::filesystem::temp_directory_path());
  for (const char* name : {"2020-03-12.toml", "2021-05-19.toml", "2022-11-08.toml", "2020-03-12-intrabar.toml",
                           "2021-05-19-intrabar.toml", "2022-11-08-intrabar.toml"}) {
    SCOPED_TRACE(name);
    ModelConfig config = load_config_file((presets / name).string());
    validate_config(config);
    ASSERT_EQ(config.scenario.replays.size(), 2u);
    EXPECT_TRUE(std::filesystem::path(config.scenario.replays[0].file).is_absolute());
    const ScenarioPaths paths = build_scenarios(config, 0, 1);
    // BTC fell in each of these windows: its lowest replayed price is well below the start.
    double lowest = paths.fundamental_price_usd[paths.price_index(0, 0, 0)];
    for (std::int64_t t = 0; t <= paths.steps; ++t)
      lowest = std::min(lowest, paths.fundamental_price_usd[paths.price_index(0, t, 0)]);
    EXPECT_LT(lowest, 0.85 * config.markets[0].initial_price_usd);
  }
  std::filesystem::current_path(here);
}

// BTC's lowest replayed price in an intrabar preset against its close-only twin (the same file,
// start and book price, so the same p(tau_0)): the ratio of the window's lowest low to its lowest
// close, every 30-minute and 1-hour close being a step of the close-only presets.
double lowest_btc(const std::string& preset) {
  ModelConfig config = load_config_file(std::string(MARGIN_STRESS_SOURCE_DIR) + "/scenarios/presets/replays/" + preset);
  validate_config(config);
  const ScenarioPaths paths = build_scenarios(config, 0, 1);
  double lowest = paths.fundamental_price_usd[paths.price_index(0, 0, 0)];
  for (std::int64_t t = 0; t <= paths.steps; ++t)
    lowest = std::min(lowest, paths.fundamental_price_usd[paths.price_index(0, t, 0)]);
  return lowest;
}

TEST(Replay, IntrabarPresetsReachTheWicks) {
  // 2020-03-12: lowest low 3,782.13, lowest close 4,130.64.
  EXPECT_NEAR(lowest_btc("2020-03-12-intrabar.toml") / lowest_btc("2020-03-12.toml"), 3782.13 / 4130.64, 1e-12);
  // 2022-11-08: lowest low 15,588, lowest close 15,751.13.
  EXPECT_NEAR(lowest_btc("2022-11-08-intrabar.toml") / lowest_btc("2022-11-08.toml"), 15588.0 / 15751.13, 1e-12);
  // 2021-05-19: the close-only preset samples every third 5-minute close; the intrabar one reaches
  // 30,000, below the lowest close of all, 30,101.
  EXPECT_LT(lowest_btc("2021-05-19-intrabar.toml"), lowest_btc("2021-05-19.toml") * (30000.0 / 30101.0) * (1 + 1e-12));
}

}  // namespace
}  // namespace margin_stress
