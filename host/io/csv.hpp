// The one way CSV reports write a field (compare, backtest, optimize, the accounts file): RFC 4180
// quoting for text, the shortest round-tripping digits for a double.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace margin_stress {

// The shortest of %.15g, %.16g and %.17g that reads back as the same double; empty for NaN.
inline std::string csv_number(double value) {
  if (std::isnan(value)) return "";
  char text[32];
  for (int digits = 15; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}

// `text` as it is, or in double quotes with each quote doubled where it holds a comma, a quote or a
// line break (RFC 4180).
inline std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace margin_stress
