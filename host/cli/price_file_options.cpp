#include "host/cli/price_file_options.hpp"

#include <string>

namespace margin_stress {

void add_price_file_options(CLI::App& command, calibration::PriceFileFormat& format) {
  command
      .add_option("--column", format.price_column,
                  "price column (any case); in an OHLC file close, or open, high or low")
      ->capture_default_str();
  command.add_option("--time-column", format.time_column,
                     "time column; default: the one named timestamp_utc, date, timestamp, datetime, time or "
                     "open_time (each also with _s or _ms), else an unnamed first column");
  command
      .add_option_function<std::string>(
          "--epoch-unit",
          [&format](const std::string& unit) {
            format.epoch_unit = unit == "ms" ? calibration::EpochUnit::milliseconds : calibration::EpochUnit::seconds;
          },
          "unit of times written as a count since 1970; default: the time column's name suffix (_s, _ms)")
      ->check(CLI::IsMember({"s", "ms"}));
}

}  // namespace margin_stress
