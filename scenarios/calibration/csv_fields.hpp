// The fields of one line of a CSV file (RFC 4180, as spreadsheets, pandas and exchanges write it):
// separated by commas; a field in double quotes may hold commas, and "" inside it is one quote.
// Whitespace around a field (outside its quotes) is dropped. A quoted field must close on its own
// line: price files hold no line breaks inside fields, so an open quote at the end of a line is a
// typo, reported rather than joined with the next line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace margin_stress::calibration {

struct CsvFields {
  std::vector<std::string> fields;
  std::string error;  // empty, or what is wrong with the line ("field 3: no closing quote")
};

CsvFields split_csv_line(std::string_view line);

}  // namespace margin_stress::calibration
