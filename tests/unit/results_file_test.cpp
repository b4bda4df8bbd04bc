// Results files: layout, values, provenance, dimension scales, reproducibility and atomicity
// (host/io/results_file), read back with the plain HDF5 C API.
#include "host/io/results_file.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "host/io/hdf5_handles.hpp"
#include "host/model/input_error.hpp"

namespace margin_stress {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t scenario_count = 2;
constexpr std::int64_t step_count = 3;
constexpr std::int64_t market_count = 2;
constexpr std::int64_t first_scenario = 10;

class ResultsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ =
        fs::temp_directory_path() / ("margin_stress_results_" + std::to_string(::getpid()) + "_" + test->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    path_ = (directory_ / "results.h5").string();
  }
  void TearDown() override { fs::remove_all(directory_); }

  fs::path directory_;
  std::string path_;
};

ModelConfig small_config(std::int64_t steps = step_count) {
  ModelConfig config;
  config.run.steps = steps;
  config.run.step_seconds = 300.0;
  config.markets.resize(market_count);
  config.markets[0].name = "BTC";
  config.markets[1].name = "ETH";
  config.source_text = "[run]\nscenarios = 2\nsteps = 3\n";
  config.source_name = "stress.toml";
  return config;
}

// Every field gets a value no other field has, so a field written in the wrong place shows.
// Field f of scenario s is 1000 * f + s (+ market/10 per market), in micro-dollars for money.
BatchResults distinct_results(std::int64_t scenarios = scenario_count, std::int64_t steps = step_count) {
  BatchResults results;
  results.first_scenario = first_scenario;
  for (std::int64_t s = 0; s < scenarios; ++s) {
    ScenarioMetrics m;
    m.ledger.trader_equity_change = -(1000 + s);
    m.ledger.insurance_fund_change = 2000 + s;
    m.ledger.liquidity_provider_pnl = 3000 + s;
    m.ledger.bad_debt = 4000 + s;
    m.ledger.adl_haircut = 5000 + s;
    m.ledger.insurance_payout = 6000 + s;
    m.ledger.liquidation_fees = 7000 + s;
    m.ledger.conservation_residual = 8000 + s;
    m.insurance_fund_min = 9000 + s;
    m.insurance_fund_end = 10000 + s;
    m.adl_notional_usd = 11000.5 + static_cast<double>(s);
    m.cascade_rounds_total = 12000 + s;
    m.cascade_rounds_max = static_cast<std::int32_t>(13000 + s);
    m.round_cap_hits = static_cast<std::int32_t>(14000 + s);
    m.fund_exhausted = static_cast<std::int32_t>(s % 2);
    m.ledger.deposits = 19000 + s;
    m.margin_calls = 20000 + s;
    m.ledger.vault_pnl = 22000 + s;
    m.backstopped_accounts = 23000 + s;
    m.backstop_notional_usd = 24000.5 + static_cast<double>(s);
    for (std::int64_t k = 0; k < market_count; ++k) {
      const double market = static_cast<double>(k) / 10.0;
      m.liquidated_notional_usd.push_back(15000.0 + static_cast<double>(s) + market);
      m.liquidation_count.push_back(16000 + 10 * s + k);
      m.peak_impact.push_back(0.17 + static_cast<double>(s) + market);
      m.max_margin_scale.push_back(1.8 + static_cast<double>(s) + market);
      m.deleveraged_notional_usd.push_back(21000.0 + static_cast<double>(s) + market);
    }
    results.scenarios.push_back(m);
  }
  StepSeries& series = results.series;
  series.resize(scenarios, steps, market_count);
  for (std::size_t i = 0; i < series.mark_price_usd.size(); ++i) {
    const double x = static_cast<double>(i);
    series.fundamental_price_usd[i] = 100.0 + x;
    series.mark_price_usd[i] = 200.0 + x;
    series.margin_scale[i] = 1.0 + x / 100.0;
    series.liquidated_notional_usd[i] = 300.0 + x;
    series.deleveraged_notional_usd[i] = 600.0 + x;
  }
  for (std::size_t i = 0; i < series.cascade_rounds.size(); ++i) {
    series.cascade_rounds[i] = static_cast<std::int32_t>(400 + i);
    series.insurance_fund_usd[i] = 500.0 + static_cast<double>(i);
    series.regime[i] = static_cast<std::uint8_t>(i % 3);
  }
  return results;
}

