#include "scenarios/calibration/csv_fields.hpp"

#include <algorithm>

namespace margin_stress::calibration {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

CsvFields split_csv_line(std::string_view line) {
  CsvFields result;
  std::size_t position = 0;
  while (true) {
    const std::string field_number = std::to_string(result.fields.size() + 1);
    while (position < line.size() && is_blank(line[position])) ++position;
    std::string field;
    if (position < line.size() && line[position] == '"') {
      ++position;
      while (true) {
        if (position >= line.size()) {
          result.error = "field " + field_number + ": no closing quote";
          return result;
        }
        if (line[position] == '"') {
          if (position + 1 < line.size() && line[position + 1] == '"') {
            field += '"';
            position += 2;
            continue;
          }
          ++position;
          break;
        }
        field += line[position++];
      }
      while (position < line.size() && is_blank(line[position])) ++position;
      if (position < line.size() && line[position] != ',') {
        result.error = "field " + field_number + ": text after the closing quote";
        return result;
      }
    } else {
      const std::size_t end = std::min(line.find(',', position), line.size());
      std::size_t last = end;
      while (last > position && is_blank(line[last - 1])) --last;
      field.assign(line.substr(position, last - position));
      position = end;
    }
    result.fields.push_back(std::move(field));
    if (position >= line.size()) return result;
    ++position;  // the comma
  }
}

}  // namespace margin_stress::calibration
