// Portfolio files: round trip, and every way a user's file can be wrong (host/io/portfolio_file).
#include "host/io/portfolio_file.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "host/io/hdf5_handles.hpp"
#include "host/model/input_error.hpp"
#include "tests/unit/input_error_matchers.hpp"

namespace margin_stress {
namespace {

using testing::expect_contains;
using testing::input_error_of;

namespace fs = std::filesystem;

class PortfolioFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ =
        fs::temp_directory_path() / ("margin_stress_portfolio_" + std::to_string(::getpid()) + "_" + test->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    path_ = (directory_ / "book.h5").string();
  }
  void TearDown() override { fs::remove_all(directory_); }

  fs::path directory_;
  std::string path_;
};

// Markets in an order that differs from the file's, so that validation has to remap.
std::vector<MarketSpec> config_markets() {
  std::vector<MarketSpec> markets(3);
  markets[0].name = "BTC";
  markets[0].lot_size = 0.001;
  markets[1].name = "ETH";
  markets[1].lot_size = 0.01;
  markets[2].name = "SOL";
  markets[2].lot_size = 1.0;
  return markets;
}

// Three accounts: two positions, none, one. Values with long binary expansions, so a round trip
// through any decimal or float32 step would change bits.
Portfolio sample_portfolio() {
  Portfolio portfolio;
  portfolio.market_names = {"ETH", "BTC"};
  portfolio.collateral_usd = {1000.0 / 3.0, 0.0, 12345.678901234567};
  portfolio.position_offset = {0, 2, 2, 3};
  portfolio.market_index = {0, 1, 1};
  portfolio.quantity_lots = {250, -7, 9007199254740992};  // the last is 2^53, the largest allowed
  portfolio.entry_price_usd = {3012.1 / 7.0, 61234.56789, 1.0e-9};
  return portfolio;
}

template <typename T>
std::vector<std::uint64_t> bits_of(const std::vector<T>& values) {
  std::vector<std::uint64_t> bits(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) std::memcpy(&bits[i], &values[i], sizeof(T));
  return bits;
}

// Writes `portfolio` as a file, reads it back and validates it against config_markets().
std::string error_reading(const std::string& path, const Portfolio& portfolio) {
  write_portfolio_file(path, portfolio, true);
  return input_error_of([&] {
    Portfolio read = read_portfolio_file(path);
    validate_portfolio(read, config_markets(), path);
  });
}

// Opens a written file for editing with the C API, to make files our writer would never make.
hdf5::File open_for_editing(const std::string& path) {
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  EXPECT_GE(id, 0) << path;
  return hdf5::File(id, path, "/");
}

void delete_link(const hdf5::File& file, const char* path) { ASSERT_GE(H5Ldelete(file.id(), path, H5P_DEFAULT), 0); }

TEST_F(PortfolioFileTest, RoundTripIsBitForBit) {
  const Portfolio written = sample_portfolio();
  write_portfolio_file(path_, written, false);
  const Portfolio read = read_portfolio_file(path_);
  EXPECT_EQ(read.market_names, written.market_names);
  EXPECT_EQ(bits_of(read.collateral_usd), bits_of(written.collateral_usd));
  EXPECT_EQ(read.position_offset, written.position_offset);
  EXPECT_EQ(read.market_index, written.market_index);
  EXPECT_EQ(read.quantity_lots, written.quantity_lots);
  EXPECT_EQ(bits_of(read.entry_price_usd), bits_of(written.entry_price_usd));
}

TEST_F(PortfolioFileTest, RoundTripOfAnEmptyBook) {
  Portfolio empty;
  empty.market_names = {"SOL"};
  empty.position_offset = {0};
  write_portfolio_file(path_, empty, false);
  Portfolio read = read_portfolio_file(path_);
  validate_portfolio(read, config_markets(), path_);
  EXPECT_EQ(read.account_count(), 0U);
  EXPECT_EQ(read.position_count(), 0U);
  EXPECT_EQ(read.position_offset, std::vector<std::int64_t>{0});
}

TEST_F(PortfolioFileTest, ValidationMapsMarketsOntoTheConfigOrder) {
  Portfolio portfolio = sample_portfolio();
  validate_portfolio(portfolio, config_markets(), "book.h5");
  EXPECT_EQ(portfolio.market_names, (std::vector<std::string>{"BTC", "ETH", "SOL"}));
  // File market 0 is ETH (config 1), file market 1 is BTC (config 0).
  EXPECT_EQ(portfolio.market_index, (std::vector<std::int32_t>{1, 0, 0}));
  EXPECT_EQ(portfolio.quantity_lots, sample_portfolio().quantity_lots);
}

TEST_F(PortfolioFileTest, RefusesToOverwriteWithoutTheFlag) {
  write_portfolio_file(path_, sample_portfolio(), false);
  const std::string message = input_error_of([&] { write_portfolio_file(path_, sample_portfolio(), false); });
  expect_contains(message, {path_, "--force"});
  write_portfolio_file(path_, sample_portfolio(), true);
}

TEST_F(PortfolioFileTest, MissingFile) {
  const std::string missing = (directory_ / "absent.h5").string();
  expect_contains(input_error_of([&] { read_portfolio_file(missing); }), {missing, "no such file"});
}

TEST_F(PortfolioFileTest, FileThatIsNotHdf5) {
  std::ofstream(path_) << "market,quantity\nBTC,1\n";
  expect_contains(input_error_of([&] { read_portfolio_file(path_); }), {path_, "not an HDF5 file"});
}

TEST_F(PortfolioFileTest, ResultsFileIsNotAPortfolio) {
  write_portfolio_file(path_, sample_portfolio(), false);
  {
    hdf5::File file = open_for_editing(path_);
    ASSERT_GE(H5Adelete(file.id(), "format"), 0);
    hdf5::write_string_attribute(file, "format", "margin-stress results");
  }
  expect_contains(input_error_of([&] { read_portfolio_file(path_); }),
                  {path_, "'format'", "margin-stress results", "margin-stress portfolio"});
}

TEST_F(PortfolioFileTest, MissingFormatVersion) {
  write_portfolio_file(path_, sample_portfolio(), false);
  {
    hdf5::File file = open_for_editing(path_);
    ASSERT_GE(H5Adelete(file.id(), "format_version"), 0);
  }
  expect_contains(input_error_of([&] { read_portfolio_file(path_); }), {path_, "'format_version'", "missing"});
}

TEST_F(PortfolioFileTest, MissingDataset) {
  write_portfolio_file(path_, sample_portfolio(), false);
  {
    hdf5::File file = open_for_editing(path_);
    delete_link(file, "/positions/quantity_lots");
  }
  expect_contains(input_error_of([&] { read_portfolio_file(path_); }), {path_, "/positions/quantity_lots", "missing"});
}

TEST_F(PortfolioFileTest, MissingGroup) {
  write_portfolio_file(path_, sample_portfolio(), false);
  {
    hdf5::File file = open_for_editing(path_);
    delete_link(file, "/accounts");
  }
  expect_contains(input_error_of([&] { read_portfolio_file(path_); }), {path_, "/accounts", "missing"});
}

TEST_F(PortfolioFileTest, PositionDatasetOfWrongLength) {
  write_portfolio_file(path_, sample_portfolio(), false);
  {
    hdf5::File file = open_for_editing(path_);
    delete_link(file, "/positions/entry_price_usd");
    hdf5::Group positions(H5Gopen2(file.id(), "positions", H5P_DEFAULT), path_, "/positions");
    hdf5::write_vector(positions, "entry_price_usd", std::vector<double>{1.0, 2.0});
  }
  expect_contains(input_error_of([&] { read_portfolio_file(path_); }),
                  {path_, "/positions/entry_price_usd", "has 2 rows", "expected 3"});
}

TEST_F(PortfolioFileTest, OffsetsOfWrongLength) {
  Portfolio portfolio = sample_portfolio();
  portfolio.collateral_usd.push_back(5.0);  // four accounts, but still four offsets
  portfolio.position_offset = {0, 2, 2, 3};
  const std::string message = input_error_of([&] { validate_portfolio(portfolio, config_markets(), "book.h5"); });
  expect_contains(message, {"book.h5", "/accounts/position_offset", "has 4 rows", "expected 5"});
}

TEST_F(PortfolioFileTest, CollateralOfWrongType) {
  write_portfolio_file(path_, sample_portfolio(), false);
  {
    hdf5::File file = open_for_editing(path_);
    delete_link(file, "/accounts/collateral_usd");
    hdf5::Group accounts(H5Gopen2(file.id(), "accounts", H5P_DEFAULT), path_, "/accounts");
    hdf5::write_vector(accounts, "collateral_usd", std::vector<std::int64_t>{1, 2, 3});
  }
  expect_contains(input_error_of([&] { read_portfolio_file(path_); }),
                  {path_, "/accounts/collateral_usd", "signed 64-bit integer", "floating point"});
}

TEST_F(PortfolioFileTest, CollateralOfWrongRank) {
  write_portfolio_file(path_, sample_portfolio(), false);
  {
    hdf5::File file = open_for_editing(path_);
    delete_link(file, "/accounts/collateral_usd");
    hdf5::Group accounts(H5Gopen2(file.id(), "accounts", H5P_DEFAULT), path_, "/accounts");
    hdf5::write_array(accounts, "collateral_usd", {3, 1}, std::vector<double>{1.0, 2.0, 3.0});
  }
  expect_contains(input_error_of([&] { read_portfolio_file(path_); }),
                  {path_, "/accounts/collateral_usd", "[3][1]", "1-D"});
}

// What h5py writes by default for lists of ints and of bytes: int64 indices, fixed-length ASCII names.
TEST_F(PortfolioFileTest, AcceptsWideIndicesAndFixedLengthNames) {
  write_portfolio_file(path_, sample_portfolio(), false);
  {
    hdf5::File file = open_for_editing(path_);
    delete_link(file, "/positions/market_index");
    delete_link(file, "/markets/name");
    hdf5::Group positions(H5Gopen2(file.id(), "positions", H5P_DEFAULT), path_, "/positions");
    hdf5::write_vector(positions, "market_index", std::vector<std::int64_t>{0, 1, 1});
    const hid_t name_type = H5Tcopy(H5T_C_S1);
    ASSERT_GE(H5Tset_size(name_type, 4), 0);
    const hsize_t count = 2;
    const hid_t space = H5Screate_simple(1, &count, nullptr);
    const hid_t names = H5Dcreate2(file.id(), "/markets/name", name_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const char text[] = "ETH\0BTC";  // two NUL-terminated names of 4 bytes
    ASSERT_GE(H5Dwrite(names, name_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, text), 0);
    H5Dclose(names);
    H5Sclose(space);
    H5Tclose(name_type);
  }
  const Portfolio read = read_portfolio_file(path_);
  EXPECT_EQ(read.market_names, (std::vector<std::string>{"ETH", "BTC"}));
  EXPECT_EQ(read.market_index, (std::vector<std::int32_t>{0, 1, 1}));
}

// A dataset's declared length is not its data. Found by tests/fuzz/portfolio_fuzz: a 12 KB file
// whose /markets/name declared 2^26 names it never wrote took 2.6 GB and 7 s to refuse (the rows
// read as the fill value, an empty name); 2^40 would ask for terabytes.
TEST_F(PortfolioFileTest, RowsDeclaredButNeverWritten) {
  write_portfolio_file(path_, sample_portfolio(), false);
  {
    hdf5::File file = open_for_editing(path_);
    delete_link(file, "/markets/name");
    const hid_t name_type = H5Tcopy(H5T_C_S1);
    ASSERT_GE(H5Tset_size(name_type, H5T_VARIABLE), 0);
    const hsize_t rows = hsize_t{1} << 26;
    const hid_t space = H5Screate_simple(1, &rows, nullptr);
    const hid_t names = H5Dcreate2(file.id(), "/markets/name", name_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(names, 0);
    H5Dclose(names);
    H5Sclose(space);
    H5Tclose(name_type);
  }
  ASSERT_LT(fs::file_size(path_), 64U * 1024U);
  expect_contains(input_error_of([&] { read_portfolio_file(path_); }),
                  {path_, "/markets/name", "declares 67108864 rows", "stores none of them"});
}

// Chunked (as h5py's compression= makes it): a chunk never written is not in the file either.
TEST_F(PortfolioFileTest, ChunkedRowsPartlyWritten) {
  write_portfolio_file(path_, sample_portfolio(), false);
  {
    hdf5::File file = open_for_editing(path_);
    delete_link(file, "/accounts/collateral_usd");
    const hsize_t rows = 3;
    const hsize_t chunk = 1;
    const hid_t space = H5Screate_simple(1, &rows, nullptr);
    const hid_t creation = H5Pcreate(H5P_DATASET_CREATE);
    ASSERT_GE(H5Pset_chunk(creation, 1, &chunk), 0);
    const hid_t collateral =
        H5Dcreate2(file.id(), "/accounts/collateral_usd", H5T_IEEE_F64LE, space, H5P_DEFAULT, creation, H5P_DEFAULT);
    ASSERT_GE(collateral, 0);
    const hsize_t start = 0;
    ASSERT_GE(H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, nullptr, &chunk, nullptr), 0);
    const hid_t one = H5Screate_simple(1, &chunk, nullptr);
    const double value = 100.0;
    ASSERT_GE(H5Dwrite(collateral, H5T_NATIVE_DOUBLE, one, space, H5P_DEFAULT, &value), 0);
    H5Sclose(one);
    H5Dclose(collateral);
    H5Pclose(creation);
    H5Sclose(space);
  }
  expect_contains(input_error_of([&] { read_portfolio_file(path_); }),
                  {path_, "/accounts/collateral_usd", "declares 3 rows", "stores only some of them"});
}

// Rows stored elsewhere: external raw data (here endless zeros) and a virtual dataset (mapping
// other files' datasets; here none, so every row is the fill value) declare what they like.
TEST_F(PortfolioFileTest, RowsStoredOutsideTheFile) {
  write_portfolio_file(path_, sample_portfolio(), false);
  {
    hdf5::File file = open_for_editing(path_);
    delete_link(file, "/positions/quantity_lots");
    delete_link(file, "/positions/entry_price_usd");
    const hsize_t rows = hsize_t{1} << 40;
    const hid_t space = H5Screate_simple(1, &rows, nullptr);
    const hid_t external = H5Pcreate(H5P_DATASET_CREATE);
    ASSERT_GE(H5Pset_external(external, "/dev/zero", 0, H5F_UNLIMITED), 0);
    const hid_t quantity =
        H5Dcreate2(file.id(), "/positions/quantity_lots", H5T_STD_I64LE, space, H5P_DEFAULT, external, H5P_DEFAULT);
    ASSERT_GE(quantity, 0);
    const hid_t virtual_layout = H5Pcreate(H5P_DATASET_CREATE);
    ASSERT_GE(H5Pset_layout(virtual_layout, H5D_VIRTUAL), 0);
    const hid_t price = H5Dcreate2(file.id(), "/positions/entry_price_usd", H5T_IEEE_F64LE, space, H5P_DEFAULT,
                                   virtual_layout, H5P_DEFAULT);
    ASSERT_GE(price, 0);
    H5Dclose(price);
    H5Pclose(virtual_layout);
    H5Dclose(quantity);
    H5Pclose(external);
    H5Sclose(space);
  }
  expect_contains(input_error_of([&] { read_portfolio_file(path_); }),
                  {path_, "/positions/quantity_lots", "stored outside the file (external raw data)"});
  {
    hdf5::File file = open_for_editing(path_);
    delete_link(file, "/positions/quantity_lots");
    hdf5::Group positions(H5Gopen2(file.id(), "positions", H5P_DEFAULT), path_, "/positions");
    hdf5::write_vector(positions, "quantity_lots", std::vector<std::int64_t>{1, 2, 3});
  }
  expect_contains(input_error_of([&] { read_portfolio_file(path_); }),
                  {path_, "/positions/entry_price_usd", "stored outside the file (a virtual dataset)"});
}

// Arrays above hdf5::compress_above_bytes are chunked and deflated: every chunk is stored, so the
// check above accepts them.
TEST_F(PortfolioFileTest, RoundTripOfAChunkedBook) {
  Portfolio written;
  written.market_names = {"BTC"};
  written.position_offset = {0};
  for (int account = 0; account < 1000; ++account) {
    written.collateral_usd.push_back(100.0 + account);
    written.market_index.push_back(0);
    written.quantity_lots.push_back(account + 1);
    written.entry_price_usd.push_back(50000.0 + account);
    written.position_offset.push_back(account + 1);
  }
  ASSERT_GT(written.collateral_usd.size() * sizeof(double), hdf5::compress_above_bytes);
  write_portfolio_file(path_, written, false);
  Portfolio read = read_portfolio_file(path_);
  validate_portfolio(read, config_markets(), path_);
  EXPECT_EQ(bits_of(read.collateral_usd), bits_of(written.collateral_usd));
  EXPECT_EQ(read.position_offset, written.position_offset);
  EXPECT_EQ(read.quantity_lots, written.quantity_lots);
}

TEST_F(PortfolioFileTest, MarketIndexBeyondInt32) {
  write_portfolio_file(path_, sample_portfolio(), false);
  {
    hdf5::File file = open_for_editing(path_);
    delete_link(file, "/positions/market_index");
    hdf5::Group positions(H5Gopen2(file.id(), "positions", H5P_DEFAULT), path_, "/positions");
    hdf5::write_vector(positions, "market_index", std::vector<std::int64_t>{0, 1, std::int64_t{1} << 40});
  }
  expect_contains(input_error_of([&] { read_portfolio_file(path_); }),
                  {path_, "/positions/market_index", "row 2 (0-based)", "1099511627776"});
}

TEST_F(PortfolioFileTest, UnsignedValuesBeyondInt64) {
  write_portfolio_file(path_, sample_portfolio(), false);
  {
    hdf5::File file = open_for_editing(path_);
    delete_link(file, "/positions/quantity_lots");
    hdf5::Group positions(H5Gopen2(file.id(), "positions", H5P_DEFAULT), path_, "/positions");
    hdf5::write_vector(positions, "quantity_lots", std::vector<std::uint64_t>{1, 2, std::uint64_t{1} << 63});
  }
  expect_contains(input_error_of([&] { read_portfolio_file(path_); }),
                  {path_, "/positions/quantity_lots", "outside the range of int64"});
}

TEST_F(PortfolioFileTest, NanCollateral) {
  Portfolio portfolio = sample_portfolio();
  portfolio.collateral_usd[2] = std::nan("");
  expect_contains(error_reading(path_, portfolio), {path_, "/accounts/collateral_usd", "row 2 (0-based)", "nan"});
}

TEST_F(PortfolioFileTest, NegativeCollateral) {
  Portfolio portfolio = sample_portfolio();
  portfolio.collateral_usd[1] = -0.5;
  expect_contains(error_reading(path_, portfolio), {path_, "/accounts/collateral_usd", "row 1 (0-based)", "-0.5"});
}

TEST_F(PortfolioFileTest, CollateralAboveTheMoneyRange) {
  Portfolio portfolio = sample_portfolio();
  portfolio.collateral_usd[0] = 5.0e12;
  expect_contains(error_reading(path_, portfolio), {path_, "/accounts/collateral_usd", "row 0 (0-based)", "5e+12"});
}

TEST_F(PortfolioFileTest, ZeroQuantity) {
  Portfolio portfolio = sample_portfolio();
  portfolio.quantity_lots[1] = 0;
  expect_contains(error_reading(path_, portfolio), {path_, "/positions/quantity_lots", "row 1 (0-based)", ": 0 "});
}

TEST_F(PortfolioFileTest, QuantityBeyondTwoToThe53) {
  Portfolio portfolio = sample_portfolio();
  portfolio.quantity_lots[2] = -9007199254740993;
  expect_contains(error_reading(path_, portfolio),
                  {path_, "/positions/quantity_lots", "row 2 (0-based)", "-9007199254740993"});
}

TEST_F(PortfolioFileTest, NegativeEntryPrice) {
  Portfolio portfolio = sample_portfolio();
  portfolio.entry_price_usd[1] = -3.0;
  expect_contains(error_reading(path_, portfolio),
                  {path_ + ": /positions/entry_price_usd row 1 (0-based): -3 is not a positive finite number"});
}

TEST_F(PortfolioFileTest, ZeroEntryPrice) {
  Portfolio portfolio = sample_portfolio();
  portfolio.entry_price_usd[0] = 0.0;
  expect_contains(error_reading(path_, portfolio), {path_, "/positions/entry_price_usd", "row 0 (0-based)", ": 0 "});
}

TEST_F(PortfolioFileTest, InfiniteEntryPrice) {
  Portfolio portfolio = sample_portfolio();
  portfolio.entry_price_usd[2] = std::numeric_limits<double>::infinity();
  expect_contains(error_reading(path_, portfolio), {path_, "/positions/entry_price_usd", "row 2 (0-based)", "inf"});
}

TEST_F(PortfolioFileTest, OffsetsNotStartingAtZero) {
  Portfolio portfolio = sample_portfolio();
  portfolio.position_offset = {1, 2, 2, 3};
  expect_contains(error_reading(path_, portfolio),
                  {path_, "/accounts/position_offset", "row 0 (0-based)", ": 1;", "must be 0"});
}

TEST_F(PortfolioFileTest, DecreasingOffsets) {
  Portfolio portfolio = sample_portfolio();
  portfolio.position_offset = {0, 2, 1, 3};
  expect_contains(error_reading(path_, portfolio),
                  {path_, "/accounts/position_offset", "row 2 (0-based)", ": 1 is less than", "non-decreasing"});
}

TEST_F(PortfolioFileTest, LastOffsetIsNotThePositionCount) {
  Portfolio portfolio = sample_portfolio();
  portfolio.position_offset = {0, 2, 2, 2};
  expect_contains(error_reading(path_, portfolio),
                  {path_, "/accounts/position_offset", "row 3 (0-based)", ": 2;", "number of positions, 3"});
}

TEST_F(PortfolioFileTest, MarketIndexOutOfRange) {
  Portfolio portfolio = sample_portfolio();
  portfolio.market_index[2] = 2;  // the file names two markets
  expect_contains(error_reading(path_, portfolio), {path_, "/positions/market_index", "row 2 (0-based)", ": 2 is not"});
  portfolio.market_index[2] = -1;
  expect_contains(error_reading(path_, portfolio),
                  {path_, "/positions/market_index", "row 2 (0-based)", ": -1 is not"});
}

TEST_F(PortfolioFileTest, UnknownMarketName) {
  Portfolio portfolio = sample_portfolio();
  portfolio.market_names[1] = "DOGE";
  expect_contains(error_reading(path_, portfolio),
                  {path_, "/markets/name", "row 1 (0-based)", "'DOGE'", "BTC, ETH, SOL"});
}

TEST_F(PortfolioFileTest, DuplicateMarketName) {
  Portfolio portfolio = sample_portfolio();
  portfolio.market_names = {"ETH", "BTC", "ETH"};
  expect_contains(error_reading(path_, portfolio), {path_, "/markets/name", "row 2 (0-based)", "'ETH' repeats row 0"});
}

TEST_F(PortfolioFileTest, DuplicateMarketInAnAccount) {
  Portfolio portfolio = sample_portfolio();
  portfolio.market_index = {1, 1, 1};  // account 0 holds BTC twice (rows 0 and 1)
  expect_contains(error_reading(path_, portfolio),
                  {path_, "/positions/market_index", "row 1 (0-based)", "account row 0 (0-based)", "'BTC'", "row 0"});
}

TEST_F(PortfolioFileTest, AccountNotionalAboveTheMoneyRange) {
  Portfolio portfolio = sample_portfolio();
  portfolio.quantity_lots[1] = -100'000'000'000;  // 1e11 lots * 0.001 BTC * 61234.57 USD = 6.1e12 USD
  expect_contains(error_reading(path_, portfolio), {path_, "/accounts/position_offset", "row 0 (0-based)", "notional"});
}

TEST_F(PortfolioFileTest, BookAboveTheMoneyRange) {
  // Each account is within range on its own; together they are not (2 x 2.5e12 > 4.6e12).
  Portfolio portfolio = sample_portfolio();
  portfolio.collateral_usd[0] = 2.5e12;
  portfolio.collateral_usd[1] = 2.5e12;
  expect_contains(error_reading(path_, portfolio), {path_, "summed over all accounts", "5000000022857"});
}

TEST_F(PortfolioFileTest, FailedValidationLeavesThePortfolioUnchanged) {
  Portfolio portfolio = sample_portfolio();
  portfolio.entry_price_usd[2] = -1.0;
  input_error_of([&] { validate_portfolio(portfolio, config_markets(), "book.h5"); });
  EXPECT_EQ(portfolio.market_names, sample_portfolio().market_names);
  EXPECT_EQ(portfolio.market_index, sample_portfolio().market_index);
}

TEST_F(PortfolioFileTest, WriterRejectsInconsistentLengths) {
  Portfolio portfolio = sample_portfolio();
  portfolio.entry_price_usd.pop_back();
  EXPECT_THROW(write_portfolio_file(path_, portfolio, false), std::invalid_argument);
  EXPECT_TRUE(fs::is_empty(directory_));
}

}  // namespace
}  // namespace margin_stress
