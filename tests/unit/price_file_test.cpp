// The tolerant price reader (scenarios/calibration/price_series.hpp, docs/calibration.md "Input"):
// the same four hourly BTC bars written by hand in each layout users bring (the shared data's,
// pandas' to_csv with and without an offset or an index name, Binance klines in epoch
// milliseconds, epoch seconds, every field quoted with fractional seconds and a +02:00 offset) read
// to the same times and prices; the spellings of ISO 8601 times and epoch counts against values
// from Python's datetime; and each malformed input's message naming file, line and column.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "host/model/input_error.hpp"
#include "scenarios/calibration/csv_fields.hpp"
#include "scenarios/calibration/price_series.hpp"
#include "scenarios/calibration/utc_time.hpp"
#include "tests/reference/cli_runner.hpp"

namespace margin_stress::calibration {
namespace {

const std::string data = std::string(MARGIN_STRESS_SOURCE_DIR) + "/tests/data/prices/";

// 2020-03-12T10:00:00Z (Python: datetime(2020, 3, 12, 10, tzinfo=timezone.utc).timestamp()).
constexpr std::int64_t ten_o_clock = 1584007200;

std::int64_t seconds_of(const char* text) { return parse_utc_time(text).value_or(UtcTime{-1, false}).seconds; }

TEST(UtcTimeSpellings, IsoTimesWithOrWithoutTFractionsAndOffsets) {
  EXPECT_EQ(seconds_of("2020-03-12T10:00:00Z"), ten_o_clock);
  EXPECT_EQ(seconds_of("2020-03-12 10:00:00"), ten_o_clock);  // pandas' tz-naive index: UTC
  EXPECT_EQ(seconds_of("2020-03-12T10:00:00"), ten_o_clock);
  EXPECT_EQ(seconds_of("2020-03-12 10:00:00+00:00"), ten_o_clock);  // pandas' tz-aware index
  EXPECT_EQ(seconds_of("2020-03-12T12:00:00+02:00"), ten_o_clock);
  EXPECT_EQ(seconds_of("2020-03-12T05:30:00-04:30"), ten_o_clock);
  EXPECT_EQ(seconds_of("2020-03-12T12:00:00+0200"), ten_o_clock);
  EXPECT_EQ(seconds_of("2020-03-12T12:00:00+02"), ten_o_clock);
  EXPECT_EQ(seconds_of("2020-03-12T00:00:00-10:00"), ten_o_clock);
  EXPECT_EQ(seconds_of("2020-03-12T10:00:00.0000000Z"), ten_o_clock);  // CoinAPI's seven digits
  // Fractions round down to the second, before and after an offset alike.
  EXPECT_EQ(seconds_of("2020-03-12T10:00:00.999999999Z"), ten_o_clock);
  EXPECT_EQ(seconds_of("2020-03-12T11:00:59.5+01:00"), ten_o_clock + 59);
  // Across a day and a year by the offset: 2021-01-01T00:30:00+01:00 is 2020-12-31T23:30:00Z.
  EXPECT_EQ(seconds_of("2021-01-01T00:30:00+01:00"), 1609457400);
  EXPECT_EQ(seconds_of("9999-12-31T23:59:59Z"), 253402300799);
  const std::optional<UtcTime> day = parse_utc_time("2020-03-12");
  ASSERT_TRUE(day.has_value());
  EXPECT_TRUE(day->whole_day);
  EXPECT_EQ(day->seconds, ten_o_clock - 10 * 3600);
  EXPECT_FALSE(parse_utc_time("2020-03-12 10:00:00")->whole_day);
}

TEST(UtcTimeSpellings, RejectsLooseSpellings) {
  for (const char* bad :
       {"2020-3-12T10:00:00Z", "+2020-03-12T10:00:00Z", "2020-03-12t10:00:00Z", "2020-03-12T10:00:00z",
        "2020-03-12T10:00:00 Z", "2020-03-12T10:00:00+1:00", "2020-03-12T10:00:00+01:0", "2020-03-12T10:00:00.Z",
        "2020-03-12T10:00:00.1234567890Z", "2020-03-12T10:00:60Z", "2020-03-12T10:00:00+25:00",
        "2020-03-12T10:00:00+15:00", "2020-03-12T10:00:00+01:60", "2020-03-12T10:00:00UTC", "2020-03-12T10:00:00 ",
        " 2020-03-12", "2020-03-12 ", "1970-01-01T00:30:00+01:00", "9999-12-31T23:00:00-01:00"}) {
    EXPECT_FALSE(parse_utc_time(bad).has_value()) << bad;
  }
}

TEST(UtcTimeSpellings, EpochSecondsAndMilliseconds) {
  EXPECT_EQ(parse_epoch_time("1584007200", EpochUnit::seconds), std::optional<std::int64_t>(ten_o_clock));
  EXPECT_EQ(parse_epoch_time("1584007200000", EpochUnit::milliseconds), std::optional<std::int64_t>(ten_o_clock));
  EXPECT_EQ(parse_epoch_time("1584007200999", EpochUnit::milliseconds), std::optional<std::int64_t>(ten_o_clock));
  EXPECT_EQ(parse_epoch_time("0", EpochUnit::seconds), std::optional<std::int64_t>(0));
  EXPECT_EQ(parse_epoch_time("253402300799", EpochUnit::seconds), std::optional<std::int64_t>(253402300799));
  for (const char* bad : {"253402300800", "-1", "+1584007200", "1584007200.5", "1.5e9", "", "99999999999999999999"}) {
    EXPECT_FALSE(parse_epoch_time(bad, EpochUnit::seconds).has_value()) << bad;
  }
}

TEST(CsvFields, QuotedFieldsHoldCommasAndQuotes) {
  const CsvFields split = split_csv_line(R"( "a, b" ,"say ""hi""",plain , "",)");
  ASSERT_TRUE(split.error.empty()) << split.error;
  EXPECT_EQ(split.fields, (std::vector<std::string>{"a, b", "say \"hi\"", "plain", "", ""}));
  EXPECT_EQ(split_csv_line("x,\"open").error, "field 2: no closing quote");
  EXPECT_EQ(split_csv_line("\"a\"b,c").error, "field 1: text after the closing quote");
}

// The four bars every file in tests/data/prices/ holds.
void expect_the_four_bars(const PriceSeries& series) {
  ASSERT_EQ(series.time_seconds.size(), 4u);
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(series.time_seconds[k], ten_o_clock + 3600 * static_cast<std::int64_t>(k)) << "bar " << k;
  }
  EXPECT_EQ(series.price_usd, (std::vector<double>{7900.5, 7550.25, 7102.0, 5950.75}));
}

TEST(PriceFileLayouts, EveryLayoutReadsToTheSameBars) {
  struct Layout {
    const char* file;
    PriceFileFormat format;
  };
  const Layout layouts[] = {
      {"iso_z.csv", {}},
      {"pandas_utc_offset.csv", {}},  // Close, any case
      {"pandas_unnamed_index.csv", {}},
      {"binance_klines_epoch_ms.csv", {"close", "", EpochUnit::milliseconds}},
      {"epoch_seconds.csv", {}},  // the unit from the name time_s
      {"quoted_fractional_offset.csv", {}},
  };
  for (const Layout& layout : layouts) {
    SCOPED_TRACE(layout.file);
    expect_the_four_bars(read_price_csv(data + layout.file, "BTC", layout.format));
  }
}

TEST(PriceFileLayouts, OhlcColumnsAndAChosenTimeColumn) {
  const PriceSeries lows = read_price_csv(data + "iso_z.csv", "BTC", {"low", "", std::nullopt});
  EXPECT_EQ(lows.price_usd, (std::vector<double>{7850.5, 7500.0, 7000.33, 5555.0}));
  // Binance's close_time is the last millisecond of the bar: 10:59:59.999 rounds down to 10:59:59.
  const PriceSeries by_close_time =
      read_price_csv(data + "binance_klines_epoch_ms.csv", "BTC", {"close", "CLOSE_TIME", EpochUnit::milliseconds});
  EXPECT_EQ(by_close_time.time_seconds.front(), ten_o_clock + 3599);
}

class PriceFileMessages : public testing::ScratchDirectoryTest {
 protected:
  // InputError's message from reading `text` as `name`, or "" if it reads.
  std::string read_error(const std::string& name, const std::string& text, const PriceFileFormat& format = {}) {
    try {
      read_price_csv(write_file(name, text), "BTC", format);
    } catch (const InputError& error) {
      return error.what();
    }
    return "";
  }
};

TEST_F(PriceFileMessages, NameTheFileLineAndColumn) {
  struct Case {
    const char* name;
    const char* text;
    std::vector<std::string> message;
    PriceFileFormat format;
  };
  const Case cases[] = {
      {"open_quote", "timestamp,close\n2020-01-01T00:00:00Z,\"100\n", {"line 2", "field 2: no closing quote"}, {}},
      {"after_quote",
       "timestamp,close\n\"2020-01-01\"x,100\n",
       {"line 2", "field 1: text after the closing quote"},
       {}},
      {"epoch_without_unit",
       "open_time,close\n1584007200000,100\n",
       {"line 2", "column open_time", "\"1584007200000\" is a number", "--epoch-unit", "open_time_ms"},
       {}},
      {"epoch_past_9999",
       "time_ms,close\n999999999999999999,100\n",
       {"line 2", "column time_ms", "after 9999-12-31"},
       {}},
      {"epoch_in_iso_column",
       "timestamp_utc,close\n1584007200,100\n",
       {"line 2", "column timestamp_utc", "is a number"},
       {}},
      {"date_after_times",
       "timestamp,close\n2020-01-01 00:00:00,100\n2020-01-02,101\n",
       {"line 3", "column timestamp", "is a date", "line 2 has a time of day"},
       {}},
      {"time_after_dates",
       "Date,Close\n2020-01-01,100\n2020-01-02 00:00:00,101\n",
       {"line 3", "column Date", "not a UTC date"},
       {}},
      {"bad_offset", "timestamp,close\n2020-01-01T00:00:00+1:00,100\n", {"line 2", "column timestamp", "ISO 8601"}, {}},
      {"offset_goes_back",
       "timestamp,close\n2020-01-01T10:00:00+00:00,100\n2020-01-01T10:30:00+01:00,101\n",
       {"line 3", "2020-01-01T10:30:00+01:00 (2020-01-01T09:30:00Z) does not come after", "2020-01-01T10:00:00Z"},
       {}},
      {"same_second",
       "timestamp,close\n2020-01-01T10:00:00.2Z,100\n2020-01-01T10:00:00.7Z,101\n",
       {"line 3", "strictly increase"},
       {}},
      {"unnamed_index_bad", ",close\nyesterday,100\n", {"line 2", "column 1 (unnamed)", "\"yesterday\""}, {}},
      {"two_time_columns",
       "timestamp,date,close\n2020-01-01T00:00:00Z,2020-01-01,1\n",
       {"line 1", "two time columns (timestamp and date)", "--time-column"},
       {}},
      {"no_such_time_column",
       "timestamp,close\n2020-01-01T00:00:00Z,1\n",
       {"line 1", "no time column named 'when'", "'timestamp', 'close'"},
       {"close", "when", std::nullopt}},
      {"no_price_column",
       "timestamp,Close Price\n2020-01-01T00:00:00Z,1\n",
       {"line 1", "'close'", "'Close Price'"},
       {}},
      {"two_close_columns", "timestamp,close,CLOSE\n2020-01-01T00:00:00Z,1,2\n", {"line 1", "two columns"}, {}},
      {"thousands_separator",
       "timestamp,close\n2020-01-01T00:00:00Z,\"29,000.5\"\n",
       {"line 2", "column close", "\"29,000.5\" is not a number"},
       {}},
  };
  for (const Case& bad : cases) {
    SCOPED_TRACE(bad.name);
    const std::string file = std::string(bad.name) + ".csv";
    const std::string message = read_error(file, bad.text, bad.format);
    ASSERT_FALSE(message.empty()) << "no error";
    EXPECT_EQ(message.rfind(path(file) + ": ", 0), 0u) << message;
    for (const std::string& part : bad.message) {
      EXPECT_NE(message.find(part), std::string::npos) << part << " in " << message;
    }
  }
}

TEST_F(PriceFileMessages, ByteOrderMarkAndBlankLinesAreNotData) {
  const std::string path = write_file("excel.csv",
                                      "\xEF\xBB\xBF"
                                      "Date,Close\r\n2020-03-11,7900.5\r\n  \r\n2020-03-12,4970.79\r\n");
  const PriceSeries series = read_price_csv(path, "BTC", {});
  ASSERT_EQ(series.price_usd.size(), 2u);
  EXPECT_EQ(series.time_seconds[1] - series.time_seconds[0], 86400);
  EXPECT_EQ(series.price_usd[1], 4970.79);
}

}  // namespace
}  // namespace margin_stress::calibration