RunSummary distinct_summary(std::int64_t scenarios = scenario_count) {
  RunSummary summary;
  summary.scenarios = scenarios;
  for (int k = 0; k < 2; ++k) {
    DistributionSummary d;
    d.metric = k == 0 ? "bad_debt_usd" : "cascade_rounds_max";
    const double base = 100.0 * (k + 1);
    // Every column a distinct value, in the file's column order: a column written out of place fails.
    double next = base;
    for (double* field :
         {&d.mean, &d.standard_error, &d.stddev, &d.min, &d.p50, &d.p90, &d.max, &d.var_99, &d.var_99_interval.lower,
          &d.var_99_interval.upper, &d.es_99, &d.es_99_interval.lower, &d.es_99_interval.upper}) {
      *field = next += 1;
    }
    d.tail_99_scenarios = static_cast<std::int64_t>(next += 1);
    for (double* field : {&d.var_999, &d.var_999_interval.lower, &d.var_999_interval.upper, &d.es_999,
                          &d.es_999_interval.lower, &d.es_999_interval.upper}) {
      *field = next += 1;
    }
    d.tail_999_scenarios = static_cast<std::int64_t>(next += 1);
    summary.distributions.push_back(d);
  }
  summary.fund_exhausted_scenarios = 1;
  summary.fund_exhaustion_probability = 0.5;
  summary.fund_exhaustion_interval = {0.25, 0.75};
  summary.round_cap_hits = 3;
  summary.max_abs_conservation_residual_usd = 0.008001;
  return summary;
}

RunProvenance sample_provenance() {
  RunProvenance provenance;
  provenance.program_version = "0.1.0";
  provenance.git_commit = "abc123";
  provenance.backend = "cpu (2 threads)";
  provenance.config_source = "stress.toml";
  provenance.portfolio_source = "book.h5";
  provenance.input_files = "portfolio book.h5 (10 bytes, CRC-32 0a1b2c3d)";
  provenance.scenario_source = "monte_carlo, 1 shock: crash";
  provenance.command_line = "margin-stress run -c stress.toml";
  provenance.start_time_utc = "2026-11-26T14:03:00Z";
  provenance.end_time_utc = "2026-11-26T14:04:00Z";
  provenance.seed = 18446744073709551557ULL;  // above the int64 range: must stay unsigned
  provenance.wall_seconds = 60.25;
  provenance.book_accounts = 40000;
  provenance.book_positions = 52000;
  provenance.book_open_interest_usd = 125.5e6;
  return provenance;
}

void write_sample(const std::string& path, bool overwrite = false) {
  write_results_file(path, overwrite, sample_provenance(), small_config(), distinct_results(), distinct_summary());
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// --- Reading back with the plain C API ---

class OpenedFile {
 public:
  explicit OpenedFile(const std::string& path) : id_(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)) {
    EXPECT_GE(id_, 0) << path;
  }
  ~OpenedFile() { H5Fclose(id_); }
  OpenedFile(const OpenedFile&) = delete;
  OpenedFile& operator=(const OpenedFile&) = delete;
  hid_t id() const { return id_; }

 private:
  hid_t id_;
};

std::vector<hsize_t> shape_of(hid_t file, const std::string& path) {
  const hid_t dataset = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
  EXPECT_GE(dataset, 0) << path;
  const hid_t space = H5Dget_space(dataset);
  std::vector<hsize_t> dims(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space)));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  H5Sclose(space);
  H5Dclose(dataset);
  return dims;
}

// The dataset's stored type must equal `file_type`; read as `memory_type`.
template <typename T>
std::vector<T> read_dataset(hid_t file, const std::string& path, hid_t file_type, hid_t memory_type) {
  const hid_t dataset = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
  EXPECT_GE(dataset, 0) << path;
  const hid_t type = H5Dget_type(dataset);
  EXPECT_GT(H5Tequal(type, file_type), 0) << path << " has another type";
  H5Tclose(type);
  hsize_t count = 1;
  for (const hsize_t d : shape_of(file, path)) count *= d;
  std::vector<T> values(static_cast<std::size_t>(count));
  EXPECT_GE(H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0) << path;
  H5Dclose(dataset);
  return values;
}

std::vector<double> read_doubles(hid_t file, const std::string& path) {
  return read_dataset<double>(file, path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE);
}

