#include "host/cli/price_file_options.hpp"

#include <map>
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
  const std::map<std::string, calibration::EpochUnit> units = {{"s", calibration::EpochUnit::seconds},
                                                               {"ms", calibration::EpochUnit::milliseconds}};
  command
      .add_option("--epoch-unit", format.epoch_unit,
                  "unit of times written as a count since 1970 (s or ms); default: the time column's name "
                  "suffix (_s, _ms)")
      ->transform(CLI::CheckedTransformer(units));
}

}  // namespace margin_stress
