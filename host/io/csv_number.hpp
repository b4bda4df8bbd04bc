// The one way CSV reports write a double (compare, backtest, optimize).
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

}  // namespace margin_stress