std::vector<std::string> read_strings(hid_t file, const std::string& path) {
  const hid_t dataset = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
  const hid_t type = H5Dget_type(dataset);
  EXPECT_GT(H5Tis_variable_str(type), 0) << path;
  EXPECT_EQ(H5Tget_cset(type), H5T_CSET_UTF8) << path;
  const std::vector<hsize_t> dims = shape_of(file, path);
  std::vector<char*> pointers(static_cast<std::size_t>(dims.at(0)));
  EXPECT_GE(H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), 0) << path;
  std::vector<std::string> strings(pointers.begin(), pointers.end());
  for (char* p : pointers) H5free_memory(p);
  H5Tclose(type);
  H5Dclose(dataset);
  return strings;
}

std::string string_attribute(hid_t object, const std::string& name) {
  const hid_t attribute = H5Aopen(object, name.c_str(), H5P_DEFAULT);
  EXPECT_GE(attribute, 0) << name;
  const hid_t type = H5Aget_type(attribute);
  EXPECT_GT(H5Tis_variable_str(type), 0) << name;
  char* text = nullptr;
  EXPECT_GE(H5Aread(attribute, type, &text), 0) << name;
  std::string value = text != nullptr ? text : "";
  H5free_memory(text);
  H5Tclose(type);
  H5Aclose(attribute);
  return value;
}

template <typename T>
T scalar_attribute(hid_t object, const std::string& name, hid_t file_type, hid_t memory_type) {
  const hid_t attribute = H5Aopen(object, name.c_str(), H5P_DEFAULT);
  EXPECT_GE(attribute, 0) << name;
  const hid_t type = H5Aget_type(attribute);
  EXPECT_GT(H5Tequal(type, file_type), 0) << name << " has another type";
  T value{};
  EXPECT_GE(H5Aread(attribute, memory_type, &value), 0) << name;
  H5Tclose(type);
  H5Aclose(attribute);
  return value;
}

std::string scale_name(hid_t file, const std::string& path) {
  const hid_t dataset = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
  EXPECT_GT(H5DSis_scale(dataset), 0) << path << " is not a dimension scale";
  char name[64] = {};
  H5DSget_scale_name(dataset, name, sizeof name);
  H5Dclose(dataset);
  return name;
}

// `scale_path` is attached to dimension `dimension` of `path`, which is labelled with the scale's name.
void expect_attached(hid_t file, const std::string& path, const std::string& scale_path, unsigned dimension) {
  const hid_t dataset = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
  const hid_t scale = H5Dopen2(file, scale_path.c_str(), H5P_DEFAULT);
  EXPECT_GT(H5DSis_attached(dataset, scale, dimension), 0)
      << scale_path << " is not on dimension " << dimension << " of " << path;
  char label[64] = {};
  H5DSget_label(dataset, dimension, label, sizeof label);
  EXPECT_EQ(label, scale_name(file, scale_path)) << "label of dimension " << dimension << " of " << path;
  H5Dclose(scale);
  H5Dclose(dataset);
}

// Reported money: micro-dollars / 1e6, the double nearest the amount (docs/model.md section 1).
std::vector<double> usd_of(std::initializer_list<micro_usd> amounts) {
  std::vector<double> usd;
  for (const micro_usd amount : amounts) usd.push_back(static_cast<double>(amount) / 1e6);
  return usd;
}

// A per-market metric laid out [scenario][market], as the file stores it.
std::vector<double> scenario_major(const std::vector<ScenarioMetrics>& scenarios,
                                   std::vector<double> ScenarioMetrics::*field) {
  std::vector<double> values;
  for (const ScenarioMetrics& metrics : scenarios) {
    for (std::int64_t k = 0; k < market_count; ++k) values.push_back((metrics.*field).at(static_cast<std::size_t>(k)));
  }
  return values;
}

