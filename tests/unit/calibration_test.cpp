// Calibration of the regime model to price history (scenarios/calibration, docs/calibration.md):
// the price-file reader, the Hamilton filter and Kim smoother against hand computations, EM and
// MS-GARCH recovering known parameters from long simulated series, and the model file built from a fit.
//
// The simulated series are drawn here, with Philox through this file's own conversion to uniforms
// and normals (not scenarios/rng.hpp), so that the data do not share code with what they test.
// Statistical tolerances are 5 standard errors computed from the sample size (derivations at each
// check), never tuned to the outcome.
#include <Random123/philox.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "host/io/config_file.hpp"
#include "host/io/config_writer.hpp"
#include "host/model/input_error.hpp"
#include "host/model/text_format.hpp"
#include "scenarios/calibration/em_fit.hpp"
#include "scenarios/calibration/gaussian_density.hpp"
#include "scenarios/calibration/hamilton_filter.hpp"
#include "scenarios/calibration/model_output.hpp"
#include "scenarios/calibration/ms_garch_fit.hpp"
#include "scenarios/calibration/nelder_mead.hpp"
#include "scenarios/calibration/price_series.hpp"
#include "scenarios/calibration/regime_probabilities.hpp"
#include "scenarios/calibration/regime_selection.hpp"
#include "scenarios/calibration/return_series.hpp"
#include "scenarios/calibration/utc_time.hpp"
#include "scenarios/validate_config.hpp"

namespace margin_stress::calibration {
namespace {

namespace fs = std::filesystem;

constexpr double pi_value = 3.14159265358979323846;

// ---------------------------------------------------------------------------------------------
// Test-only random numbers: Philox4x32-10 keyed by the seed, counter {draw low, draw high, 0x7e57, 0}.

class TestRandom {
 public:
  explicit TestRandom(std::uint64_t seed)
      : key_{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}} {}

  // 53 random bits, offset by half a cell: strictly inside (0, 1).
  double uniform() {
    const r123::Philox4x32::ctr_type counter = {
        {static_cast<std::uint32_t>(draw_), static_cast<std::uint32_t>(draw_ >> 32), 0x7e57u, 0u}};
    ++draw_;
    const r123::Philox4x32::ctr_type block = r123::Philox4x32()(counter, key_);
    const std::uint64_t bits = ((static_cast<std::uint64_t>(block[0]) << 32) | block[1]) >> 11;
    return (static_cast<double>(bits) + 0.5) * 0x1p-53;
  }

  double normal() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    const double radius = std::sqrt(-2.0 * std::log(uniform()));
    const double angle = 6.283185307179586 * uniform();
    spare_ = radius * std::sin(angle);
    have_spare_ = true;
    return radius * std::cos(angle);
  }

  std::size_t next_state(const std::vector<double>& transition, std::size_t from, std::size_t regimes) {
    const double u = uniform();
    double cumulative = 0.0;
    for (std::size_t j = 0; j < regimes; ++j) {
      cumulative += transition[from * regimes + j];
      if (u < cumulative) return j;
    }
    return regimes - 1;
  }

 private:
  r123::Philox4x32::key_type key_;
  std::uint64_t draw_ = 0;
  bool have_spare_ = false;
  double spare_ = 0.0;
};

// Stationary law by power iteration (independent of scenarios/regime_chain's elimination).
std::vector<double> power_stationary(const std::vector<double>& transition, std::size_t regimes) {
  std::vector<double> pi(regimes, 1.0 / static_cast<double>(regimes));
  for (int iteration = 0; iteration < 20000; ++iteration) {
    std::vector<double> next(regimes, 0.0);
    for (std::size_t i = 0; i < regimes; ++i) {
      for (std::size_t j = 0; j < regimes; ++j) next[j] += pi[i] * transition[i * regimes + j];
    }
    pi = next;
  }
  return pi;
}

// A Gaussian regime model for one or two markets: sd per market, one correlation.
struct TrueRegime {
  std::vector<double> mean;
  std::vector<double> sd;
  double correlation = 0.0;
};

struct TrueModel {
  std::vector<double> transition;
  std::vector<TrueRegime> regimes;
};

// Returns [t][m]; the regime path goes to *path when given. The chain starts in regime 0.
std::vector<double> simulate_gaussian(const TrueModel& model, std::size_t n, std::uint64_t seed,
                                      std::vector<std::size_t>* path = nullptr) {
  TestRandom random(seed);
  const std::size_t regimes = model.regimes.size();
  const std::size_t markets = model.regimes[0].sd.size();
  std::vector<double> returns;
  std::size_t state = 0;
  for (std::size_t t = 0; t < n; ++t) {
    if (t > 0) state = random.next_state(model.transition, state, regimes);
    if (path != nullptr) path->push_back(state);
    const TrueRegime& regime = model.regimes[state];
    const double z0 = random.normal();
    returns.push_back(regime.mean[0] + regime.sd[0] * z0);
    if (markets == 2) {
      const double z1 =
          regime.correlation * z0 + std::sqrt(1.0 - regime.correlation * regime.correlation) * random.normal();
      returns.push_back(regime.mean[1] + regime.sd[1] * z1);
    }
  }
  return returns;
}

double fitted_sd(const RegimeFit& fit, std::size_t k, std::size_t m) {
  return std::sqrt(fit.states[k].covariance[m * fit.markets + m]);
}

double fitted_correlation(const RegimeFit& fit, std::size_t k) {
  const std::vector<double>& c = fit.states[k].covariance;
  return c[1] / std::sqrt(c[0] * c[3]);
}

