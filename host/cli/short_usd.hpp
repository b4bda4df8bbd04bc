// The compact USD figure of the optimize and reverse tables: millions as "1.23M", below a million
// whole dollars.
#pragma once

#include <string>

namespace margin_stress {

std::string short_usd(double value);

}  // namespace margin_stress