TEST_F(ResultsFileTest, RootAttributesRecordTheRun) {
  write_sample(path_);
  const OpenedFile file(path_);
  const hid_t root = file.id();
  EXPECT_EQ(string_attribute(root, "format"), "margin-stress results");
  EXPECT_EQ(scalar_attribute<std::int32_t>(root, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT32), 2);
  EXPECT_EQ(string_attribute(root, "program_version"), "0.1.0");
  EXPECT_EQ(string_attribute(root, "git_commit"), "abc123");
  EXPECT_EQ(string_attribute(root, "backend"), "cpu (2 threads)");
  EXPECT_EQ(string_attribute(root, "status"), "complete");
  EXPECT_EQ(scalar_attribute<std::uint64_t>(root, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64), 18446744073709551557ULL);
  EXPECT_EQ(scalar_attribute<std::int64_t>(root, "scenarios", H5T_STD_I64LE, H5T_NATIVE_INT64), scenario_count);
  EXPECT_EQ(scalar_attribute<std::int64_t>(root, "steps", H5T_STD_I64LE, H5T_NATIVE_INT64), step_count);
  EXPECT_EQ(scalar_attribute<double>(root, "step_seconds", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE), 300.0);
  EXPECT_EQ(string_attribute(root, "config_toml"), small_config().source_text);
  EXPECT_EQ(string_attribute(root, "config_source"), "stress.toml");
  EXPECT_EQ(string_attribute(root, "portfolio_source"), "book.h5");
  EXPECT_EQ(string_attribute(root, "input_files"), "portfolio book.h5 (10 bytes, CRC-32 0a1b2c3d)");
  EXPECT_EQ(string_attribute(root, "scenario_source"), "monte_carlo, 1 shock: crash");
  EXPECT_EQ(string_attribute(root, "command_line"), "margin-stress run -c stress.toml");
  EXPECT_EQ(string_attribute(root, "start_time_utc"), "2026-11-26T14:03:00Z");
  EXPECT_EQ(string_attribute(root, "end_time_utc"), "2026-11-26T14:04:00Z");
  EXPECT_EQ(scalar_attribute<double>(root, "wall_seconds", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE), 60.25);
  EXPECT_EQ(scalar_attribute<std::int64_t>(root, "book_accounts", H5T_STD_I64LE, H5T_NATIVE_INT64), 40000);
  EXPECT_EQ(scalar_attribute<std::int64_t>(root, "book_positions", H5T_STD_I64LE, H5T_NATIVE_INT64), 52000);
  EXPECT_EQ(scalar_attribute<double>(root, "book_open_interest_usd", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE), 125.5e6);
}

// The book's size: its counts, and open interest at the initial prices, longs and shorts alike.
TEST(RecordBook, CountsAndOpenInterestAtInitialPrices) {
  ModelConfig config = small_config();
  config.markets[0].lot_size = 0.001;
  config.markets[0].initial_price_usd = 60000.0;
  config.markets[1].lot_size = 0.01;
  config.markets[1].initial_price_usd = 3000.0;
  Portfolio book;
  book.market_names = {"BTC", "ETH"};
  book.collateral_usd = {1000.0, 500.0};
  book.position_offset = {0, 2, 3};
  book.market_index = {0, 1, 0};
  book.quantity_lots = {50, -200, -10};
  book.entry_price_usd = {59000.0, 3100.0, 61000.0};
  RunProvenance provenance;
  record_book(provenance, config, book);
  EXPECT_EQ(provenance.book_accounts, 2);
  EXPECT_EQ(provenance.book_positions, 3);
  // 50 * 0.001 * 60000 + 200 * 0.01 * 3000 + 10 * 0.001 * 60000 = 3000 + 6000 + 600
  EXPECT_DOUBLE_EQ(provenance.book_open_interest_usd, 9600.0);
}

TEST_F(ResultsFileTest, MarketsAndScenarioIndex) {
  write_sample(path_);
  const OpenedFile file(path_);
  EXPECT_EQ(read_strings(file.id(), "/markets/name"), (std::vector<std::string>{"BTC", "ETH"}));
  // Every group holds the scales of its own dimensions, the same values in each.
  for (const char* market : {"/markets/market", "/scenario/market", "/series/market"}) {
    EXPECT_EQ(read_dataset<std::int32_t>(file.id(), market, H5T_STD_I32LE, H5T_NATIVE_INT32),
              (std::vector<std::int32_t>{0, 1}))
        << market;
  }
  for (const char* scenario : {"/scenario/scenario", "/series/scenario"}) {
    EXPECT_EQ(read_dataset<std::int64_t>(file.id(), scenario, H5T_STD_I64LE, H5T_NATIVE_INT64),
              (std::vector<std::int64_t>{first_scenario, first_scenario + 1}))
        << scenario;
  }
  EXPECT_EQ(read_dataset<std::int64_t>(file.id(), "/series/step", H5T_STD_I64LE, H5T_NATIVE_INT64),
            (std::vector<std::int64_t>{1, 2, 3}));
}

