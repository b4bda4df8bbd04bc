#include "host/engine/cpu/open_interest.hpp"

#include "host/engine/cpu/margin_schedule.hpp"

namespace margin_stress::cpu {

void count_long_lots(const Book& book, const ScenarioState& state, std::vector<std::int64_t>& long_lots) {
  long_lots.assign(state.markets.size(), 0);
  for (std::size_t p = 0; p < state.quantity.size(); ++p) {
    if (state.quantity[p] > 0) long_lots[static_cast<std::size_t>(book.position_market[p])] += state.quantity[p];
  }
}

void scale_initial_margin_by_open_interest(const ModelConfig& config, const std::vector<std::int64_t>& long_lots,
                                           ScenarioState& state) {
  for (std::size_t m = 0; m < state.markets.size(); ++m) {
    const MarketSpec& spec = config.markets[m];
    if (spec.open_interest_upper_cap_usd == 0.0) continue;
    MarketState& market = state.markets[m];
    const double open_interest_usd = static_cast<double>(long_lots[m]) * market.value_per_lot_usd;
    market.initial_margin_fraction =
        open_interest_initial_margin_fraction(spec.initial_margin_fraction, open_interest_usd,
                                              spec.open_interest_lower_cap_usd, spec.open_interest_upper_cap_usd);
    market.reprice(spec);
  }
}

}  // namespace margin_stress::cpu