// Checks a Gaussian fit against the true model with 5 standard errors of an estimator that knew
// the regime path. With N_k = pi_k n bars in regime k:
//   transition p_ij (i != j): N_i Bernoulli trials, SE = sqrt(p (1 - p) / N_i);
//   sd:          SE = sd / sqrt(2 N_k)    (normal data);
//   mean:        SE = sd / sqrt(N_k);
//   correlation: SE = (1 - rho^2) / sqrt(N_k).
// The regimes are separated (sd ratio >= 3) so that misclassified bars, which the formulas ignore,
// add well under one standard error.
void expect_recovers(const TrueModel& truth, const RegimeFit& fit, std::size_t n) {
  const std::size_t regimes = truth.regimes.size();
  const std::size_t markets = truth.regimes[0].sd.size();
  ASSERT_EQ(fit.regime_count(), regimes);
  ASSERT_TRUE(std::isfinite(fit.log_likelihood));
  const std::vector<double> pi = power_stationary(truth.transition, regimes);
  for (std::size_t i = 0; i < regimes; ++i) {
    const double visits = pi[i] * static_cast<double>(n);
    for (std::size_t j = 0; j < regimes; ++j) {
      if (i == j) continue;
      const double p = truth.transition[i * regimes + j];
      const double se = std::sqrt(std::max(p * (1.0 - p), 1.0 / visits) / visits);
      EXPECT_NEAR(fit.transition[i * regimes + j], p, 5.0 * se) << "transition " << i << " -> " << j;
    }
    const TrueRegime& regime = truth.regimes[i];
    for (std::size_t m = 0; m < markets; ++m) {
      EXPECT_NEAR(fitted_sd(fit, i, m), regime.sd[m], 5.0 * regime.sd[m] / std::sqrt(2.0 * visits))
          << "sd of regime " << i << " market " << m;
      EXPECT_NEAR(fit.states[i].mean[m], regime.mean[m], 5.0 * regime.sd[m] / std::sqrt(visits))
          << "mean of regime " << i << " market " << m;
    }
    if (markets == 2) {
      const double rho = regime.correlation;
      EXPECT_NEAR(fitted_correlation(fit, i), rho, 5.0 * (1.0 - rho * rho) / std::sqrt(visits))
          << "correlation of regime " << i;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Times and price files.

TEST(UtcTime, ParsesBothSpellingsToEpochSeconds) {
  // Reference values from Python's datetime(..., tzinfo=timezone.utc).timestamp().
  const auto seconds = [](const char* text) { return parse_utc_time(text).value_or(UtcTime{-1, false}).seconds; };
  EXPECT_EQ(seconds("2020-03-12T10:45:00Z"), 1584009900);
  EXPECT_EQ(seconds("2020-03-12T10:45:00+00:00"), 1584009900);
  EXPECT_EQ(seconds("2020-02-29"), 1582934400);
  EXPECT_EQ(seconds("1970-01-01"), 0);
  EXPECT_EQ(format_utc_time(1584009900), "2020-03-12T10:45:00Z");
  EXPECT_EQ(format_utc_time(1582934400), "2020-02-29T00:00:00Z");
}

TEST(UtcTime, RejectsWhatIsNotADateOrTime) {
  // (A space for the T, no zone and other offsets are ISO 8601 too: tests/unit/price_file_test.cpp.)
  for (const char* bad : {"2021-02-29", "2020-13-01", "2020-00-10", "2020-03-12T24:00:00Z", "2020-03-12T10:60:00Z",
                          "20-03-12", "2020/03/12", "", "1969-12-31", "2020-03-12T10:45Z"}) {
    EXPECT_FALSE(parse_utc_time(bad).has_value()) << bad;
  }
}

class PriceFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() / ("margin-stress-calibration-" + std::to_string(getpid()) + "-" +
                                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  std::string write_file(const std::string& name, const std::string& text) const {
    const std::string path = (directory_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  // InputError's message from reading `text` as `name`, or "" if it reads.
  std::string read_error(const std::string& name, const std::string& text) const {
    const std::string path = write_file(name, text);
    try {
      read_price_csv(path, "BTC", PriceFileFormat{});
    } catch (const InputError& error) {
      return error.what();
    }
    return "";
  }

  fs::path directory_;
};

TEST_F(PriceFileTest, ReadsTimesAndCloses) {
  const std::string path = write_file("btc_usdt_1h.csv",
                                      "timestamp_utc,open,high,low,close,volume_btc\r\n"
                                      "2020-03-12T10:00:00Z,1,1,1,5000.5,3\r\n"
                                      "\r\n"
                                      "2020-03-12T11:00:00Z,1,1,1,4900,3\r\n");
  const PriceSeries series = read_price_csv(path, market_name_from_path(path), PriceFileFormat{});
  EXPECT_EQ(series.market, "BTC");
  EXPECT_EQ(series.source, path);
  ASSERT_EQ(series.price_usd.size(), 2u);
  EXPECT_EQ(series.time_seconds[0], 1584007200);
  EXPECT_EQ(series.time_seconds[1], 1584010800);
  EXPECT_EQ(series.price_usd[0], 5000.5);
  EXPECT_EQ(series.price_usd[1], 4900.0);
}

TEST_F(PriceFileTest, ReadsDailyFilesAndOtherColumns) {
  const std::string path = write_file("eth.csv", "date,open\n2020-03-11,194.5\n2020-03-12,110.25\n");
  const PriceSeries series = read_price_csv(path, "ETH", {"open", "", std::nullopt});
  ASSERT_EQ(series.price_usd.size(), 2u);
  EXPECT_EQ(series.time_seconds[1] - series.time_seconds[0], 86400);
  EXPECT_EQ(series.price_usd[1], 110.25);
}

TEST_F(PriceFileTest, MarketNameIsTheFirstTokenOfTheFileName) {
  EXPECT_EQ(market_name_from_path("/data/btc_usdt_1h_binance_2017-08-17_2023-03-02.csv"), "BTC");
  EXPECT_EQ(market_name_from_path("eth.csv"), "ETH");
  EXPECT_EQ(market_name_from_path("dir_x/sol_perp.csv"), "SOL");
}

struct BadRow {
  const char* name;
  const char* rows;  // after the header
  std::vector<std::string> message;
};

TEST_F(PriceFileTest, BadRowsNameTheFileLineAndColumn) {
  const std::string header = "timestamp_utc,close\n";
  const BadRow cases[] = {
      {"non_numeric", "2020-01-01T00:00:00Z,100\n2020-01-01T01:00:00Z,abc\n", {"line 3", "column close", "\"abc\""}},
      {"empty_price", "2020-01-01T00:00:00Z,\n", {"line 2", "column close", "is not a number"}},
      {"trailing_text", "2020-01-01T00:00:00Z,100x\n", {"line 2", "column close", "100x"}},
      {"negative",
       "2020-01-01T00:00:00Z,100\n2020-01-01T01:00:00Z,101\n2020-01-01T02:00:00Z,-5\n",
       {"line 4", "column close", "-5", "positive finite"}},
      {"zero", "2020-01-01T00:00:00Z,0\n", {"line 2", "column close", "positive finite"}},
      {"nan", "2020-01-01T00:00:00Z,nan\n", {"line 2", "column close", "nan"}},
      {"infinite", "2020-01-01T00:00:00Z,inf\n", {"line 2", "column close", "inf"}},
      {"repeated_time",
       "2020-01-01T00:00:00Z,100\n2020-01-01T00:00:00Z,101\n",
       {"line 3", "column timestamp_utc", "strictly increase"}},
      {"decreasing_time",
       "2020-01-01T05:00:00Z,100\n2020-01-01T04:00:00Z,101\n",
       {"line 3", "column timestamp_utc", "2020-01-01T04:00:00Z", "2020-01-01T05:00:00Z"}},
      {"bad_time",
       "2020-01-01T00:00:00Z,100\n2020-13-01T00:00:00Z,101\n",
       {"line 3", "column timestamp_utc", "2020-13-01"}},
      {"date_in_time_column", "2020-01-01,100\n", {"line 2", "column timestamp_utc"}},
      {"field_count", "2020-01-01T00:00:00Z,100,7\n", {"line 2", "3 fields", "header has 2"}},
      {"one_row", "2020-01-01T00:00:00Z,100\n", {"1 data rows"}},
  };
  for (const BadRow& bad : cases) {
    SCOPED_TRACE(bad.name);
    const std::string file = std::string(bad.name) + ".csv";
    const std::string message = read_error(file, header + bad.rows);
    ASSERT_FALSE(message.empty()) << "no error";
    EXPECT_NE(message.find(file), std::string::npos) << message;
    for (const std::string& part : bad.message)
      EXPECT_NE(message.find(part), std::string::npos) << part << " in " << message;
  }
}

TEST_F(PriceFileTest, HeaderProblemsNameTheFile) {
  std::string message = read_error("no_time.csv", "when,close\n2020-01-01T00:00:00Z,1\n");
  EXPECT_NE(message.find("no_time.csv: line 1"), std::string::npos) << message;
  EXPECT_NE(message.find("timestamp_utc or date"), std::string::npos) << message;
  message = read_error("no_close.csv", "timestamp_utc,price\n2020-01-01T00:00:00Z,1\n");
  EXPECT_NE(message.find("no_close.csv: line 1"), std::string::npos) << message;
  EXPECT_NE(message.find("'close'"), std::string::npos) << message;
  EXPECT_NE(message.find("--column"), std::string::npos) << message;
  try {
    read_price_csv((directory_ / "missing.csv").string(), "BTC", PriceFileFormat{});
    ADD_FAILURE() << "a missing file read";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("missing.csv"), std::string::npos);
  }
}

PriceSeries series_of(const std::string& market, std::vector<std::int64_t> hours, std::vector<double> prices) {
  PriceSeries series;
  series.source = market + ".csv";
  series.market = market;
  for (const std::int64_t hour : hours) series.time_seconds.push_back(1577836800 + hour * 3600);
  series.price_usd = std::move(prices);
  return series;
}

TEST(ReturnSeries, AlignsOnCommonBarsAndDropsReturnsAcrossGaps) {
  // A has hours 0..6 without 4; B has 0..7 without 2. Common: 0, 1, 3, 5, 6. Adjacent pairs: (0,1), (5,6).
  const PriceSeries a = series_of("A", {0, 1, 2, 3, 5, 6}, {100, 110, 1, 120, 130, 117});
  const PriceSeries b = series_of("B", {0, 1, 3, 4, 5, 6, 7}, {10, 5, 8, 1, 9, 18, 1});
  const ReturnSeries returns = aligned_log_returns({a, b});
  EXPECT_EQ(returns.bar_seconds, 3600);
  EXPECT_EQ(returns.common_bars, 5u);
  EXPECT_EQ(returns.gaps, 2u);  // (1, 3) and (3, 5)
  ASSERT_EQ(returns.count(), 2u);
  EXPECT_EQ(returns.time_seconds[0], 1577836800 + 3600);
  EXPECT_EQ(returns.time_seconds[1], 1577836800 + 6 * 3600);
  EXPECT_DOUBLE_EQ(returns.log_returns[0], std::log(110.0 / 100.0));
  EXPECT_DOUBLE_EQ(returns.log_returns[1], std::log(5.0 / 10.0));
  EXPECT_DOUBLE_EQ(returns.log_returns[2], std::log(117.0 / 130.0));
  EXPECT_DOUBLE_EQ(returns.log_returns[3], std::log(18.0 / 9.0));
  EXPECT_EQ(returns.markets, (std::vector<std::string>{"A", "B"}));
}

TEST(ReturnSeries, WindowIsInclusive) {
  const PriceSeries a = series_of("A", {0, 1, 2, 3, 4, 5}, {1, 2, 3, 4, 5, 6});
  const ReturnSeries returns = aligned_log_returns({a}, 1577836800 + 3600, 1577836800 + 4 * 3600);
  EXPECT_EQ(returns.common_bars, 4u);
  ASSERT_EQ(returns.count(), 3u);
  EXPECT_DOUBLE_EQ(returns.log_returns[0], std::log(3.0 / 2.0));
  EXPECT_DOUBLE_EQ(returns.log_returns[2], std::log(5.0 / 4.0));
}

TEST(ReturnSeries, BarLengthIsTheMostCommonSpacingAndMustAgree) {
  EXPECT_EQ(most_common_spacing({0, 60, 120, 600, 660, 720}), 60);
  EXPECT_EQ(most_common_spacing({0, 60, 180, 300}), 120);
  EXPECT_EQ(most_common_spacing({0, 60, 180}), 60);  // a tie goes to the shorter
  const PriceSeries hourly = series_of("A", {0, 1, 2, 3}, {1, 2, 3, 4});
  const PriceSeries two_hourly = series_of("B", {0, 2, 4, 6}, {1, 2, 3, 4});
  try {
    aligned_log_returns({hourly, two_hourly});
    ADD_FAILURE() << "different bar lengths were accepted";
  } catch (const InputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("B.csv"), std::string::npos) << message;
    EXPECT_NE(message.find("A.csv"), std::string::npos) << message;
    EXPECT_NE(message.find("7200"), std::string::npos) << message;
  }
}

// ---------------------------------------------------------------------------------------------
// Filter and smoother.

TEST(HamiltonFilter, MatchesAHandComputation) {
  // K = 2, P = [[0.9, 0.1], [0.2, 0.8]], initial (1/2, 1/2), and densities f_t(k) given directly:
  //   f_1 = (0.4, 0.2), f_2 = (0.25, 0.15), f_3 = (0.05, 0.1).
  // t = 1: predicted (1/2, 1/2); f(r_1) = 0.2 + 0.1 = 0.3; filtered (2/3, 1/3).
  // t = 2: predicted (2/3 0.9 + 1/3 0.2, 2/3 0.1 + 1/3 0.8) = (2/3, 1/3);
  //        f(r_2 | r_1) = 2/3 0.25 + 1/3 0.15 = 13/60; filtered (10/13, 3/13).
  // t = 3: predicted (10/13 0.9 + 3/13 0.2, 10/13 0.1 + 3/13 0.8) = (9.6/13, 3.4/13);
  //        f(r_3 | r_1, r_2) = (9.6 0.05 + 3.4 0.1) / 13 = 0.82/13; filtered (24/41, 17/41).
  // ln L = ln(0.3 * 13/60 * 0.82/13) = ln(0.0041).
  // Smoother: at t = 2 the ratios smoothed/predicted of t = 3 are f_3(j) / f(r_3 | .) = (65/82, 130/82), so
  //   P(s_2 = 0 | all) = 10/13 (0.9 65 + 0.1 130) / 82 = 55/82,  P(s_2 = 1 | all) = 3/13 (0.2 65 + 0.8 130) / 82 =
  //   27/82;
  // at t = 1 the ratios are (55/82) / (2/3) = 165/164 and (27/82) / (1/3) = 81/82, so
  //   P(s_1 = 0 | all) = 2/3 (0.9 165/164 + 0.1 162/164) = 329.4/492,  P(s_1 = 1 | all) = 162.6/492.
  const std::vector<double> log_density = {std::log(0.4),  std::log(0.2),  std::log(0.25),
                                           std::log(0.15), std::log(0.05), std::log(0.1)};
  const std::vector<double> transition = {0.9, 0.1, 0.2, 0.8};
  const FilterResult filter = hamilton_filter(log_density, 2, {0.5, 0.5}, transition);
  EXPECT_NEAR(filter.log_likelihood, std::log(0.0041), 1e-13);
  EXPECT_NEAR(hamilton_log_likelihood(log_density, 2, {0.5, 0.5}, transition), std::log(0.0041), 1e-13);
  EXPECT_NEAR(filter.filtered[0], 2.0 / 3.0, 1e-15);
  EXPECT_NEAR(filter.filtered[2], 10.0 / 13.0, 1e-15);
  EXPECT_NEAR(filter.filtered[4], 24.0 / 41.0, 1e-15);
  EXPECT_NEAR(filter.predicted[4], 9.6 / 13.0, 1e-15);

  const SmootherResult smoother = kim_smoother(filter, 2, transition);
  EXPECT_NEAR(smoother.smoothed[0], 329.4 / 492.0, 1e-14);
  EXPECT_NEAR(smoother.smoothed[1], 162.6 / 492.0, 1e-14);
  EXPECT_NEAR(smoother.smoothed[2], 55.0 / 82.0, 1e-14);
  EXPECT_NEAR(smoother.smoothed[3], 27.0 / 82.0, 1e-14);
  EXPECT_NEAR(smoother.smoothed[4], 24.0 / 41.0, 1e-15);
  // Joint (s_2 = 0, s_3 = 0): filtered_2(0) P_00 ratio_0 = 10/13 0.9 65/82 = 45/82 (transition counts
  // add t = 1 -> 2 and t = 2 -> 3).
  const double joint_23_00 = 10.0 / 13.0 * 0.9 * 65.0 / 82.0;
  const double joint_12_00 = 2.0 / 3.0 * 0.9 * 165.0 / 164.0;
  EXPECT_NEAR(smoother.transition_counts[0], joint_12_00 + joint_23_00, 1e-14);
}

TEST(HamiltonFilter, ScalingKeepsTinyDensitiesFinite) {
  // Densities of e^-2000 underflow as numbers; in scaled form they are fine, and the likelihood is
  // the unscaled one: here both regimes give the same density, so ln L = sum of the log densities.
  const std::vector<double> log_density = {-2000.0, -2000.0, -1500.0, -1500.0};
  const FilterResult filter = hamilton_filter(log_density, 2, {0.3, 0.7}, {0.5, 0.5, 0.5, 0.5});
  EXPECT_NEAR(filter.log_likelihood, -3500.0, 1e-12);
  EXPECT_NEAR(filter.filtered[0], 0.3, 1e-15);
}

TEST(HamiltonFilter, ImpossibleObservationGivesMinusInfinity) {
  const double minus_infinity = -std::numeric_limits<double>::infinity();
  const FilterResult filter =
      hamilton_filter({0.0, minus_infinity, minus_infinity, 0.0}, 2, {1.0, 0.0}, {1.0, 0.0, 0.0, 1.0});
  EXPECT_EQ(filter.log_likelihood, minus_infinity);
}

TEST(GaussianDensity, MatchesTheClosedForm) {
  // Covariance [[4, 1], [1, 2]] (det 7, inverse [[2, -1], [-1, 4]] / 7), mean (1, -1), x = (2, 0):
  // d = (1, 1), d' S^-1 d = (2 - 1 - 1 + 4) / 7 = 4/7, ln f = -(2 ln 2 pi + ln 7 + 4/7) / 2.
  RegimeEstimate state{{1.0, -1.0}, {4.0, 1.0, 1.0, 2.0}};
  const std::vector<double> density = gaussian_log_densities({2.0, 0.0}, 2, {state});
  ASSERT_EQ(density.size(), 1u);
  EXPECT_NEAR(density[0], -(2.0 * std::log(2.0 * pi_value) + std::log(7.0) + 4.0 / 7.0) / 2.0, 1e-14);
  state.covariance = {1.0, 1.0, 1.0, 1.0};
  EXPECT_THROW(gaussian_log_densities({2.0, 0.0}, 2, {state}), std::invalid_argument);
}

TrueModel two_market_model() {
  // Durations 100 and 33 bars; stationary (0.75, 0.25); sd ratio 3 between the regimes.
  TrueModel model;
  model.transition = {0.99, 0.01, 0.03, 0.97};
  model.regimes = {{{1e-4, 0.0}, {0.004, 0.005}, 0.6}, {{-3e-4, -5e-4}, {0.012, 0.016}, 0.85}};
  return model;
}

TEST(KimSmoother, ProbabilitiesAreALawAtEveryBar) {
  const std::size_t n = 5000;
  const TrueModel truth = two_market_model();
  std::vector<std::size_t> path;
  const std::vector<double> returns = simulate_gaussian(truth, n, 11, &path);
  std::vector<RegimeEstimate> states;
  for (const TrueRegime& regime : truth.regimes) {
    const double c = regime.correlation * regime.sd[0] * regime.sd[1];
    states.push_back({regime.mean, {regime.sd[0] * regime.sd[0], c, c, regime.sd[1] * regime.sd[1]}});
  }
  const FilterResult filter =
      hamilton_filter(gaussian_log_densities(returns, 2, states), 2, {0.5, 0.5}, truth.transition);
  ASSERT_TRUE(std::isfinite(filter.log_likelihood));
  const SmootherResult smoother = kim_smoother(filter, 2, truth.transition);
  double counts = 0.0;
  std::size_t right = 0;
  std::size_t crisis_bars = 0;
  for (std::size_t t = 0; t < n; ++t) {
    const double p0 = smoother.smoothed[2 * t];
    const double p1 = smoother.smoothed[2 * t + 1];
    ASSERT_GE(p0, 0.0) << t;
    ASSERT_GE(p1, 0.0) << t;
    ASSERT_NEAR(p0 + p1, 1.0, 1e-12) << t;
    right += (p1 > 0.5) == (path[t] == 1) ? 1 : 0;
    crisis_bars += path[t];
  }
  for (const double c : smoother.transition_counts) counts += c;
  EXPECT_NEAR(counts, static_cast<double>(n - 1), 1e-8);
  // The smoother sees the regimes: with an sd ratio of 3 in two markets and stays of 33 to 100
  // bars, nearly every bar is classified right (a filter that ignored the data would manage 1 -
  // the crisis share, about 0.75).
  ASSERT_GT(crisis_bars, n / 10) << "the simulated path hardly visits the crisis regime";
  EXPECT_GT(static_cast<double>(right) / static_cast<double>(n), 0.95);
}

// ---------------------------------------------------------------------------------------------
// EM.

TEST(EmFit, RecoversATwoRegimeTwoMarketModel) {
  const std::size_t n = 40000;
  const TrueModel truth = two_market_model();
  const std::vector<double> returns = simulate_gaussian(truth, n, 2024);
  EmOptions options;
  options.regimes = 2;
  options.starts = 6;
  options.seed = 5;
  const RegimeFit fit = fit_gaussian_regimes(returns, 2, options);
  EXPECT_TRUE(fit.converged);
  EXPECT_GT(fit.iterations, 1);
  // K(K-1) transition + K M means + K M(M+1)/2 covariances; the initial law is the stationary one.
  EXPECT_EQ(fit.parameters, 2u * 1u + 2u * 2u + 2u * 3u);
  EXPECT_EQ(fit.observations, n);
  expect_recovers(truth, fit, n);
}

TEST(EmFit, RecoversAThreeRegimeModel) {
  // One market, sd 0.003 / 0.009 / 0.027 (ratio 3), durations 50, 20 and 10 bars.
  const std::size_t n = 50000;
  TrueModel truth;
  truth.transition = {0.98, 0.015, 0.005,  //
                      0.03, 0.95,  0.02,   //
                      0.02, 0.08,  0.90};
  truth.regimes = {{{2e-4}, {0.003}, 0.0}, {{0.0}, {0.009}, 0.0}, {{-1e-3}, {0.027}, 0.0}};
  const std::vector<double> returns = simulate_gaussian(truth, n, 77);
  EmOptions options;
  options.regimes = 3;
  options.starts = 8;
  options.seed = 3;
  const RegimeFit fit = fit_gaussian_regimes(returns, 1, options);
  EXPECT_TRUE(fit.converged);
  expect_recovers(truth, fit, n);
}

TEST(EmFit, OneRegimeIsTheSampleMeanAndCovariance) {
  // The one-regime Gaussian MLE in closed form: the sample mean and the (1/n) sample covariance,
  // plus the ridge (1e-6 of each variance), and ln L = -n/2 (M ln 2 pi + ln det S + M) at S without ridge.
  const std::size_t n = 3000;
  const std::vector<double> returns = simulate_gaussian(two_market_model(), n, 99);
  double mean[2] = {0.0, 0.0};
  for (std::size_t t = 0; t < n; ++t) {
    mean[0] += returns[2 * t] / static_cast<double>(n);
    mean[1] += returns[2 * t + 1] / static_cast<double>(n);
  }
  double s[4] = {0.0, 0.0, 0.0, 0.0};
  for (std::size_t t = 0; t < n; ++t) {
    const double d0 = returns[2 * t] - mean[0];
    const double d1 = returns[2 * t + 1] - mean[1];
    s[0] += d0 * d0 / static_cast<double>(n);
    s[1] += d0 * d1 / static_cast<double>(n);
    s[3] += d1 * d1 / static_cast<double>(n);
  }
  EmOptions options;
  options.regimes = 1;
  options.starts = 2;
  const RegimeFit fit = fit_gaussian_regimes(returns, 2, options);
  EXPECT_NEAR(fit.states[0].mean[0], mean[0], 1e-12);
  EXPECT_NEAR(fit.states[0].mean[1], mean[1], 1e-12);
  EXPECT_NEAR(fit.states[0].covariance[0], s[0] * (1.0 + 1e-6), 1e-12 * s[0]);
  EXPECT_NEAR(fit.states[0].covariance[1], s[1], 1e-12 * s[0]);
  EXPECT_NEAR(fit.states[0].covariance[3], s[3] * (1.0 + 1e-6), 1e-12 * s[3]);
  const double log_det = std::log(s[0] * s[3] - s[1] * s[1]);
  const double expected = -0.5 * static_cast<double>(n) * (2.0 * std::log(2.0 * pi_value) + log_det + 2.0);
  EXPECT_NEAR(fit.log_likelihood, expected, 1e-3);  // the ridge moves ln L by about n * 1e-6
}

TEST(EmFit, LabelsAreOrderedByAscendingVolatility) {
  // The data start in the turbulent regime and the true model lists it first; the fit must still
  // call the calm regime 0.
  TrueModel truth;
  truth.transition = {0.97, 0.03, 0.01, 0.99};
  truth.regimes = {{{0.0, 0.0}, {0.012, 0.016}, 0.85}, {{0.0, 0.0}, {0.004, 0.005}, 0.6}};
  const std::vector<double> returns = simulate_gaussian(truth, 20000, 8);
  EmOptions options;
  options.starts = 4;
  const RegimeFit fit = fit_gaussian_regimes(returns, 2, options);
  ASSERT_EQ(fit.regime_count(), 2u);
  EXPECT_LT(regime_volatility_rank(fit.states[0]), regime_volatility_rank(fit.states[1]));
  // 5 standard errors with 15,000 calm bars (the chain is calm 3/4 of the time): sd 0.004 / sqrt(2 * 15,000),
  // and calm -> turbulent (the true model's 1 -> 0) sqrt(0.01 * 0.99 / 15,000).
  EXPECT_NEAR(fitted_sd(fit, 0, 0), 0.004, 5.0 * 0.004 / std::sqrt(30000.0));
  EXPECT_NEAR(fit.transition[0 * 2 + 1], 0.01, 5.0 * std::sqrt(0.01 * 0.99 / 15000.0));
}

TEST(EmFit, OrderingPermutesEverythingTogether) {
  RegimeFit fit;
  fit.markets = 1;
  fit.states = {{{0.0}, {9.0}}, {{0.0}, {1.0}}, {{0.0}, {4.0}}};
  fit.transition = {0.7,  0.2,  0.1,  //
                    0.3,  0.6,  0.1,  //
                    0.05, 0.15, 0.8};
  fit.initial_distribution = {0.5, 0.3, 0.2};
  order_regimes_by_volatility(fit);
  // New order: old 1 (var 1), old 2 (var 4), old 0 (var 9); P'[i][j] = P[old i][old j].
  EXPECT_EQ(fit.states[0].covariance[0], 1.0);
  EXPECT_EQ(fit.states[1].covariance[0], 4.0);
  EXPECT_EQ(fit.states[2].covariance[0], 9.0);
  EXPECT_EQ(fit.transition, (std::vector<double>{0.6, 0.1, 0.3, 0.15, 0.8, 0.05, 0.2, 0.1, 0.7}));
  EXPECT_EQ(fit.initial_distribution, (std::vector<double>{0.3, 0.2, 0.5}));
}

TEST(EmFit, SameSeedSameFitOnAnyNumberOfThreads) {
  const std::vector<double> returns = simulate_gaussian(two_market_model(), 6000, 31);
  EmOptions options;
  options.starts = 5;
  options.seed = 42;
  options.threads = 1;
  const RegimeFit one = fit_gaussian_regimes(returns, 2, options);
  options.threads = 3;
  const RegimeFit three = fit_gaussian_regimes(returns, 2, options);
  EXPECT_EQ(one.log_likelihood, three.log_likelihood);
  EXPECT_EQ(one.best_start, three.best_start);
  EXPECT_EQ(one.iterations, three.iterations);
  EXPECT_EQ(one.transition, three.transition);
  for (std::size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(one.states[k].mean, three.states[k].mean);
    EXPECT_EQ(one.states[k].covariance, three.states[k].covariance);
  }
  // Another seed draws other starting points.
  EmOptions other = options;
  other.seed = 43;
  EXPECT_NE(em_starting_point(returns, 2, options, 0).transition, em_starting_point(returns, 2, other, 0).transition);
}

TEST(EmFit, TooFewReturnsForTheParametersIsAnError) {
  EmOptions options;
  options.regimes = 3;
  EXPECT_THROW(fit_gaussian_regimes({0.01, -0.02, 0.005, 0.0, 0.01}, 1, options), std::invalid_argument);
}

TEST(EmFit, CollapsedRegimeIsFlagged) {
  // A stretch of stale prices (zero returns) inside otherwise normal data: a regime can sit on it
  // with a variance at the ridge. collapsed_regimes must say so; a healthy fit has none.
  RegimeFit fit;
  fit.markets = 1;
  fit.states = {{{0.0}, {1e-12}}, {{0.0}, {1e-4}}};
  const std::vector<double> returns = simulate_gaussian({{1.0}, {{{0.0}, {0.01}, 0.0}}}, 1000, 4);
  EXPECT_EQ(collapsed_regimes(fit, returns), (std::vector<std::size_t>{0}));
  fit.states[0].covariance = {1e-5};
  EXPECT_TRUE(collapsed_regimes(fit, returns).empty());
}

// The forward algorithm in log space, written here from its definition (not the scaled filter it
// checks): a_0(k) = ln pi_k + ln N(r_0; mu_k, sd_k^2), a_t(j) = ln sum_i exp(a_{t-1}(i) + ln P_ij)
// + ln N(r_t; mu_j, sd_j^2), ln L = ln sum_k exp(a_{n-1}(k)). One market.
double forward_log_likelihood(const std::vector<double>& returns, const RegimeFit& fit,
                              const std::vector<double>& initial) {
  const std::size_t regimes = fit.regime_count();
  const auto log_normal = [&](double r, std::size_t k) {
    const double variance = fit.states[k].covariance[0];
    const double d = r - fit.states[k].mean[0];
    return -0.5 * std::log(2.0 * pi_value * variance) - d * d / (2.0 * variance);
  };
  const auto log_sum_exp = [](const std::vector<double>& terms) {
    const double top = *std::max_element(terms.begin(), terms.end());
    double sum = 0.0;
    for (const double term : terms) sum += std::exp(term - top);
    return top + std::log(sum);
  };
  std::vector<double> a(regimes);
  for (std::size_t k = 0; k < regimes; ++k) a[k] = std::log(initial[k]) + log_normal(returns[0], k);
  for (std::size_t t = 1; t < returns.size(); ++t) {
    std::vector<double> next(regimes);
    for (std::size_t j = 0; j < regimes; ++j) {
      std::vector<double> terms(regimes);
      for (std::size_t i = 0; i < regimes; ++i) terms[i] = a[i] + std::log(fit.transition[i * regimes + j]);
      next[j] = log_sum_exp(terms) + log_normal(returns[t], j);
    }
    a = next;
  }
  return log_sum_exp(a);
}

// The model file leaves regimes.initial_distribution out, so its chain starts from the stationary
// distribution; the fit's ln L is that model's, and its initial law that distribution.
TEST(EmFit, ReportsTheLikelihoodOfTheModelFileItsChainStartsStationary) {
  const std::size_t n = 3000;
  TrueModel truth;
  truth.transition = {0.97, 0.03, 0.06, 0.94};
  truth.regimes = {{{0.0}, {0.004}, 0.0}, {{0.0}, {0.012}, 0.0}};
  const std::vector<double> returns = simulate_gaussian(truth, n, 8);
  EmOptions options;
  options.starts = 3;
  const RegimeFit fit = fit_gaussian_regimes(returns, 1, options);
  const std::vector<double> stationary = power_stationary(fit.transition, 2);
  ASSERT_EQ(fit.initial_distribution.size(), 2u);
  EXPECT_NEAR(fit.initial_distribution[0], stationary[0], 1e-12);
  EXPECT_NEAR(fit.initial_distribution[1], stationary[1], 1e-12);
  EXPECT_NEAR(fit.log_likelihood, forward_log_likelihood(returns, fit, stationary),
              1e-8 * std::fabs(fit.log_likelihood));
  EXPECT_EQ(fit.parameters, 2u * 1u + 2u * 1u + 2u * 1u);

  const ModelConfig model = calibrated_config(load_config_files({}), {"BTC"}, fit, 3600.0, 3600.0, "m.toml");
  EXPECT_TRUE(model.regimes.initial_distribution.empty()) << "the model starts from the stationary law";
}

// A two-regime series (sd 0.4 % and 1.2 %, stays of about 33 and 17 bars) of 6,000 bars: BIC must
// pick 2 among 1..3. The margin is not close: one regime misses the volatility clustering by
// hundreds of log-likelihood points, while a third regime adds 6 parameters (4 transition
// probabilities, a mean and a variance), 6 ln 6000 = 52 BIC points, against a gain in 2 ln L of the
// order of a chi-square with about 6 degrees of freedom. The checks of the gaps say so.
TEST(RegimeSelection, PicksTwoOnATwoRegimeSeries) {
  TrueModel truth;
  truth.transition = {0.97, 0.03, 0.06, 0.94};
  truth.regimes = {{{0.0}, {0.004}, 0.0}, {{0.0}, {0.012}, 0.0}};
  const std::vector<double> returns = simulate_gaussian(truth, 6000, 2026);
  EmOptions options;
  options.starts = 4;
  options.seed = 7;
  const RegimeSelection selection = select_regime_count(returns, 1, options, 3);
  ASSERT_EQ(selection.candidates.size(), 3u);
  for (std::size_t k = 0; k < 3; ++k) {
    const RegimeCandidate& c = selection.candidates[k];
    ASSERT_TRUE(c.fitted) << c.failure;
    EXPECT_EQ(c.regimes, k + 1);
    EXPECT_EQ(c.fit.regime_count(), k + 1);
    // p = K(K-1) + 2K for one market; BIC and AIC from ln L and p.
    EXPECT_EQ(c.fit.parameters, (k + 1) * k + 2 * (k + 1));
    EXPECT_DOUBLE_EQ(c.bic, -2.0 * c.fit.log_likelihood + static_cast<double>(c.fit.parameters) * std::log(6000.0));
    EXPECT_DOUBLE_EQ(c.aic, -2.0 * c.fit.log_likelihood + 2.0 * static_cast<double>(c.fit.parameters));
  }
  EXPECT_EQ(selection.chosen, 1u);
  EXPECT_EQ(selection.candidates[selection.chosen].regimes, 2u);
  EXPECT_LT(selection.candidates[1].bic, selection.candidates[0].bic - 100.0);
  EXPECT_LT(selection.candidates[1].bic, selection.candidates[2].bic);
  // The chosen fit is the one a fixed K = 2 gives.
  options.regimes = 2;
  EXPECT_EQ(fit_gaussian_regimes(returns, 1, options).log_likelihood, selection.candidates[1].fit.log_likelihood);
}

// Independent normal returns of one volatility: the extra regimes buy little likelihood for their
// parameters, and BIC keeps one regime.
TEST(RegimeSelection, PicksOneOnOneRegimeData) {
  const std::vector<double> returns = simulate_gaussian({{1.0}, {{{0.0}, {0.01}, 0.0}}}, 6000, 11);
  EmOptions options;
  options.starts = 4;
  const RegimeSelection selection = select_regime_count(returns, 1, options, 3);
  EXPECT_EQ(selection.chosen, 0u);
  EXPECT_EQ(selection.candidates[0].fit.parameters, 2u);
  for (const RegimeCandidate& c : selection.candidates) ASSERT_TRUE(c.fitted) << c.failure;
}

// The table has a row per K with ln L, p, BIC, AIC, the chosen row marked; a K with more
// parameters than returns is listed as not fitted. 12 returns: K = 1 has 2 parameters, 2 has 6,
// 3 has 12 (not fewer than the returns).
TEST(RegimeSelection, TableListsEveryCandidate) {
  const std::vector<double> returns = simulate_gaussian({{1.0}, {{{0.0}, {0.01}, 0.0}}}, 12, 3);
  EmOptions options;
  options.starts = 2;
  const RegimeSelection selection = select_regime_count(returns, 1, options, 3);
  ASSERT_EQ(selection.candidates.size(), 3u);
  EXPECT_TRUE(selection.candidates[0].fitted);
  EXPECT_FALSE(selection.candidates[2].fitted);
  const std::string table = regime_selection_table(selection);
  EXPECT_NE(table.find("K = 1 to 3"), std::string::npos) << table;
  EXPECT_NE(table.find("ln L"), std::string::npos) << table;
  EXPECT_NE(table.find("parameters"), std::string::npos) << table;
  EXPECT_NE(table.find("BIC"), std::string::npos) << table;
  EXPECT_NE(table.find("AIC"), std::string::npos) << table;
  EXPECT_NE(table.find(" 3 not fitted: 12 returns cannot identify 12 parameters"), std::string::npos) << table;
  const RegimeCandidate& chosen = selection.candidates[selection.chosen];
  const std::string chosen_row =
      printf_string("  %2zu %16.3f %10zu %16.3f %16.3f  chosen\n", chosen.regimes, chosen.fit.log_likelihood,
                    chosen.fit.parameters, chosen.bic, chosen.aic);
  EXPECT_NE(table.find(chosen_row), std::string::npos) << table;
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 5) << table;  // title, header, 3 rows
  EXPECT_THROW(select_regime_count(returns, 1, options, 0), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Nelder-Mead and MS-GARCH.

TEST(NelderMead, FindsTheMinimumOfRosenbrock) {
  int calls = 0;
  const auto rosenbrock = [&](const std::vector<double>& x) {
    ++calls;
    return 100.0 * (x[1] - x[0] * x[0]) * (x[1] - x[0] * x[0]) + (1.0 - x[0]) * (1.0 - x[0]);
  };
  const NelderMeadResult result = nelder_mead_minimize(rosenbrock, {-1.2, 1.0}, 0.5, 1e-14, 1e-8, 5000);
  EXPECT_TRUE(result.converged);
  EXPECT_EQ(result.evaluations, calls);
  EXPECT_NEAR(result.minimum[0], 1.0, 1e-5);
  EXPECT_NEAR(result.minimum[1], 1.0, 1e-5);
}

struct TrueGarchRegime {
  double mean;
  double variance;  // unconditional, v
  double alpha;
  double beta;
};

// Haas-Mittnik-Paolella: every regime's variance moves with every return (ms_garch_fit.hpp).
std::vector<double> simulate_ms_garch(const std::vector<TrueGarchRegime>& regimes,
                                      const std::vector<double>& transition, std::size_t n, std::uint64_t seed) {
  TestRandom random(seed);
  const std::size_t count = regimes.size();
  std::vector<double> variance(count);
  for (std::size_t k = 0; k < count; ++k) variance[k] = regimes[k].variance;
  std::vector<double> returns;
  std::size_t state = 0;
  for (std::size_t t = 0; t < n; ++t) {
    if (t > 0) state = random.next_state(transition, state, count);
    const double r = regimes[state].mean + std::sqrt(variance[state]) * random.normal();
    returns.push_back(r);
    for (std::size_t k = 0; k < count; ++k) {
      const TrueGarchRegime& g = regimes[k];
      const double residual = r - g.mean;
      variance[k] = g.variance * (1.0 - g.alpha - g.beta) + g.alpha * residual * residual + g.beta * variance[k];
    }
  }
  return returns;
}

// Natural parameters (mean_k, v_k, alpha_k, beta_k for each k, then p_01, p_10 when K = 2).
std::vector<double> natural_parameters(const RegimeFit& fit) {
  std::vector<double> theta;
  for (const RegimeEstimate& state : fit.states) {
    theta.insert(theta.end(), {state.mean[0], state.covariance[0], state.garch_alpha, state.garch_beta});
  }
  if (fit.regime_count() == 2) theta.insert(theta.end(), {fit.transition[1], fit.transition[2]});
  return theta;
}

RegimeFit with_parameters(RegimeFit fit, const std::vector<double>& theta) {
  for (std::size_t k = 0; k < fit.regime_count(); ++k) {
    fit.states[k].mean = {theta[4 * k]};
    fit.states[k].covariance = {theta[4 * k + 1]};
    fit.states[k].garch_alpha = theta[4 * k + 2];
    fit.states[k].garch_beta = theta[4 * k + 3];
  }
  if (fit.regime_count() == 2) fit.transition = {1.0 - theta[8], theta[8], theta[9], 1.0 - theta[9]};
  return fit;
}

// Standard errors from the observed information: the inverse of minus the Hessian of ln L at the
// estimate, by central differences (steps of 1e-3 of each parameter's size), inverted by Gauss-Jordan.
std::vector<double> standard_errors(const std::vector<double>& returns, const RegimeFit& fit) {
  const std::vector<double> theta = natural_parameters(fit);
  const std::size_t d = theta.size();
  std::vector<double> step(d);
  for (std::size_t i = 0; i < d; ++i) {
    step[i] = 1e-3 * (i % 4 == 0 && i < 4 * fit.regime_count() ? std::sqrt(theta[i + 1]) : std::abs(theta[i]));
  }
  const auto log_likelihood = [&](std::size_t i, double di, std::size_t j, double dj) {
    std::vector<double> x = theta;
    x[i] += di;
    x[j] += dj;
    return ms_garch_log_likelihood(returns, with_parameters(fit, x));
  };
  std::vector<double> information(d * d);  // -Hessian
  const double centre = ms_garch_log_likelihood(returns, fit);
  for (std::size_t i = 0; i < d; ++i) {
    for (std::size_t j = i; j < d; ++j) {
      double second;
      if (i == j) {
        second = (log_likelihood(i, step[i], i, 0.0) - 2.0 * centre + log_likelihood(i, -step[i], i, 0.0)) /
                 (step[i] * step[i]);
      } else {
        second = (log_likelihood(i, step[i], j, step[j]) - log_likelihood(i, step[i], j, -step[j]) -
                  log_likelihood(i, -step[i], j, step[j]) + log_likelihood(i, -step[i], j, -step[j])) /
                 (4.0 * step[i] * step[j]);
      }
      information[i * d + j] = information[j * d + i] = -second;
    }
  }
  std::vector<double> inverse(d * d, 0.0);
  for (std::size_t i = 0; i < d; ++i) inverse[i * d + i] = 1.0;
  for (std::size_t c = 0; c < d; ++c) {
    std::size_t pivot = c;
    for (std::size_t r = c + 1; r < d; ++r) {
      if (std::abs(information[r * d + c]) > std::abs(information[pivot * d + c])) pivot = r;
    }
    for (std::size_t k = 0; k < d; ++k) {
      std::swap(information[c * d + k], information[pivot * d + k]);
      std::swap(inverse[c * d + k], inverse[pivot * d + k]);
    }
    const double p = information[c * d + c];
    for (std::size_t k = 0; k < d; ++k) {
      information[c * d + k] /= p;
      inverse[c * d + k] /= p;
    }
    for (std::size_t r = 0; r < d; ++r) {
      if (r == c) continue;
      const double f = information[r * d + c];
      for (std::size_t k = 0; k < d; ++k) {
        information[r * d + k] -= f * information[c * d + k];
        inverse[r * d + k] -= f * inverse[c * d + k];
      }
    }
  }
  std::vector<double> se(d);
  for (std::size_t i = 0; i < d; ++i) se[i] = std::sqrt(inverse[i * d + i]);
  return se;
}

RegimeFit garch_fit(const std::vector<double>& returns, std::size_t regimes) {
  EmOptions options;
  options.regimes = regimes;
  options.starts = 4;
  options.seed = 17;
  return fit_ms_garch(returns, fit_gaussian_regimes(returns, 1, options), MsGarchOptions{});
}

TEST(MsGarch, OneRegimeRecoversAlphaAndBeta) {
  // Plain GARCH(1,1): hourly-like sd 0.01, alpha 0.08, beta 0.90, 30,000 bars.
  const std::size_t n = 30000;
  const TrueGarchRegime truth{1e-4, 1e-4, 0.08, 0.90};
  const std::vector<double> returns = simulate_ms_garch({truth}, {1.0}, n, 555);
  const RegimeFit fit = garch_fit(returns, 1);
  ASSERT_EQ(fit.emission, EmissionModel::ms_garch);
  EXPECT_TRUE(fit.converged);
  EXPECT_EQ(fit.parameters, 4u);
  const std::vector<double> se = standard_errors(returns, fit);
  for (const double value : se) ASSERT_TRUE(std::isfinite(value) && value > 0.0) << "observed information not definite";
  // 5 standard errors; for orientation, se(alpha) and se(beta) come out near 0.005 here.
  EXPECT_NEAR(fit.states[0].garch_alpha, truth.alpha, 5.0 * se[2]);
  EXPECT_NEAR(fit.states[0].garch_beta, truth.beta, 5.0 * se[3]);
  EXPECT_NEAR(fit.states[0].covariance[0], truth.variance, 5.0 * se[1]);
  EXPECT_LT(se[2], 0.02);  // the check has teeth: alpha is pinned to a few hundredths
  // The likelihood it reports is the likelihood of its parameters, and beats the Gaussian fit's.
  EXPECT_DOUBLE_EQ(fit.log_likelihood, ms_garch_log_likelihood(returns, fit));
}

TEST(MsGarch, TwoRegimesRecoverAlphaBetaAndSwitching) {
  const std::size_t n = 40000;
  const std::vector<TrueGarchRegime> truth = {{0.0, 0.004 * 0.004, 0.05, 0.90}, {0.0, 0.015 * 0.015, 0.10, 0.85}};
  const std::vector<double> transition = {0.99, 0.01, 0.04, 0.96};
  const std::vector<double> returns = simulate_ms_garch(truth, transition, n, 808);
  const RegimeFit fit = garch_fit(returns, 2);
  ASSERT_EQ(fit.regime_count(), 2u);
  EXPECT_EQ(fit.parameters, 10u);
  const std::vector<double> se = standard_errors(returns, fit);
  for (const double value : se) ASSERT_TRUE(std::isfinite(value) && value > 0.0) << "observed information not definite";
  for (std::size_t k = 0; k < 2; ++k) {
    EXPECT_NEAR(fit.states[k].garch_alpha, truth[k].alpha, 5.0 * se[4 * k + 2]) << "alpha of regime " << k;
    EXPECT_NEAR(fit.states[k].garch_beta, truth[k].beta, 5.0 * se[4 * k + 3]) << "beta of regime " << k;
    EXPECT_NEAR(fit.states[k].covariance[0], truth[k].variance, 5.0 * se[4 * k + 1]) << "v of regime " << k;
  }
  EXPECT_NEAR(fit.transition[1], transition[1], 5.0 * se[8]);
  EXPECT_NEAR(fit.transition[2], transition[2], 5.0 * se[9]);
}

TEST(MsGarch, LikelihoodRejectsParametersOutsideTheConstraints) {
  RegimeFit fit;
  fit.emission = EmissionModel::ms_garch;
  fit.markets = 1;
  fit.states = {{{0.0}, {1e-4}, 0.6, 0.5}};
  fit.transition = {1.0};
  EXPECT_EQ(ms_garch_log_likelihood({0.01, -0.01}, fit), -std::numeric_limits<double>::infinity());
  fit.states[0].garch_alpha = 0.0;
  fit.states[0].garch_beta = 0.0;
  // alpha = beta = 0: independent N(0, 1e-4) returns.
  const double expected = 2.0 * (-0.5 * (std::log(2.0 * pi_value * 1e-4) + 1.0));
  EXPECT_NEAR(ms_garch_log_likelihood({0.01, -0.01}, fit), expected, 1e-12);
  RegimeFit two_markets;
  two_markets.markets = 2;
  EXPECT_THROW(fit_ms_garch({0.0, 0.0}, two_markets, MsGarchOptions{}), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// From the fit to the model file.

TEST(ModelOutput, TransitionRescalingMatchesHandValues) {
  // Bar 3600 s, step 900 s (ratio 1/4): off-diagonal 0.01 -> 0.0025, 0.05 -> 0.0125, 0.02 -> 0.005.
  const std::vector<double> bar = {0.99, 0.01, 0.0,   //
                                   0.05, 0.93, 0.02,  //
                                   0.0,  0.2,  0.8};
  const std::vector<double> step = rescale_transition(bar, 3, 3600.0, 900.0);
  const std::vector<double> expected = {0.9975, 0.0025, 0.0,    //
                                        0.0125, 0.9825, 0.005,  //
                                        0.0,    0.05,   0.95};
  for (std::size_t i = 0; i < 9; ++i) EXPECT_NEAR(step[i], expected[i], 1e-15) << i;
  // Expected stays in seconds are kept: 3600 / 0.01 = 900 / 0.0025 = 360,000 s (100 h).
  EXPECT_NEAR(expected_stay_bars(bar, 3)[0] * 3600.0, expected_stay_bars(step, 3)[0] * 900.0, 1e-6);
  // A longer step is fine while the rows stay probabilities: ratio 4 gives 0.04, 0.2 + 0.08, 0.8.
  const std::vector<double> longer = rescale_transition(bar, 3, 3600.0, 14400.0);
  EXPECT_NEAR(longer[0], 0.96, 1e-15);
  EXPECT_NEAR(longer[4], 0.72, 1e-15);
  EXPECT_NEAR(longer[8], 0.2, 1e-15);
}

TEST(ModelOutput, TransitionRescalingThatLeavesProbabilitiesIsAnError) {
  // Ratio 6: leaving the last regime has probability 0.2 * 6 = 1.2.
  try {
    rescale_transition({0.99, 0.01, 0.2, 0.8}, 2, 3600.0, 21600.0);
    ADD_FAILURE() << "accepted";
  } catch (const InputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("regimes.transition row 1"), std::string::npos) << message;
    EXPECT_NE(message.find("1.2"), std::string::npos) << message;
    EXPECT_NE(message.find("--step-seconds 3600"), std::string::npos) << message;
  }
}

TEST(ModelOutput, RegimeNamesFollowTheCount) {
  EXPECT_EQ(regime_names(2), (std::vector<std::string>{"calm", "crisis"}));
  EXPECT_EQ(regime_names(3), (std::vector<std::string>{"calm", "stressed", "crisis"}));
  EXPECT_EQ(regime_names(4), (std::vector<std::string>{"calm", "normal", "stressed", "crisis"}));
  EXPECT_EQ(regime_names(5), (std::vector<std::string>{"regime_1", "regime_2", "regime_3", "regime_4", "regime_5"}));
}

RegimeFit hand_fit() {
  // Hourly bars; ETH first, then BTC. calm: sd 0.005 / 0.004, covariance 0.6 * 0.005 * 0.004.
  RegimeFit fit;
  fit.markets = 2;
  fit.states = {{{1e-4, 2e-5}, {2.5e-5, 1.2e-5, 1.2e-5, 1.6e-5}},
                {{-4e-4, -3e-4}, {2.56e-4, 1.632e-4, 1.632e-4, 1.44e-4}}};
  fit.transition = {0.99, 0.01, 0.03, 0.97};
  fit.initial_distribution = {0.5, 0.5};
  return fit;
}

TEST(ModelOutput, ConfigCarriesTheFitInTheRunsUnits) {
  const ModelConfig base = default_config();
  const ModelConfig config = calibrated_config(base, {"ETH", "BTC"}, hand_fit(), 3600.0, 900.0, "model.toml");
  ASSERT_EQ(config.markets.size(), 2u);
  EXPECT_EQ(config.markets[0].name, "ETH");
  EXPECT_EQ(config.markets[0].depth_usd, base.markets[1].depth_usd);
  EXPECT_EQ(config.markets[1].name, "BTC");
  // Default shares BTC 0.45, ETH 0.30 renormalised over the two: ETH 0.4, BTC 0.6.
  EXPECT_NEAR(config.portfolio.open_interest_share[0], 0.4, 1e-15);
  EXPECT_NEAR(config.portfolio.open_interest_share[1], 0.6, 1e-15);
  EXPECT_EQ(config.portfolio.long_fraction[0], base.portfolio.long_fraction[1]);
  EXPECT_EQ(config.run.step_seconds, 900.0);
  EXPECT_EQ(config.source_name, "model.toml");

  // bar_years = 3600 / 31,536,000 = 1/8760: ETH calm volatility = sqrt(2.5e-5 * 8760) = 0.46797...,
  // drift = 1e-4 * 8760 + 0.2190 / 2 = 0.876 + 0.1095 = 0.9855.
  const RegimeState& calm = config.regimes.states[0];
  EXPECT_EQ(calm.name, "calm");
  EXPECT_NEAR(calm.volatility[0], std::sqrt(0.219), 1e-12);
  EXPECT_NEAR(calm.drift[0], 0.9855, 1e-12);
  EXPECT_NEAR(calm.volatility[1], std::sqrt(1.6e-5 * 8760.0), 1e-12);
  EXPECT_NEAR(calm.correlation[1], 0.6, 1e-12);
  EXPECT_EQ(calm.correlation[1], calm.correlation[2]);
  EXPECT_EQ(calm.correlation[0], 1.0);
  EXPECT_EQ(calm.jump_intensity_per_day, 0.0);
  EXPECT_EQ(calm.jump_mean, (std::vector<double>{0.0, 0.0}));
  EXPECT_EQ(calm.garch_alpha, 0.0);
  EXPECT_EQ(calm.student_t_dof, 0.0);
  const RegimeState& crisis = config.regimes.states[1];
  EXPECT_EQ(crisis.name, "crisis");
  EXPECT_NEAR(crisis.correlation[1], 1.632e-4 / (0.016 * 0.012), 1e-12);  // 0.85
  // The default has 4 regimes, so K = 2 takes the rule 1 - 0.5 k / (K - 1).
  EXPECT_EQ(calm.depth_multiplier, 1.0);
  EXPECT_EQ(crisis.depth_multiplier, 0.5);
  // Per 900 s step: leaving rates / 4.
  EXPECT_NEAR(config.regimes.transition[1], 0.0025, 1e-15);
  EXPECT_NEAR(config.regimes.transition[2], 0.0075, 1e-15);
  EXPECT_TRUE(config.regimes.initial_distribution.empty());
  EXPECT_EQ(config.scenario.flat_regime, "calm");  // the default's "normal" is not a regime here
  EXPECT_NO_THROW(validate_config(config));
}

TEST(ModelOutput, ModelFileRoundTripsThroughTheConfigReader) {
  ModelConfig config = calibrated_config(default_config(), {"BTC", "ETH"}, hand_fit(), 3600.0, 900.0, "model.toml");
  const ModelConfig read = parse_config(config_to_toml(config), "model.toml");
  validate_config(read);
  ASSERT_EQ(read.regime_count(), 2u);
  EXPECT_EQ(read.regimes.transition, config.regimes.transition);
  for (std::size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(read.regimes.states[k].volatility, config.regimes.states[k].volatility);
    EXPECT_EQ(read.regimes.states[k].drift, config.regimes.states[k].drift);
    EXPECT_EQ(read.regimes.states[k].correlation, config.regimes.states[k].correlation);
  }
  EXPECT_EQ(read.markets.size(), 2u);
}

TEST(ModelOutput, SameRegimeCountTakesTheBasesDepthMultipliers) {
  RegimeFit fit = hand_fit();
  fit.states.push_back(fit.states[1]);
  fit.states.push_back(fit.states[1]);
  fit.transition = {0.97, 0.01, 0.01, 0.01, 0.01, 0.97, 0.01, 0.01, 0.01, 0.01, 0.97, 0.01, 0.01, 0.01, 0.01, 0.97};
  const ModelConfig base = default_config();
  const ModelConfig config = calibrated_config(base, {"BTC", "ETH"}, fit, 3600.0, 900.0, "m.toml");
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(config.regimes.states[k].depth_multiplier, base.regimes.states[k].depth_multiplier);
  }
  EXPECT_EQ(config.scenario.flat_regime, "normal");
}

TEST(ModelOutput, ChangedStepRescalesTheEwmaToKeepItsHalfLife) {
  const ModelConfig base = default_config();
  const ModelConfig config = calibrated_config(
      base, {"BTC"},
      [] {
        RegimeFit fit;
        fit.markets = 1;
        fit.states = {{{0.0}, {1e-5}}, {{0.0}, {1e-4}}};
        fit.transition = {0.99, 0.01, 0.05, 0.95};
        return fit;
      }(),
      3600.0, 3600.0, "m.toml");
  EXPECT_NEAR(config.margin_policy.ewma_lambda,
              std::pow(base.margin_policy.ewma_lambda, 3600.0 / base.run.step_seconds), 1e-15);
  EXPECT_EQ(config.portfolio.open_interest_share, (std::vector<double>{1.0}));
}

TEST(ModelOutput, MarketMissingFromTheBaseAsksForAConfig) {
  try {
    calibrated_config(default_config(), {"BTC", "XRP"}, hand_fit(), 3600.0, 900.0, "m.toml");
    ADD_FAILURE() << "accepted";
  } catch (const InputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("XRP"), std::string::npos) << message;
    EXPECT_NE(message.find("built-in default"), std::string::npos) << message;
    EXPECT_NE(message.find("--config"), std::string::npos) << message;
  }
}

TEST(ModelOutput, GarchFitSetsAlphaBetaAndNeedsTheBarAsStep) {
  RegimeFit fit;
  fit.emission = EmissionModel::ms_garch;
  fit.markets = 1;
  fit.states = {{{0.0}, {1e-5}, 0.03, 0.95}, {{0.0}, {1e-4}, 0.1, 0.85}};
  fit.transition = {0.99, 0.01, 0.05, 0.95};
  const ModelConfig config = calibrated_config(default_config(), {"BTC"}, fit, 3600.0, 3600.0, "m.toml");
  EXPECT_EQ(config.regimes.states[0].garch_alpha, 0.03);
  EXPECT_EQ(config.regimes.states[1].garch_beta, 0.85);
  EXPECT_NEAR(config.regimes.states[1].volatility[0], std::sqrt(1e-4 * 8760.0), 1e-12);
  EXPECT_NO_THROW(validate_config(config));
  EXPECT_THROW(calibrated_config(default_config(), {"BTC"}, fit, 3600.0, 900.0, "m.toml"), InputError);
}

TEST(RegimeProbabilities, CsvHasOneRowPerReturn) {
  ReturnSeries data;
  data.markets = {"BTC"};
  data.sources = {"btc.csv"};
  data.bar_seconds = 3600;
  data.time_seconds = {1584009900, 1584013500};
  data.log_returns = {0.001, -0.05};
  RegimeFit fit;
  fit.markets = 1;
  fit.states = {{{0.0}, {1e-6}}, {{0.0}, {1e-3}}};
  fit.transition = {0.9, 0.1, 0.1, 0.9};
  fit.initial_distribution = {0.5, 0.5};
  const std::vector<double> probabilities = smoothed_regime_probabilities(data, fit);
  ASSERT_EQ(probabilities.size(), 4u);
  EXPECT_GT(probabilities[3], 0.99);  // a 5 % move is a crisis bar
  const std::string csv = regime_probabilities_csv(data, probabilities, regime_names(2));
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "timestamp_utc,regime,p_calm,p_crisis");
  EXPECT_NE(csv.find("2020-03-12T11:45:00Z,crisis,"), std::string::npos) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
}

}  // namespace
}  // namespace margin_stress::calibration