TEST_F(ResultsFileTest, ScenarioMetricsInUsdAndIntegers) {
  write_sample(path_);
  const OpenedFile file(path_);
  const hid_t f = file.id();
  EXPECT_EQ(read_doubles(f, "/scenario/trader_equity_change_usd"), usd_of({-1000, -1001}));
  EXPECT_EQ(read_doubles(f, "/scenario/insurance_fund_change_usd"), usd_of({2000, 2001}));
  EXPECT_EQ(read_doubles(f, "/scenario/liquidity_provider_pnl_usd"), usd_of({3000, 3001}));
  EXPECT_EQ(read_doubles(f, "/scenario/bad_debt_usd"), usd_of({4000, 4001}));
  EXPECT_EQ(read_doubles(f, "/scenario/adl_haircut_usd"), usd_of({5000, 5001}));
  EXPECT_EQ(read_doubles(f, "/scenario/insurance_payout_usd"), usd_of({6000, 6001}));
  EXPECT_EQ(read_doubles(f, "/scenario/liquidation_fees_usd"), usd_of({7000, 7001}));
  EXPECT_EQ(read_doubles(f, "/scenario/conservation_residual_usd"), usd_of({8000, 8001}));
  EXPECT_EQ(read_doubles(f, "/scenario/deposits_usd"), usd_of({19000, 19001}));
  EXPECT_EQ(read_dataset<std::int64_t>(f, "/scenario/margin_calls", H5T_STD_I64LE, H5T_NATIVE_INT64),
            (std::vector<std::int64_t>{20000, 20001}));
  EXPECT_EQ(read_doubles(f, "/scenario/vault_pnl_usd"), usd_of({22000, 22001}));
  EXPECT_EQ(read_dataset<std::int64_t>(f, "/scenario/backstopped_accounts", H5T_STD_I64LE, H5T_NATIVE_INT64),
            (std::vector<std::int64_t>{23000, 23001}));
  EXPECT_EQ(read_doubles(f, "/scenario/backstop_notional_usd"), (std::vector<double>{24000.5, 24001.5}));
  EXPECT_EQ(read_doubles(f, "/scenario/insurance_fund_min_usd"), usd_of({9000, 9001}));
  EXPECT_EQ(read_doubles(f, "/scenario/insurance_fund_end_usd"), usd_of({10000, 10001}));
  EXPECT_EQ(read_doubles(f, "/scenario/adl_notional_usd"), (std::vector<double>{11000.5, 11001.5}));
  EXPECT_EQ(read_dataset<std::int64_t>(f, "/scenario/cascade_rounds_total", H5T_STD_I64LE, H5T_NATIVE_INT64),
            (std::vector<std::int64_t>{12000, 12001}));
  EXPECT_EQ(read_dataset<std::int32_t>(f, "/scenario/cascade_rounds_max", H5T_STD_I32LE, H5T_NATIVE_INT32),
            (std::vector<std::int32_t>{13000, 13001}));
  EXPECT_EQ(read_dataset<std::int32_t>(f, "/scenario/round_cap_hits", H5T_STD_I32LE, H5T_NATIVE_INT32),
            (std::vector<std::int32_t>{14000, 14001}));
  EXPECT_EQ(read_dataset<std::uint8_t>(f, "/scenario/fund_exhausted", H5T_STD_U8LE, H5T_NATIVE_UINT8),
            (std::vector<std::uint8_t>{0, 1}));
  EXPECT_EQ(shape_of(f, "/scenario/liquidated_notional_usd"), (std::vector<hsize_t>{2, 2}));
  const std::vector<ScenarioMetrics> expected = distinct_results().scenarios;
  EXPECT_EQ(read_doubles(f, "/scenario/liquidated_notional_usd"),
            scenario_major(expected, &ScenarioMetrics::liquidated_notional_usd));
  EXPECT_EQ(read_dataset<std::int64_t>(f, "/scenario/liquidation_count", H5T_STD_I64LE, H5T_NATIVE_INT64),
            (std::vector<std::int64_t>{16000, 16001, 16010, 16011}));
  EXPECT_EQ(read_doubles(f, "/scenario/peak_impact"), scenario_major(expected, &ScenarioMetrics::peak_impact));
  EXPECT_EQ(read_doubles(f, "/scenario/max_margin_scale"),
            scenario_major(expected, &ScenarioMetrics::max_margin_scale));
  EXPECT_EQ(read_doubles(f, "/scenario/deleveraged_notional_usd"),
            scenario_major(expected, &ScenarioMetrics::deleveraged_notional_usd));

  const hid_t dataset = H5Dopen2(f, "/scenario/bad_debt_usd", H5P_DEFAULT);
  EXPECT_EQ(string_attribute(dataset, "units"), "USD");
  H5Dclose(dataset);
}

