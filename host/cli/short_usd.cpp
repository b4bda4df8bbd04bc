#include "host/cli/short_usd.hpp"

#include <cmath>

#include "host/model/text_format.hpp"

namespace margin_stress {

std::string short_usd(double value) {
  return std::fabs(value) >= 1e6 ? printf_string("%.2fM", value / 1e6) : printf_string("%.0f", value);
}

}  // namespace margin_stress
