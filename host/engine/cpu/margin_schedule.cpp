#include "host/engine/cpu/margin_schedule.hpp"

#include <algorithm>

namespace margin_stress::cpu {

std::vector<MarginBracket> make_margin_brackets(const std::vector<MarginTier>& tiers) {
  std::vector<MarginBracket> brackets;
  brackets.reserve(tiers.size());
  double maintenance_amount_usd = 0.0;
  for (std::size_t b = 0; b < tiers.size(); ++b) {
    if (b > 0) {
      maintenance_amount_usd +=
          tiers[b - 1].notional_cap_usd * (tiers[b].maintenance_rate - tiers[b - 1].maintenance_rate);
    }
    brackets.push_back(
        {tiers[b].notional_cap_usd, tiers[b].maintenance_rate, maintenance_amount_usd, tiers[b].max_leverage});
  }
  return brackets;
}

double open_interest_initial_margin_fraction(double initial_margin_fraction, double open_interest_usd,
                                             double lower_cap_usd, double upper_cap_usd) {
  const double scaling = std::clamp((open_interest_usd - lower_cap_usd) / (upper_cap_usd - lower_cap_usd), 0.0, 1.0);
  return std::min(initial_margin_fraction + scaling * (1.0 - initial_margin_fraction), 1.0);
}

}  // namespace margin_stress::cpu