TEST_F(ResultsFileTest, StepSeriesKeepTheirLayout) {
  write_sample(path_);
  const BatchResults expected = distinct_results();
  const OpenedFile file(path_);
  const hid_t f = file.id();
  for (const char* name : {"fundamental_price_usd", "mark_price_usd", "margin_scale", "liquidated_notional_usd"}) {
    EXPECT_EQ(shape_of(f, std::string("/series/") + name), (std::vector<hsize_t>{2, 3, 2})) << name;
  }
  EXPECT_EQ(read_doubles(f, "/series/fundamental_price_usd"), expected.series.fundamental_price_usd);
  EXPECT_EQ(read_doubles(f, "/series/mark_price_usd"), expected.series.mark_price_usd);
  EXPECT_EQ(read_doubles(f, "/series/margin_scale"), expected.series.margin_scale);
  EXPECT_EQ(read_doubles(f, "/series/liquidated_notional_usd"), expected.series.liquidated_notional_usd);
  EXPECT_EQ(read_doubles(f, "/series/deleveraged_notional_usd"), expected.series.deleveraged_notional_usd);
  EXPECT_EQ(shape_of(f, "/series/cascade_rounds"), (std::vector<hsize_t>{2, 3}));
  EXPECT_EQ(read_dataset<std::int32_t>(f, "/series/cascade_rounds", H5T_STD_I32LE, H5T_NATIVE_INT32),
            expected.series.cascade_rounds);
  EXPECT_EQ(read_doubles(f, "/series/insurance_fund_usd"), expected.series.insurance_fund_usd);
  EXPECT_EQ(read_dataset<std::uint8_t>(f, "/series/regime", H5T_STD_U8LE, H5T_NATIVE_UINT8), expected.series.regime);
}

TEST_F(ResultsFileTest, SummaryTableAndAttributes) {
  write_sample(path_);
  const OpenedFile file(path_);
  const hid_t f = file.id();
  EXPECT_EQ(read_strings(f, "/summary/metric"), (std::vector<std::string>{"bad_debt_usd", "cascade_rounds_max"}));
  EXPECT_EQ(read_strings(f, "/summary/statistic"), (std::vector<std::string>{"mean",
                                                                             "standard_error",
                                                                             "stddev",
                                                                             "min",
                                                                             "p50",
                                                                             "p90",
                                                                             "max",
                                                                             "var_99",
                                                                             "var_99_lower",
                                                                             "var_99_upper",
                                                                             "es_99",
                                                                             "es_99_lower",
                                                                             "es_99_upper",
                                                                             "tail_99_scenarios",
                                                                             "var_999",
                                                                             "var_999_lower",
                                                                             "var_999_upper",
                                                                             "es_999",
                                                                             "es_999_lower",
                                                                             "es_999_upper",
                                                                             "tail_999_scenarios"}));
  EXPECT_EQ(shape_of(f, "/summary/value"), (std::vector<hsize_t>{2, 21}));
  std::vector<double> expected;
  for (const double base : {100.0, 200.0}) {
    for (int k = 1; k <= 21; ++k) expected.push_back(base + k);
  }
  EXPECT_EQ(read_doubles(f, "/summary/value"), expected);
  const hid_t value = H5Dopen2(f, "/summary/value", H5P_DEFAULT);
  char label[16] = {};
  H5DSget_label(value, 0, label, sizeof label);
  EXPECT_STREQ(label, "metric");
  H5DSget_label(value, 1, label, sizeof label);
  EXPECT_STREQ(label, "statistic");
  H5Dclose(value);
  const hid_t summary = H5Gopen2(f, "/summary", H5P_DEFAULT);
  EXPECT_EQ(scalar_attribute<std::int64_t>(summary, "scenarios", H5T_STD_I64LE, H5T_NATIVE_INT64), 2);
  EXPECT_EQ(scalar_attribute<std::int64_t>(summary, "fund_exhausted_scenarios", H5T_STD_I64LE, H5T_NATIVE_INT64), 1);
  EXPECT_EQ(scalar_attribute<double>(summary, "fund_exhaustion_probability", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE), 0.5);
  EXPECT_EQ(scalar_attribute<double>(summary, "fund_exhaustion_probability_lower", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE),
            0.25);
  EXPECT_EQ(scalar_attribute<double>(summary, "fund_exhaustion_probability_upper", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE),
            0.75);
  EXPECT_EQ(scalar_attribute<std::int64_t>(summary, "round_cap_hits", H5T_STD_I64LE, H5T_NATIVE_INT64), 3);
  EXPECT_EQ(scalar_attribute<double>(summary, "max_abs_conservation_residual_usd", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE),
            0.008001);
  H5Gclose(summary);
}

TEST_F(ResultsFileTest, DimensionScalesAreAttached) {
  write_sample(path_);
  const OpenedFile file(path_);
  const hid_t f = file.id();
  // Each scale is named after its dimension and lives in the group whose arrays it labels (the
  // netCDF-4 convention: xarray opens each group alone).
  for (const char* scale : {"/scenario/scenario", "/series/scenario"}) EXPECT_EQ(scale_name(f, scale), "scenario");
  EXPECT_EQ(scale_name(f, "/series/step"), "step");
  for (const char* scale : {"/markets/market", "/scenario/market", "/series/market"}) {
    EXPECT_EQ(scale_name(f, scale), "market");
  }
  EXPECT_EQ(scale_name(f, "/summary/metric"), "metric");
  EXPECT_EQ(scale_name(f, "/summary/statistic"), "statistic");
  expect_attached(f, "/markets/name", "/markets/market", 0);
  for (const char* name :
       {"bad_debt_usd", "insurance_fund_min_usd", "insurance_fund_end_usd", "trader_equity_change_usd",
        "insurance_fund_change_usd", "liquidity_provider_pnl_usd", "adl_haircut_usd", "insurance_payout_usd",
        "liquidation_fees_usd", "conservation_residual_usd", "adl_notional_usd", "cascade_rounds_total",
        "cascade_rounds_max", "round_cap_hits", "fund_exhausted", "deposits_usd", "margin_calls"}) {
    expect_attached(f, std::string("/scenario/") + name, "/scenario/scenario", 0);
  }
  for (const char* name : {"liquidated_notional_usd", "liquidation_count", "peak_impact", "max_margin_scale",
                           "deleveraged_notional_usd"}) {
    expect_attached(f, std::string("/scenario/") + name, "/scenario/scenario", 0);
    expect_attached(f, std::string("/scenario/") + name, "/scenario/market", 1);
  }
  for (const char* name : {"fundamental_price_usd", "mark_price_usd", "margin_scale", "liquidated_notional_usd"}) {
    expect_attached(f, std::string("/series/") + name, "/series/scenario", 0);
    expect_attached(f, std::string("/series/") + name, "/series/step", 1);
    expect_attached(f, std::string("/series/") + name, "/series/market", 2);
  }
  for (const char* name : {"cascade_rounds", "insurance_fund_usd", "regime"}) {
    expect_attached(f, std::string("/series/") + name, "/series/scenario", 0);
    expect_attached(f, std::string("/series/") + name, "/series/step", 1);
  }
  expect_attached(f, "/summary/value", "/summary/metric", 0);
  expect_attached(f, "/summary/value", "/summary/statistic", 1);
}

TEST_F(ResultsFileTest, NoObjectTimestamps) {
  write_sample(path_);
  const OpenedFile file(path_);
  for (const char* path : {"/", "/scenario", "/scenario/bad_debt_usd", "/series/mark_price_usd"}) {
    H5O_info_t info{};
    ASSERT_GE(H5Oget_info_by_name2(file.id(), path, &info, H5O_INFO_TIME, H5P_DEFAULT), 0) << path;
    EXPECT_EQ(info.ctime, 0) << path;
    EXPECT_EQ(info.mtime, 0) << path;
  }
}

TEST_F(ResultsFileTest, IdenticalRunsGiveIdenticalBytes) {
  const std::string second = (directory_ / "again.h5").string();
  write_sample(path_);
  // Past the one-second resolution of HDF5 timestamps, so that any time recorded would differ.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  write_sample(second);
  const std::string first_bytes = file_bytes(path_);
  ASSERT_GT(first_bytes.size(), 1000U);
  EXPECT_TRUE(first_bytes == file_bytes(second)) << "the two files differ";
}

TEST_F(ResultsFileTest, LargeSeriesAreChunkedAndCompressed) {
  constexpr std::int64_t scenarios = 40;
  constexpr std::int64_t steps = 200;  // 40 x 200 x 2 doubles: 128 KB
  write_results_file(path_, false, sample_provenance(), small_config(steps), distinct_results(scenarios, steps),
                     distinct_summary(scenarios));
  const OpenedFile file(path_);
  const hid_t dataset = H5Dopen2(file.id(), "/series/mark_price_usd", H5P_DEFAULT);
  const hid_t creation = H5Dget_create_plist(dataset);
  ASSERT_EQ(H5Pget_layout(creation), H5D_CHUNKED);
  hsize_t chunk[3] = {};
  ASSERT_EQ(H5Pget_chunk(creation, 3, chunk), 3);
  EXPECT_EQ(chunk[1], 200U);  // a scenario's whole series in one chunk
  EXPECT_EQ(chunk[2], 2U);
  EXPECT_EQ(H5Pget_nfilters(creation), 2);  // shuffle, deflate
  H5Pclose(creation);
  H5Dclose(dataset);
  EXPECT_EQ(read_doubles(file.id(), "/series/mark_price_usd"),
            distinct_results(scenarios, steps).series.mark_price_usd);
}

TEST(ChunkShape, SplitsLeadingDimensionsFirst) {
  EXPECT_TRUE(hdf5::chunk_shape({10, 10}, 8).empty());  // 800 bytes: contiguous
  EXPECT_EQ(hdf5::chunk_shape({1000000}, 8), (std::vector<hsize_t>{32768}));
  EXPECT_EQ(hdf5::chunk_shape({1000, 288, 4}, 8), (std::vector<hsize_t>{28, 288, 4}));
  EXPECT_EQ(hdf5::chunk_shape({3, 1000000, 4}, 8), (std::vector<hsize_t>{1, 8192, 4}));
  EXPECT_EQ(hdf5::chunk_shape({100000, 288}, 1), (std::vector<hsize_t>{910, 288}));
}

TEST_F(ResultsFileTest, RefusesToOverwriteWithoutTheFlag) {
  write_sample(path_);
  const std::string before = file_bytes(path_);
  RunProvenance other = sample_provenance();
  other.seed = 7;
  try {
    write_results_file(path_, false, other, small_config(), distinct_results(), distinct_summary());
    ADD_FAILURE() << "overwrote without the flag";
  } catch (const InputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path_), std::string::npos) << message;
    EXPECT_NE(message.find("--force"), std::string::npos) << message;
  }
  EXPECT_TRUE(file_bytes(path_) == before) << "the existing file changed";

  write_results_file(path_, true, other, small_config(), distinct_results(), distinct_summary());
  const OpenedFile file(path_);
  EXPECT_EQ(scalar_attribute<std::uint64_t>(file.id(), "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64), 7U);
}

TEST_F(ResultsFileTest, FailureMidwayLeavesNoFile) {
  BatchResults results = distinct_results();
  results.scenarios[1].peak_impact.push_back(0.5);  // three markets' worth in a two-market run
  try {
    write_results_file(path_, false, sample_provenance(), small_config(), results, distinct_summary());
    ADD_FAILURE() << "an inconsistent result was written";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("/scenario/peak_impact"), std::string::npos) << message;
    EXPECT_NE(message.find("scenario 1"), std::string::npos) << message;
  }
  EXPECT_TRUE(fs::is_empty(directory_)) << "a file or temporary was left behind";
}

TEST_F(ResultsFileTest, FailedOverwriteKeepsTheOldFile) {
  write_sample(path_);
  const std::string before = file_bytes(path_);
  BatchResults results = distinct_results();
  results.series.regime.pop_back();
  EXPECT_THROW(write_results_file(path_, true, sample_provenance(), small_config(), results, distinct_summary()),
               std::invalid_argument);
  EXPECT_TRUE(file_bytes(path_) == before) << "the existing file changed";
  EXPECT_EQ(std::distance(fs::directory_iterator(directory_), fs::directory_iterator()), 1) << "a temporary was left";
}

TEST_F(ResultsFileTest, SeriesOfTheWrongShapeAreRejected) {
  BatchResults results = distinct_results();
  results.series.resize(scenario_count, step_count + 1, market_count);
  EXPECT_THROW(write_results_file(path_, false, sample_provenance(), small_config(), results, distinct_summary()),
               std::invalid_argument);
  EXPECT_TRUE(fs::is_empty(directory_));
}

TEST_F(ResultsFileTest, MissingDirectoryIsAnInputError) {
  const std::string nowhere = (directory_ / "no-such-dir" / "results.h5").string();
  EXPECT_THROW(
      write_results_file(nowhere, false, sample_provenance(), small_config(), distinct_results(), distinct_summary()),
      InputError);
}

}  // namespace
}  // namespace margin_stress
